"""The notifications package: one typed message per kind with its own text per channel, and
its place low in the domain order."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from service.notifications import PostReminder, ReadAlert, Recipient

ROOT = Path(__file__).resolve().parents[2]
REP = Recipient(7, "张三", "一组", "13800000000", "zs@brand.test", "https://mc.test/r/t")


def reminder(stage: int, title: str = "新品上市") -> PostReminder:
    return PostReminder(REP, stage, 3, title, "20:14", "2026-12-04T12:14:00+00:00")


def alert(evidence: str = "读了《新品上市》13分02秒") -> ReadAlert:
    return ReadAlert(REP, 11, "优优妈妈", "深读", evidence)


class TestEachKindWritesItsOwnText:
    def test_a_first_reminder(self) -> None:
        message = reminder(1)
        assert message.heading() == "【发布提醒】《新品上市》"
        assert message.line() == "张三：建议 20:14 发布，文案和图片在 https://mc.test/r/t"
        assert message.subject() == "请在 20:14 发布：新品上市"
        assert message.body().endswith("一键复制文案、长按保存图片。\n")

    def test_a_second_reminder(self) -> None:
        message = reminder(2)
        assert message.heading() == "【再次提醒】《新品上市》还没有发布的同事："
        assert message.subject() == "还没有发布：新品上市"

    def test_a_read_alert(self) -> None:
        message = alert()
        assert message.heading() == "【读者动态】"
        assert message.line() == (
            "张三：优优妈妈 深读：读了《新品上市》13分02秒，看看 https://mc.test/r/t"
        )
        assert message.subject() == "读者动态：优优妈妈 深读：读了《新品上市》13分02秒"
        assert "复制文案" not in message.body()

    def test_webhook_payloads_keep_their_shape(self) -> None:
        assert reminder(1).payload()["event"] == "reminder"
        assert reminder(1).payload()["post"] == {"id": 3, "title": "新品上市"}
        body = alert().payload()
        assert (body["event"], body["stage"], body["post"]) == (
            "viewer_alert",
            0,
            {"id": 0, "title": ""},
        )
        assert body["rep"]["id"] == 7 and "深读" in body["note"]

    @pytest.mark.parametrize(
        "stored", ["新品\r\n上市", "新品\x00上市", "新品\u2028上市", "新品\x85上市"]
    )
    def test_stored_line_breaks_never_reach_one_line_texts(self, stored: str) -> None:
        for message in (reminder(1, stored), alert(f"读了《{stored}》1分")):
            assert "新品 上市" in message.heading() + message.line()
            assert "新品 上市" in message.subject()
            for text in (message.heading(), message.line(), message.subject()):
                assert not any(c in text for c in "\r\n\x00\x85\u2028")


def imports_of(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
    return found


@pytest.mark.parametrize("higher", ["service.plans", "service.tracking", "service.reps"])
def test_the_package_never_imports_the_domains_that_enqueue(higher: str) -> None:
    found = imports_of("service/notifications")
    assert sorted(m for m in found if m == higher or m.startswith(f"{higher}.")) == []
