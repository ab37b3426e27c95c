"""`momentcast run`: migrate, load the demo on first start, print where to go, serve."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import click
import uvicorn

from service.app import create_app
from service.commands._common import command_unit, data_dir_option, load_settings, open_runtime
from service.commands.supervise import Workers, serve
from service.demo import ensure_demo
from service.serving import uvicorn_options
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]  # where `scheduler` is importable from


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As uvicorn binds: connections of a just-killed server in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {host}:{port} ({exc.strerror}); try --port"
            ) from None


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--no-demo", is_flag=True, help="Do not load the demo organisation.")
@click.option("--no-worker", is_flag=True, help="Do not start the Celery worker and beat.")
@data_dir_option
def run_command(
    host: str, port: int, no_demo: bool, no_worker: bool, data_dir: Path | None
) -> None:
    """Start momentcast on embedded defaults (SQLite under the data directory)."""
    settings = load_settings(data_dir=data_dir)
    if "base_url" not in settings.model_fields_set:
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        settings.base_url = f"http://{shown}:{port}"
    check_port_free(host, port)
    runtime = open_runtime(settings)
    if not no_demo:
        click.echo("Loading the demo organisation (first start only)...")
        with command_unit(runtime) as session:
            demo = ensure_demo(runtime, session)
        click.echo(
            f"\nmomentcast: {settings.base_url}\n"
            f"  管理后台 admin:  {settings.base_url}/admin/login\n"
            f"    e-mail:   {demo.email}\n    password: {demo.password}\n"
            "  销售页面 rep pages (open on a phone):"
        )
        for name, team, url in demo.rep_urls:
            click.echo(f"    {name}（{team}）: {url}")
    click.echo(f"  API docs: {settings.base_url}/docs\n  data: {settings.data_dir}\n")
    workers = Workers([] if no_worker else start_workers(settings), settings.shutdown_grace_seconds)
    # log_config=None: uvicorn keeps the logging configured by load_settings (ids on every
    # line) instead of installing its own handlers.
    config = uvicorn.Config(
        create_app(runtime=runtime),
        host=host,
        port=port,
        log_config=None,
        **uvicorn_options(settings),
    )
    serve(config, workers)


# Copy generation gets its own processes, so a big fan-out never delays the short jobs
# (beat, reminders, enrolment) that the second worker runs one at a time; folding read events
# gets the third, so it never waits behind one of those runs (each bounded, but seconds long).
WORKERS: tuple[tuple[str, list[str], dict[str, str]], ...] = (
    (
        "cpu",
        ["--queues", "{prefix}cpu", "--concurrency", "{cpus}"],
        {"MOMENTCAST_IMAGE_THREADS": "1"},
    ),
    ("default", ["--queues", "{prefix}default", "--concurrency", "1", "--beat"], {}),
    ("tracking", ["--queues", "{prefix}tracking", "--concurrency", "1"], {}),
)


def start_workers(settings: Settings) -> list[subprocess.Popen[bytes]]:
    """Celery workers and beat on the same settings (the embedded broker is a SQLite file
    under the data directory): the production code path, with no server to install."""
    env = {**os.environ, **settings.environment(), "MOMENTCAST_SEND_TASKS": "true"}
    env["REMAP_SIGTERM"] = "SIGQUIT"  # pool processes ignore SIGTERM (scheduler/shutdown.py)
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    started = []
    for name, options, extra_env in WORKERS:
        args = [
            option.format(prefix=settings.queue_prefix, cpus=os.cpu_count() or 2)
            for option in options
        ]
        log = (log_dir / f"worker-{name}.log").open("ab")
        # Started through die_with_parent: a killed `momentcast run` leaves no worker behind;
        # in a session of its own, so only run signals it (service/commands/supervise.py).
        command = [sys.executable, "-m", "service.commands.die_with_parent", "celery"]
        command += ["--app", "scheduler", "worker", *args]
        command += ["--hostname", f"{name}@%h", "--loglevel", "INFO"]
        started.append(
            subprocess.Popen(
                command,
                env={**env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
        )
    click.echo(f"  worker + beat started; logs in {log_dir}\n")
    return started
