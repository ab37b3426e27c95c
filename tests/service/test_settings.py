"""One Settings class reads MOMENTCAST_* variables; docker-compose agrees with it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from service.settings import DEV_SECRET_KEY, Settings

ROOT = Path(__file__).resolve().parents[2]


class TestDefaults:
    def test_run_locally_without_servers(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)
        settings = Settings()
        assert settings.data_dir == tmp_path / "data"
        assert settings.database_url == f"sqlite:///{tmp_path}/data/momentcast.db"
        assert settings.broker_url.startswith("sqla+sqlite:///")
        assert settings.base_url == "http://127.0.0.1:8000"

    def test_environment_variables_override(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MOMENTCAST_DATABASE_URL", "postgresql+psycopg://x@db/y")
        monkeypatch.setenv("MOMENTCAST_BASE_URL", "https://m.example.cn/")
        settings = Settings()
        assert settings.database_url == "postgresql+psycopg://x@db/y"
        assert settings.base_url == "https://m.example.cn"


class TestSecretKey:
    def test_production_refuses_the_development_key(self) -> None:
        with pytest.raises(ValidationError, match="MOMENTCAST_SECRET_KEY"):
            Settings(env="production")

    def test_development_key_is_allowed_with_a_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        assert Settings(env="development").secret_key == DEV_SECRET_KEY
        assert "never deploy" in caplog.text


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


class TestCompose:
    def test_runs_the_five_services_with_health_checks(self, compose: dict) -> None:
        services = compose["services"]
        assert {"api", "worker", "beat", "redis", "postgres"} <= set(services)
        assert all("healthcheck" in services[name] for name in ("api", "redis", "postgres"))

    def test_apps_wait_for_healthy_dependencies(self, compose: dict) -> None:
        for name in ("api", "worker", "beat"):
            depends = compose["services"][name]["depends_on"]
            assert {depends[d]["condition"] for d in ("redis", "postgres")} == {"service_healthy"}

    def test_every_momentcast_variable_is_a_setting(self, compose: dict) -> None:
        known = {f"MOMENTCAST_{name.upper()}" for name in Settings.model_fields}
        used = {
            key
            for service in compose["services"].values()
            for key in _environment(service)
            if key.startswith("MOMENTCAST_")
        }
        assert used and used <= known


def _environment(service: dict) -> list[str]:
    env = service.get("environment", {})
    return list(env) if isinstance(env, dict) else [item.split("=", 1)[0] for item in env]
