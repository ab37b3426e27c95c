"""改写建议 from an OpenAI-compatible provider, against a local fake server speaking the real
wire format: placeholders out and back, the fidelity gate on every candidate, provider
failures as Chinese messages (never a 500, the post unaffected), and the key kept secret."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.auth import service as auth_service
from service.db import unit_of_work
from service.encryption import DecryptionError, SecretBox
from service.models import RewriteProvider, Role
from service.orgs import service as orgs_service
from service.rewrite import service as rewrite_service
from service.rewrite.service import KEY_PURPOSE
from service.runtime import Runtime
from tests.service.conftest import PASSWORD, migrated_runtime
from tests.service.fake_openai import (
    RATE_LIMITED,
    SERVER_ERROR,
    FakeProvider,
    error,
    fake_provider,
)

API_KEY = "sk-live-7f3a9c2e5b1d4a8f6e0c2b9a7d5e3f1c"
SENTENCE = "澜蔻水光精华原价¥399，会员日到手价¥269，咨询 138-1234-5678。"
PROTECTED = ["澜蔻"]
SECRETS = ("¥399", "¥269", "138-1234-5678", "澜蔻")


@pytest.fixture(scope="module")
def rewrite_runtime(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    with migrated_runtime(
        database_url,
        tmp_path_factory.mktemp("rewrite"),
        secret_key="rewrite-test-key",
        rewrite_timeout_seconds=1.0,
    ) as built:
        yield built


@pytest.fixture(scope="module")
def api(rewrite_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=rewrite_runtime)) as test_client:
        yield test_client


@dataclass
class Brand:
    id: int
    admin: dict[str, str]
    editor: dict[str, str]
    manager: dict[str, str]


@pytest.fixture
def brand(rewrite_runtime: Runtime) -> Brand:
    slug = f"rw-{uuid.uuid4().hex[:8]}"
    headers = {}
    with unit_of_work(rewrite_runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug=slug)
        for role in Role:
            staff = orgs_service.create_staff(
                session, org_id=org.id, email=f"{role}@{slug}.test", password=PASSWORD, role=role
            )
            token = auth_service.start(session, rewrite_runtime.signer, staff)
            headers[role.value] = {"Authorization": f"Bearer {token}"}
    return Brand(org.id, headers["admin"], headers["editor"], headers["manager"])


@pytest.fixture
def provider(api: TestClient, brand: Brand) -> Iterator[FakeProvider]:
    with fake_provider() as fake:
        response = api.put(
            "/api/org/rewrite-provider",
            headers=brand.admin,
            json={"base_url": fake.base_url, "model": "deepseek-chat", "api_key": API_KEY},
        )
        assert response.status_code == 200, response.text
        yield fake


def suggest(api: TestClient, brand: Brand, sentence: str = SENTENCE) -> Any:
    return api.post(
        "/api/rewrite/suggestions",
        headers=brand.editor,
        json={"sentence": sentence, "protected": PROTECTED, "count": 3},
    )


class TestProviderSettings:
    def test_the_key_is_shown_only_as_a_hint_and_stored_encrypted(
        self, api: TestClient, brand: Brand, provider: FakeProvider, rewrite_runtime: Runtime
    ) -> None:
        shown = api.get("/api/org/rewrite-provider", headers=brand.admin)
        assert shown.json() == {
            "configured": True,
            "base_url": provider.base_url,
            "model": "deepseek-chat",
            "key_hint": "sk-…3f1c",
        }
        with rewrite_runtime.sessions() as session:
            row = session.scalar(select(RewriteProvider).where(RewriteProvider.org_id == brand.id))
            assert row is not None
            assert (
                API_KEY not in row.api_key_encrypted and API_KEY[-12:] not in row.api_key_encrypted
            )
            box = SecretBox(rewrite_runtime.settings.secret_keys, purpose=KEY_PURPOSE)
            assert box.decrypt(row.api_key_encrypted) == API_KEY

    def test_omitting_the_key_keeps_the_stored_one(
        self, api: TestClient, brand: Brand, provider: FakeProvider
    ) -> None:
        api.put(
            "/api/org/rewrite-provider",
            headers=brand.admin,
            json={"base_url": provider.base_url, "model": "qwen-plus"},
        )
        provider.answer('{"rewrites": ["会员日⟦1⟧水光精华⟦3⟧入手（⟦2⟧），咨询⟦4⟧。"]}')
        assert suggest(api, brand).status_code == 200
        assert provider.requests[-1]["headers"]["authorization"] == f"Bearer {API_KEY}"
        assert provider.requests[-1]["body"]["model"] == "qwen-plus"

    @pytest.mark.parametrize("role", ["editor", "manager"])
    def test_only_admins_see_or_set_the_provider(
        self, api: TestClient, brand: Brand, role: str
    ) -> None:
        headers = getattr(brand, role)
        assert api.get("/api/org/rewrite-provider", headers=headers).status_code == 403
        body = {"base_url": "https://api.deepseek.com/v1", "model": "m", "api_key": API_KEY}
        assert api.put("/api/org/rewrite-provider", headers=headers, json=body).status_code == 403

    @pytest.mark.parametrize(
        ("body", "words"),
        [
            ({"base_url": "https://api.deepseek.com/v1", "model": "deepseek-chat"}, "API 密钥"),
            ({"base_url": "ftp://example.com", "model": "m", "api_key": API_KEY}, "服务地址"),
            ({"base_url": "https://x.test/v1", "model": "  ", "api_key": API_KEY}, "模型名称"),
        ],
    )
    def test_bad_settings_are_refused_in_chinese(
        self, api: TestClient, brand: Brand, body: dict[str, str], words: str
    ) -> None:
        response = api.put("/api/org/rewrite-provider", headers=brand.admin, json=body)
        assert response.status_code == 422
        assert words in response.json()["detail"]
        assert (
            api.get("/api/org/rewrite-provider", headers=brand.admin).json()["configured"] is False
        )

    def test_removing_the_provider_brings_back_local_suggestions(
        self, api: TestClient, brand: Brand, provider: FakeProvider
    ) -> None:
        assert api.delete("/api/org/rewrite-provider", headers=brand.admin).json() == {
            "configured": False,
            "base_url": "",
            "model": "",
            "key_hint": "",
        }
        assert suggest(api, brand).json()["source"] == "local"
        assert provider.requests == []


class TestKeyRotation:
    def test_a_key_stored_under_the_previous_secret_still_works_and_is_re_encrypted(
        self, rewrite_runtime: Runtime, brand: Brand, tmp_path: Any, database_url: str
    ) -> None:
        old = rewrite_runtime.settings.secret_keys
        with rewrite_runtime.sessions() as session:
            session.add(
                RewriteProvider(
                    org_id=brand.id,
                    base_url="https://api.deepseek.com/v1",
                    model="deepseek-chat",
                    api_key_encrypted=SecretBox(old, purpose=KEY_PURPOSE).encrypt(API_KEY),
                    key_hint="sk-…3f1c",
                )
            )
            session.commit()
        with migrated_runtime(
            database_url, tmp_path, secret_key="the-new-key", previous_secret_keys=old[-1]
        ) as rotated:
            with unit_of_work(rotated.sessions) as session:
                assert rewrite_service.rotate_keys(session, rotated.settings) >= 1
            with rotated.sessions() as session:
                row = session.get(RewriteProvider, brand.id)
                assert row is not None
                newest = SecretBox(("the-new-key",), purpose=KEY_PURPOSE)
                assert newest.decrypt(row.api_key_encrypted) == API_KEY
        with pytest.raises(DecryptionError):
            SecretBox(("unrelated",), purpose=KEY_PURPOSE).decrypt(row.api_key_encrypted)


class TestPlaceholders:
    def test_protected_values_never_leave_and_come_back_in_place(
        self, api: TestClient, brand: Brand, provider: FakeProvider
    ) -> None:
        provider.answer(
            json.dumps(
                {
                    "rewrites": [
                        "⟦1⟧水光精华会员日⟦3⟧（⟦2⟧），咨询⟦4⟧。",
                        "会员日⟦1⟧水光精华⟦3⟧就能带走，⟦2⟧，详询⟦4⟧。",
                    ]
                },
                ensure_ascii=False,
            )
        )
        response = suggest(api, brand)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "source": "llm",
            "suggestions": [
                "澜蔻水光精华会员日到手价¥269（原价¥399），咨询138-1234-5678。",
                "会员日澜蔻水光精华到手价¥269就能带走，原价¥399，详询138-1234-5678。",
            ],
            "rejected": 0,
        }
        [sent] = provider.requests
        assert sent["path"] == "/v1/chat/completions"
        user = sent["body"]["messages"][-1]["content"]
        assert user == "⟦1⟧水光精华⟦2⟧，会员日⟦3⟧，咨询 ⟦4⟧。"
        assert not any(value in json.dumps(sent["body"], ensure_ascii=False) for value in SECRETS)

    def test_a_candidate_that_drops_a_placeholder_or_changes_a_number_is_dropped_and_logged(
        self,
        api: TestClient,
        brand: Brand,
        provider: FakeProvider,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        provider.answer(
            "1. ⟦1⟧水光精华会员日⟦3⟧，咨询⟦4⟧。\n"  # the original price is gone
            "2. ⟦1⟧水光精华⟦2⟧，会员日⟦3⟧再减20元，咨询⟦4⟧。\n"  # a new number
            "3. ⟦1⟧水光精华会员日⟦3⟧（⟦2⟧），咨询⟦4⟧。"
        )
        with caplog.at_level(logging.INFO, logger="service.rewrite"):
            body = suggest(api, brand).json()
        assert body["suggestions"] == [
            "澜蔻水光精华会员日到手价¥269（原价¥399），咨询138-1234-5678。"
        ]
        assert body["rejected"] == 2
        assert "placeholder_missing" in caplog.text and "new_number" in caplog.text


class TestProviderFailures:
    @pytest.mark.parametrize(
        ("reply", "status", "code", "words"),
        [
            (
                error(
                    401,
                    f"Incorrect API key provided: {API_KEY}.",
                    "invalid_request_error",
                    "invalid_api_key",
                ),
                502,
                "provider_unauthorized",
                "密钥",
            ),
            (RATE_LIMITED, 503, "provider_rate_limited", "频繁"),
            (SERVER_ERROR, 502, "provider_unavailable", "暂时不可用"),
        ],
        ids=["401", "429", "500"],
    )
    def test_errors_give_a_chinese_message_and_leave_the_post_alone(
        self,
        api: TestClient,
        brand: Brand,
        provider: FakeProvider,
        reply: tuple[int, dict[str, Any]],
        status: int,
        code: str,
        words: str,
    ) -> None:
        post = api.post(
            "/api/posts", headers=brand.editor, data={"title": "会员日", "text": SENTENCE}
        ).json()
        provider.fail(reply)
        response = suggest(api, brand)
        assert response.status_code == status
        assert response.json()["error"] == code
        assert words in response.json()["message"]
        assert API_KEY not in response.text
        self._post_is_unaffected(api, brand, post)

    def test_a_slow_provider_times_out_with_a_chinese_message(
        self, api: TestClient, brand: Brand, provider: FakeProvider
    ) -> None:
        post = api.post(
            "/api/posts", headers=brand.editor, data={"title": "会员日", "text": SENTENCE}
        ).json()
        provider.delay_seconds = 3.0  # the runtime waits 1 s
        response = suggest(api, brand)
        assert response.status_code == 504
        assert response.json()["error"] == "provider_timeout"
        assert "没有响应" in response.json()["message"]
        self._post_is_unaffected(api, brand, post)

    @staticmethod
    def _post_is_unaffected(api: TestClient, brand: Brand, post: dict[str, Any]) -> None:
        again = api.get(f"/api/posts/{post['id']}", headers=brand.editor)
        assert again.status_code == 200 and again.json()["text"] == post["text"]
        published = api.post(f"/api/posts/{post['id']}/publish", headers=brand.editor)
        assert published.status_code == 200, published.text


class TestKeySecrecy:
    def test_the_key_appears_in_no_response_and_no_log(
        self,
        api: TestClient,
        brand: Brand,
        provider: FakeProvider,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        responses = []
        with caplog.at_level(logging.DEBUG):
            provider.answer('{"rewrites": ["⟦1⟧水光精华会员日⟦3⟧，⟦2⟧，咨询⟦4⟧。"]}')
            responses.append(suggest(api, brand))
            provider.fail(
                error(401, f"Incorrect API key provided: {API_KEY}", "invalid_request_error", None)
            )
            responses.append(suggest(api, brand))
            provider.fail(SERVER_ERROR)
            responses.append(suggest(api, brand))
            provider.delay_seconds = 3.0
            responses.append(suggest(api, brand))
            responses.append(api.get("/api/org/rewrite-provider", headers=brand.admin))
            responses.append(api.get("/openapi.json"))
            responses.append(api.get("/admin/settings", headers=brand.admin))
        assert [r.status_code for r in responses] == [200, 502, 502, 504, 200, 200, 200]
        assert "sk-…3f1c" in responses[-1].text  # the settings page shows the hint only
        assert len(caplog.records) > 0
        for response in responses:
            assert API_KEY not in response.text and API_KEY[3:] not in response.text
        assert API_KEY not in caplog.text and API_KEY[-16:] not in caplog.text


class TestLocalSuggestions:
    def test_without_a_provider_the_local_engine_suggests_gated_rewrites(
        self, api: TestClient, brand: Brand
    ) -> None:
        sentence = "轻薄防晒衣到店啦，今天到店只要¥199，欢迎大家来店里试穿！"
        first = api.post(
            "/api/rewrite/suggestions", headers=brand.editor, json={"sentence": sentence}
        ).json()
        again = api.post(
            "/api/rewrite/suggestions", headers=brand.editor, json={"sentence": sentence}
        ).json()
        assert first == again
        assert first["source"] == "local" and 1 <= len(first["suggestions"]) <= 3
        for suggestion in first["suggestions"]:
            assert suggestion != sentence and suggestion.count("¥199") == 1

    def test_managers_may_not_ask_for_suggestions(self, api: TestClient, brand: Brand) -> None:
        response = api.post(
            "/api/rewrite/suggestions", headers=brand.manager, json={"sentence": "你好。"}
        )
        assert response.status_code == 403
