"""Schema fuzzing (issue 8): schemathesis generates requests for every operation in the
OpenAPI spec, sent as an editor of a seeded organisation. No request may produce a 500, and
every response must match the schema the spec declares for it."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.service.conftest import Org, jpeg_bytes
from tests.service.test_posts import upload


@pytest.fixture
def fuzzed(app: FastAPI, database_url: str) -> Any:
    if not database_url.startswith("sqlite"):
        pytest.skip("fuzzed once, on SQLite: the PostgreSQL run adds time, not coverage")
    return app


@pytest.fixture
def seeded(fuzzed: FastAPI, make_org: Any, add_reps: Any) -> Org:
    """An organisation with reps and a published post, so ids 1.. exist for the fuzzer."""
    from fastapi.testclient import TestClient

    org: Org = make_org()
    add_reps(org, ["张三", "李四"], team="一店")
    client = TestClient(fuzzed)
    made = upload(client, org, images=[("a.jpg", jpeg_bytes())]).json()
    client.post(f"/api/posts/{made['id']}/publish", headers=org.editor)
    return org


def test_no_request_gets_a_500_and_every_answer_matches_the_spec(
    fuzzed: FastAPI, seeded: Org
) -> None:
    api = schemathesis.openapi.from_asgi("/openapi.json", fuzzed)
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    found = list(api.get_all_operations())
    operations = [result.ok() for result in found if isinstance(result, Ok)]
    assert len(operations) == len(found) > 30  # the whole API, every operation readable

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=seeded.editor, checks=checks)

        try:
            fuzz()
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc
