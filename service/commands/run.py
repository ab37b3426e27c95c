"""`momentcast run`: migrate, load the demo on first start, print where to go, serve."""

from __future__ import annotations

import socket
from pathlib import Path

import click
import uvicorn

from service.app import create_app
from service.commands._common import command_unit, data_dir_option, load_settings, open_runtime
from service.demo import ensure_demo


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
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
@data_dir_option
def run_command(host: str, port: int, no_demo: bool, data_dir: Path | None) -> None:
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
    # The worker and beat (scheduler/) start here once the scheduler issue lands; until then
    # copies are generated on each rep's first open and queued tasks are only logged.
    uvicorn.run(create_app(runtime=runtime), host=host, port=port, log_level="info")
