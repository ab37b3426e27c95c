"""Opener and closer lines: phrases strung by slot, never echoing the master or each other."""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

from variation.text import Voice, vary_text
from variation.text._lexicon import CLOSER_SLOTS, OPENER_SLOTS, load_lexicon, load_lexicon_from

DATA = Path(str(resources.files("variation.text") / "data"))
HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
SERUM = (
    "【澜蔻水光精华】限时特惠！原价¥399，今天到手只要¥199～\n"
    "✅ 补水保湿，一瓶搞定\n✅ 温和不刺激，敏感肌也能用\n"
    "活动时间：7月1日-7月3日\n咨询电话：138-1234-5678\n"
    "戳链接抢购 https://shop.example.com/p/8848 #护肤# #补水#"
)
BEAUTY = "换季皮肤干到起皮的姐妹瞧过来👇\n✅ 质地轻薄，好推开，吸收快\n有需要的朋友私我～"


def frame_lines(master: str, seed: int) -> tuple[str, str]:
    """(opener, closer) the copy added, each empty when it added none; with both lines
    allowed (the default voice adds no opener)."""
    voice = Voice(frame_lines="free", particles="normal")
    edits = vary_text(master, seed=seed, protected=("澜蔻", "水光精华"), voice=voice).edits
    added = {e.kind: e.after for e in edits if e.kind in {"opener", "closer"}}
    return added.get("opener", ""), added.get("closer", "")


def pairs(text: str) -> set[str]:
    """Two-character stretches of Chinese characters."""
    return {text[i : i + 2] for i in range(len(text) - 1) if HAN_PAIR.fullmatch(text[i : i + 2])}


class TestNoEcho:
    def test_opener_never_repeats_the_masters_call(self) -> None:
        for n in range(60):
            opener, _ = frame_lines(BEAUTY, n)
            assert "看过来" not in opener and "瞧过来" not in opener, opener

    def test_closer_never_repeats_the_masters_call(self) -> None:
        for n in range(60):
            _, closer = frame_lines(BEAUTY, n)
            assert "有需要" not in closer and "私我" not in closer, closer

    def test_phrases_of_a_copy_do_not_echo_each_other(self) -> None:
        for n in range(60):
            opener, closer = frame_lines(SERUM, n)
            phrases = re.split(r"[，～！]+", f"{opener}～{closer}")
            for i, one in enumerate(phrases):
                for other in phrases[i + 1 :]:
                    assert not pairs(one) & pairs(other), (opener, closer)


class TestDomain:
    def test_domain_phrases_join_when_the_master_is_clearly_beauty(self) -> None:
        openers = {frame_lines(BEAUTY, n)[0] for n in range(80)}
        beauty = set(load_lexicon().openers["beauty"])
        assert any(line in opener for opener in openers for line in beauty)

    def test_no_domain_phrases_for_a_master_without_domain_words(self) -> None:
        master = "周末愉快！今晚见～"
        lex = load_lexicon()
        domain_lines = {
            line
            for table in (lex.openers, lex.closers)
            for domain, lines in table.items()
            if domain != "any"
            for line in lines
        }
        for n in range(40):
            for added in frame_lines(master, n):
                assert not any(line in added for line in domain_lines), added


class TestShippedSlots:
    @pytest.mark.parametrize(
        ("kind", "slots"), [("openers", OPENER_SLOTS), ("closers", CLOSER_SLOTS)]
    )
    def test_every_slot_has_at_least_ten_general_phrases(
        self, kind: str, slots: tuple[str, ...]
    ) -> None:
        lex = load_lexicon()
        general = getattr(lex, kind)["any"]
        for slot in slots:
            assert sum(lex.frame_slot[line] == slot for line in general) >= 10

    def test_at_least_150_phrases_in_all(self) -> None:
        lex = load_lexicon()
        assert len(lex.frame_slot) >= 150


class TestLoaderChecksSlots:
    @pytest.mark.parametrize(
        ("name", "line", "message"),
        [
            ("openers.txt", "any\t大家好呀～～", "DOMAIN:SLOT"),
            ("openers.txt", "any:ask\t大家早上好", "DOMAIN:SLOT"),
            ("closers.txt", "any:thanks\t感谢关注～", "listed twice"),
            ("closers.txt", "sky:ask\t欢迎咨询", "unknown domain"),
        ],
    )
    def test_error_names_file_and_line(
        self, tmp_path: Path, name: str, line: str, message: str
    ) -> None:
        directory = tmp_path / "data"
        shutil.copytree(DATA, directory)
        text = (DATA / name).read_text(encoding="utf-8").rstrip("\n") + "\n" + line + "\n"
        (directory / name).write_text(text, encoding="utf-8")
        number = len(text.rstrip("\n").splitlines())
        with pytest.raises(ValueError, match=message) as caught:
            load_lexicon_from(directory)
        assert f"{name}:{number}" in str(caught.value)

    def test_same_phrase_in_openers_and_closers_is_rejected(self, tmp_path: Path) -> None:
        directory = tmp_path / "data"
        shutil.copytree(DATA, directory)
        text = (DATA / "closers.txt").read_text(encoding="utf-8") + "any:ask\t大家好呀\n"
        (directory / "closers.txt").write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match="both list"):
            load_lexicon_from(directory)
