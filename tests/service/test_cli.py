"""The `momentcast` commands: admin create, reps import; bad input is one line, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from service.commands.admin import admin_group
from service.commands.reps import reps_group
from service.commands.run import run_command
from service.db import unit_of_work
from service.demo import DEMO_REPS, ensure_demo
from service.posts import repository as posts_repository
from service.runtime import Runtime
from service.settings import Settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"MOMENTCAST_DATA_DIR": str(tmp_path / "data"), "MOMENTCAST_SECRET_KEY": "k" * 20}


def run(command: object, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(command, args, env=env)  # type: ignore[arg-type]
    return result.exit_code, result.output


class TestAdminCreate:
    def test_creates_org_and_admin(self, env: dict[str, str]) -> None:
        code, output = run(
            admin_group,
            [
                "create",
                "--org",
                "acme",
                "--email",
                "boss@acme.cn",
                "--password",
                "long enough pass",
            ],
            env,
        )
        assert code == 0, output
        assert "created admin boss@acme.cn in organisation acme" in output

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (
                ["--org", "Bad Org", "--email", "a@b.cn", "--password", "long enough pass"],
                "lowercase",
            ),
            (
                ["--org", "acme", "--email", "not-an-email", "--password", "long enough pass"],
                "e-mail",
            ),
            (["--org", "acme", "--email", "a@b.cn", "--password", "short"], "12 characters"),
        ],
    )
    def test_bad_input_is_one_line(
        self, env: dict[str, str], args: list[str], message: str
    ) -> None:
        code, output = run(admin_group, ["create", *args], env)
        assert code == 1
        assert message in output
        assert "Traceback" not in output and output.count("\n") == 1

    def test_duplicate_email_is_refused(self, env: dict[str, str]) -> None:
        args = ["create", "--org", "acme", "--email", "a@b.cn", "--password", "long enough pass"]
        run(admin_group, args, env)
        code, output = run(admin_group, args, env)
        assert (code, "already has an account" in output) == (1, True)

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("notaurl", "not a database URL"),
            ("postgresql+psycopg://nobody@127.0.0.1:1/x", "cannot open the database"),
        ],
    )
    def test_bad_database_url_is_one_line(
        self, env: dict[str, str], url: str, message: str
    ) -> None:
        code, output = run(
            admin_group,
            ["create", "--org", "a", "--email", "a@b.cn", "--password", "long enough pass"],
            {**env, "MOMENTCAST_DATABASE_URL": url},
        )
        assert code == 1 and message in output and "Traceback" not in output

    def test_production_without_secret_is_refused(self, env: dict[str, str]) -> None:
        bad = {**env, "MOMENTCAST_ENV": "production"}
        bad.pop("MOMENTCAST_SECRET_KEY")
        code, output = run(
            admin_group,
            ["create", "--org", "a", "--email", "a@b.cn", "--password", "long enough pass"],
            bad,
        )
        assert code == 1 and "MOMENTCAST_SECRET_KEY" in output


class TestRepsImport:
    def test_imports_into_existing_org(self, env: dict[str, str], tmp_path: Path) -> None:
        run(
            admin_group,
            ["create", "--org", "acme", "--email", "a@b.cn", "--password", "long enough pass"],
            env,
        )
        csv = tmp_path / "reps.csv"
        csv.write_text("name,team\n张三,一组\n李四,二组\n", encoding="utf-8")
        code, output = run(reps_group, ["import", str(csv), "--org", "acme", "--show-links"], env)
        assert code == 0, output
        assert "imported 2 reps into acme: 2 new, 0 updated" in output
        assert output.count("/r/") == 2

    @pytest.mark.parametrize(
        ("content", "org", "message"),
        [
            ("name\n张三\n", "nowhere", "no organisation 'nowhere'"),
            ("team\n一组\n", "acme", "'name' column"),
        ],
    )
    def test_bad_input_is_one_line(
        self, env: dict[str, str], tmp_path: Path, content: str, org: str, message: str
    ) -> None:
        run(
            admin_group,
            ["create", "--org", "acme", "--email", "a@b.cn", "--password", "long enough pass"],
            env,
        )
        csv = tmp_path / "reps.csv"
        csv.write_text(content, encoding="utf-8")
        code, output = run(reps_group, ["import", str(csv), "--org", org], env)
        assert code == 1 and message in output and "Traceback" not in output

    def test_missing_file_is_a_usage_error(self, env: dict[str, str]) -> None:
        code, output = run(reps_group, ["import", "/no/such.csv", "--org", "acme"], env)
        assert code == 2 and "does not exist" in output


class TestRun:
    def test_busy_port_is_one_line(self, env: dict[str, str]) -> None:
        import socket

        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            code, output = run(run_command, ["--port", str(port)], env)
        assert code == 1 and "try --port" in output

    def test_demo_loads_once_with_samples(self, tmp_path: Path) -> None:
        runtime = Runtime.build(Settings(data_dir=tmp_path, secret_key="k" * 20))
        runtime.migrate()
        with unit_of_work(runtime.sessions) as session:
            first = ensure_demo(runtime, session)
        with unit_of_work(runtime.sessions) as session:
            again = ensure_demo(runtime, session)
            posts = posts_repository.list_(session, org_id=1, published_only=True)
        assert first == again
        assert [name for name, _, _ in first.rep_urls] == [name for name, _ in DEMO_REPS[:3]]
        assert posts and all(post.published_at for post in posts)
        assert max(len(post.images) for post in posts) <= 9
