"""Sentence alternatives stored with the post and versioned, the brand voice, and what the
preview tells the editor (diversity meter, every copy's fold risk and suggested split)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.models import Copy
from service.runtime import Runtime
from tests.service.conftest import Org

TEXT = (
    "春季新品防晒衣到店啦！今天到店只要¥199，买两件再减20元。\n"
    "咨询电话 138-1234-5678，欢迎来店试穿。"
)
SENTENCES = [
    "春季新品防晒衣到店啦！",
    "今天到店只要¥199，买两件再减20元。",
    "咨询电话 138-1234-5678，欢迎来店试穿。",
]
ALTERNATIVES = [
    ["春季新款防晒衣已经到店！", "防晒衣春季新品上架啦！"],
    ["今天来店只要¥199，买两件再减20元。"],
    [],
]


def sentences_json(alternatives: list[list[str]], *, approved: bool = True) -> list[Any]:
    return [
        {"text": text, "alternatives": [{"text": a, "approved": approved} for a in alts]}
        for text, alts in zip(SENTENCES, alternatives, strict=True)
    ]


def create(client: TestClient, org: Org, *, text: str = TEXT, **fields: str) -> Any:
    response = client.post(
        "/api/posts", headers=org.editor, data={"title": "防晒衣", "text": text, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


def copy_text(client: TestClient, org: Org, post_id: int, rep_id: int) -> str:
    response = client.get(f"/api/posts/{post_id}/copies/{rep_id}", headers=org.editor)
    assert response.status_code == 200, response.text
    return str(response.json()["text"])


class TestSplitting:
    def test_the_text_splits_into_sentences_that_join_back(
        self, client: TestClient, org: Org
    ) -> None:
        response = client.post("/api/posts/sentences", headers=org.editor, json={"text": TEXT})
        body = response.json()
        assert [s["text"] for s in body["sentences"]] == SENTENCES
        assert "".join(s["text"] + s["tail"] for s in body["sentences"]) == TEXT
        assert body["distinct_bodies"] == 1

    def test_the_count_gives_the_distinct_bodies_of_ticked_alternatives(
        self, client: TestClient, org: Org
    ) -> None:
        given = sentences_json(ALTERNATIVES)
        given[0]["alternatives"][1]["approved"] = False
        body = client.post(
            "/api/posts/sentences", headers=org.editor, json={"text": TEXT, "sentences": given}
        ).json()
        assert body["distinct_bodies"] == 2 * 2  # (master + 1 ticked) × (master + 1)

    def test_a_browsers_crlf_line_breaks_split_like_lf(self, client: TestClient, org: Org) -> None:
        crlf = TEXT.replace("\n", "\r\n")
        post = create(client, org, text=crlf, sentences=json.dumps(sentences_json(ALTERNATIVES)))
        assert post["text"] == TEXT
        odd = client.post("/api/posts/sentences", headers=org.editor, json={"text": "好。\r\r好"})
        assert odd.status_code == 200


class TestStoredAlternatives:
    def test_a_post_keeps_its_alternatives_and_reps_spread_over_them(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        post = create(client, org, sentences=json.dumps(sentences_json(ALTERNATIVES)))
        stored = client.get(f"/api/posts/{post['id']}/alternatives", headers=org.editor).json()
        assert stored["version"] == 1 and stored["distinct_bodies"] == 6
        assert [len(s["alternatives"]) for s in stored["sentences"]] == [2, 1, 0]
        reps = add_reps(org, [f"销售{n}" for n in range(6)])
        texts = [copy_text(client, org, post["id"], rep_id) for rep_id, _ in reps]
        openings = {
            "alt 2" if t.startswith("防晒衣") else "alt 1" if "已经到店" in t else "master"
            for t in texts
        }  # markers the engine's synonyms leave alone
        assert len(openings) == 3  # six reps use all three openings
        assert all("¥199" in t and "138-1234-5678" in t for t in texts)

    def test_each_edit_is_a_new_version_and_copies_record_theirs(
        self, client: TestClient, org: Org, add_reps: Any, runtime: Runtime
    ) -> None:
        post = create(client, org)
        [(first, _), (second, _)] = add_reps(org, ["先来", "后到"])
        before = copy_text(client, org, post["id"], first)
        saved = client.put(
            f"/api/posts/{post['id']}/alternatives",
            headers=org.editor,
            json={"sentences": sentences_json(ALTERNATIVES), "base_version": 1},
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == 2
        copy_text(client, org, post["id"], second)
        assert copy_text(client, org, post["id"], first) == before  # issued copies never change
        with runtime.sessions() as session:
            versions = dict(
                session.execute(
                    select(Copy.rep_id, Copy.text_version).where(Copy.post_id == post["id"])
                ).all()
            )
        assert versions == {first: 1, second: 2}
        assert (
            client.get(f"/api/posts/{post['id']}", headers=org.editor).json()["text_version"] == 2
        )

    def test_an_edit_from_a_stale_version_is_refused(self, client: TestClient, org: Org) -> None:
        post = create(client, org)
        url = f"/api/posts/{post['id']}/alternatives"
        body = {"sentences": sentences_json(ALTERNATIVES), "base_version": 1}
        assert client.put(url, headers=org.editor, json=body).status_code == 200
        stale = client.put(url, headers=org.editor, json=body)
        assert stale.status_code == 409 and stale.json()["error"] == "version_conflict"

    @pytest.mark.parametrize(
        ("alternative", "words"),
        [
            ("今天到店只要¥99，买两件再减20元。", "价格"),
            ("今天到店只要¥199，买三件再减30元。", "价格"),
            ("今天到店只要¥199，买两件再减20元，详见 https://x.cn/a。", "链接"),
        ],
    )
    def test_an_alternative_that_changes_a_fact_is_refused_and_nothing_saved(
        self, client: TestClient, org: Org, alternative: str, words: str
    ) -> None:
        post = create(client, org)
        response = client.put(
            f"/api/posts/{post['id']}/alternatives",
            headers=org.editor,
            json={"sentences": sentences_json([[], [alternative], []])},
        )
        assert response.status_code == 422
        assert response.json()["error"] == "alternative_rejected"
        assert "第 2 句" in response.json()["detail"] and words in response.json()["detail"]
        stored = client.get(f"/api/posts/{post['id']}/alternatives", headers=org.editor).json()
        assert stored["version"] == 1

    def test_alternatives_for_another_text_are_refused(self, client: TestClient, org: Org) -> None:
        post = create(client, org)
        given = sentences_json(ALTERNATIVES)
        given[0]["text"] = "别的句子！"
        response = client.put(
            f"/api/posts/{post['id']}/alternatives", headers=org.editor, json={"sentences": given}
        )
        assert response.status_code == 409 and response.json()["error"] == "sentences_changed"

    def test_managers_may_read_but_not_edit(self, client: TestClient, org: Org) -> None:
        post = create(client, org)
        url = f"/api/posts/{post['id']}/alternatives"
        assert client.get(url, headers=org.manager).status_code == 200
        body = {"sentences": sentences_json(ALTERNATIVES)}
        assert client.put(url, headers=org.manager, json=body).status_code == 403


class TestInlineSpintax:
    def test_inline_spintax_still_spreads_reps(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        post = create(client, org, text="{限时特惠|限量特供}：防晒衣今天只要¥199！欢迎来店试穿。")
        reps = add_reps(org, ["甲", "乙", "丙", "丁"])
        texts = [copy_text(client, org, post["id"], rep_id) for rep_id, _ in reps]
        assert any("限时" in t for t in texts) and any("限量" in t for t in texts)
        assert not any("{" in t or "|" in t for t in texts)

    def test_inline_choices_are_the_sentences_alternatives(
        self, client: TestClient, org: Org
    ) -> None:
        text = "{限时特惠|限量特供}来啦！欢迎来店试穿。"
        split = client.post("/api/posts/sentences", headers=org.editor, json={"text": text})
        first = split.json()["sentences"][0]
        assert first["text"] == "限时特惠来啦！"
        assert first["alternatives"] == [{"text": "限量特供来啦！", "approved": True}]
        assert split.json()["distinct_bodies"] == 2
        given = [
            {"text": s["text"], "alternatives": [*s["alternatives"], {"text": "特价来啦！"}]}
            if i == 0
            else s
            for i, s in enumerate(split.json()["sentences"])
        ]
        response = client.post(
            "/api/posts/sentences", headers=org.editor, json={"text": text, "sentences": given}
        )
        assert response.status_code == 200, response.text
        assert response.json()["distinct_bodies"] == 3


class TestVoice:
    def test_the_organisation_default_and_the_post_override(
        self, client: TestClient, org: Org
    ) -> None:
        assert client.get("/api/org/voice", headers=org.editor).json() == {
            "frame_lines": "closer",
            "particles": "light",
        }
        assert (
            client.put("/api/org/voice", headers=org.editor, json={"particles": "none"}).status_code
            == 403
        )
        changed = client.put("/api/org/voice", headers=org.admin, json={"frame_lines": "off"})
        assert changed.json() == {"frame_lines": "off", "particles": "light"}
        post = create(client, org, frame_lines="free")
        assert post["voice"] == {"frame_lines": "free", "particles": None}
        updated = client.put(
            f"/api/posts/{post['id']}/voice", headers=org.editor, json={"particles": "normal"}
        )
        assert updated.json()["voice"] == {"frame_lines": "free", "particles": "normal"}

    def test_an_unknown_voice_is_a_422(self, client: TestClient, org: Org) -> None:
        response = client.post(
            "/api/posts",
            headers=org.editor,
            data={"title": "t", "text": TEXT, "frame_lines": "everywhere"},
        )
        assert response.status_code == 422

    def test_frame_lines_off_adds_no_line_and_keeps_the_first_line(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        post = create(client, org, frame_lines="off", particles="none")
        reps = add_reps(org, [f"销售{n}" for n in range(8)])
        for rep_id, _ in reps:
            text = copy_text(client, org, post["id"], rep_id)
            assert text.count("\n") == TEXT.count("\n")


class TestPreview:
    def test_the_meter_reports_detector_flags_with_chinese_advice(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        add_reps(org, [f"销售{n}" for n in range(12)])
        post = create(client, org, text="新品到店。", frame_lines="off", particles="none")
        meter = client.get(f"/api/posts/{post['id']}/preview", headers=org.editor).json()[
            "diversity"
        ]
        assert meter["reps"] == 12 and meter["pairs"] == 66
        assert meter["simulated"] == 12 - 3  # the preview made the first three reps' copies
        assert meter["flagged_pairs"] > 0 and meter["level"] != "good"
        assert "添加改写可降低重复" in meter["advice"]

    def test_alternatives_lower_what_the_meter_flags(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        add_reps(org, [f"销售{n}" for n in range(12)])
        plain = create(client, org, frame_lines="off")
        varied = create(
            client, org, frame_lines="off", sentences=json.dumps(sentences_json(ALTERNATIVES))
        )
        shares = [
            client.get(f"/api/posts/{p['id']}/preview", headers=org.editor).json()["diversity"]
            for p in (plain, varied)
        ]
        assert shares[1]["distinct_bodies"] == 6 and shares[0]["distinct_bodies"] == 1
        assert shares[1]["flagged_share"] <= shares[0]["flagged_share"]

    def test_every_copy_has_its_fold_risk_and_split(
        self, client: TestClient, org: Org, add_reps: Any
    ) -> None:
        add_reps(org, ["甲", "乙"])
        long_text = "\n".join(f"第{n}点：这款防晒衣轻薄透气，通勤出游都合适。" for n in range(1, 9))
        post = create(client, org, text=long_text)
        preview = client.get(f"/api/posts/{post['id']}/preview", headers=org.editor).json()
        assert len(preview["fold_risks"]) == len(preview["copies"]) == 2
        for copy, risk in zip(preview["copies"], preview["fold_risks"], strict=True):
            assert risk["at_risk"] and risk["body"] and risk["first_comment"]
            assert risk["body"].strip() in copy["text"]
