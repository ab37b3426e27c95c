"""Logging configured once: every line of a request carries its request id and, once the
caller is known, the organisation; production lines are JSON."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service import logs
from tests.service.conftest import Org


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The JSON lines the app writes, read from a handler built exactly as configure() builds
    its own (same formatter and context filter)."""
    logs.configure(json_lines=True)
    ours = next(h for h in logging.getLogger().handlers if getattr(h, "_momentcast", False))
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(ours.formatter)
    for attached in ours.filters:
        handler.addFilter(attached)
    logging.getLogger().addHandler(handler)
    yield buffer
    logging.getLogger().removeHandler(handler)
    logging.getLogger().removeHandler(ours)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


class TestRequestIds:
    def test_every_request_gets_an_id_echoed_in_the_response_and_logged(
        self, client: TestClient, captured: io.StringIO
    ) -> None:
        response = client.get("/healthz")
        request_id = response.headers["x-request-id"]
        assert len(request_id) == 16
        access = [line for line in lines(captured) if line["message"] == "GET /healthz 200"]
        assert access and access[-1]["request_id"] == request_id
        assert isinstance(access[-1]["ms"], float)

    def test_a_proxys_sane_id_is_kept_and_a_hostile_one_replaced(self, client: TestClient) -> None:
        kept = client.get("/healthz", headers={"x-request-id": "edge-42.a_b"})
        assert kept.headers["x-request-id"] == "edge-42.a_b"
        for hostile in ("a" * 80, "a b", "<script>", "id;drop"):
            answered = client.get("/healthz", headers={"x-request-id": hostile})
            assert answered.headers["x-request-id"] != hostile
            assert len(answered.headers["x-request-id"]) == 16

    def test_an_authenticated_request_logs_its_organisation(
        self, client: TestClient, org: Org, captured: io.StringIO
    ) -> None:
        response = client.get("/api/posts", headers=org.editor)
        assert response.status_code == 200
        access = [line for line in lines(captured) if line["message"] == "GET /api/posts 200"]
        assert access[-1]["org_id"] == str(org.id)
        assert access[-1]["request_id"] == response.headers["x-request-id"]

    def test_ids_do_not_leak_from_one_request_into_the_next(
        self, client: TestClient, org: Org, captured: io.StringIO
    ) -> None:
        client.get("/api/posts", headers=org.editor)
        client.get("/healthz")
        health = [line for line in lines(captured) if line["message"] == "GET /healthz 200"]
        assert "org_id" not in health[-1]


class TestFormats:
    def record(self, message: str, **extra: object) -> logging.LogRecord:
        record = logging.makeLogRecord({"msg": message, "levelname": "INFO", "name": "t"})
        record.__dict__.update(extra)
        return record

    def test_json_lines_carry_bound_ids_and_extra_fields(self) -> None:
        with logs.bound(org_id=7, task_id="abc"):
            record = self.record("reminder sent", channel="robot")
            logs._ContextFilter().filter(record)
        line = json.loads(logs.JsonFormatter().format(record))
        assert line["org_id"] == "7" and line["task_id"] == "abc"
        assert line["channel"] == "robot" and line["message"] == "reminder sent"

    def test_readable_lines_show_the_ids_in_brackets(self) -> None:
        with logs.bound(org_id=7):
            record = self.record("published post 3 to 40 reps")
            logs._ContextFilter().filter(record)
        text = logs.ReadableFormatter().format(record)
        assert "[org=7]" in text and text.endswith("published post 3 to 40 reps")

    def test_chinese_stays_readable_in_json(self) -> None:
        line = logs.JsonFormatter().format(self.record("提醒已发送"))
        assert "提醒已发送" in line

    def test_configure_twice_keeps_one_handler(self) -> None:
        logs.configure(json_lines=False)
        logs.configure(json_lines=True)
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_momentcast", False)]
        assert len(ours) == 1
        logging.getLogger().removeHandler(ours[0])
