"""The text engine's language data: the loader validates, and the shipped data meets its bar."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from variation.text._lexicon import (
    DOMAINS,
    Lexicon,
    is_single_emoji,
    load_lexicon,
    load_lexicon_from,
)

DATA = Path(str(resources.files("variation.text") / "data"))
# Advertising Law art. 9 and the platform guidance derived from it: none of these may ever be
# introduced by a swap, an opener or a closer.
ABSOLUTE_CLAIMS = (
    "最",
    "第一",
    "唯一",
    "国家级",
    "世界级",
    "顶级",
    "极致",
    "首选",
    "首家",
    "独家",
    "全网",
    "冠军",
    "王牌",
    "绝对",
    "万能",
    "保本",
    "包过",
    "秒杀",
)
NUMERALS = re.compile(r"[0-9０-９〇一二三四五六七八九十百千万亿两零半双]")


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def data_copy(tmp_path: Path, name: str, text: str) -> Path:
    """A copy of the shipped data directory with `name` replaced by `text`."""
    directory = tmp_path / "data"
    shutil.copytree(DATA, directory)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def with_line(name: str, line: str) -> str:
    """The shipped file `name` with `line` appended (it becomes the last line)."""
    return (DATA / name).read_text(encoding="utf-8").rstrip("\n") + "\n" + line + "\n"


def last_line_number(name: str) -> int:
    return len((DATA / name).read_text(encoding="utf-8").rstrip("\n").splitlines()) + 1


class TestLoaderRejectsBadData:
    @pytest.mark.parametrize(
        ("name", "line", "message"),
        [
            ("lexicon.txt", "general 赶快|赶紧", "TAB-separated"),
            ("lexicon.txt", "general\t", "TAB-separated"),
            ("lexicon.txt", "\t优惠|实惠", "TAB-separated"),
            ("lexicon.txt", "sports\t球鞋|跑鞋", "unknown domain"),
            ("lexicon.txt", "general\t限时", "2 to 5 words"),
            ("lexicon.txt", "general\t甲乙|丙丁|戊己|庚辛|壬癸|子丑", "2 to 5 words"),
            ("lexicon.txt", "general\t赶紧|火速", "already in a group"),
            ("lexicon.txt", "general\t加微信|添加微信信", "part of another word"),
            ("lexicon.txt", "general\t满减|满减券", "part of another word"),
            ("lexicon.txt", "general\t三天|几天", "digit or numeral"),
            ("lexicon.txt", "general\t好价|最低价", "blocklist"),
            ("lexicon.txt", "general\tok|好的", "Chinese characters"),
            ("emoji.txt", "hot\t🔥", "at least 2"),
            ("emoji.txt", "family\t👨‍👩‍👧 🏠", "single new emoji"),
            ("emoji.txt", "letters\tA B", "single new emoji"),
            ("emoji.txt", "again\t🔥 🧨", "single new emoji"),
            ("particles.txt", "addable\t哦", "repeated particle rule"),
            ("particles.txt", "sparkle\t哦", "unknown or repeated"),
            ("openers.txt", "any\t全网最低价来啦", "blocklist"),
            ("openers.txt", "any\t限时3天", "digit"),
            ("closers.txt", "moon\t欢迎咨询", "unknown domain"),
            ("blocklist.txt", "(unclosed\t# broken", "invalid regex"),
            ("blocklist.txt", "abc\tno comment", "reason"),
        ],
    )
    def test_error_names_file_and_line_when_line_is_bad(
        self, tmp_path: Path, name: str, line: str, message: str
    ) -> None:
        directory = data_copy(tmp_path, name, with_line(name, line))
        with pytest.raises(ValueError, match=message) as caught:
            load_lexicon_from(directory)
        assert f"{name}:{last_line_number(name)}" in str(caught.value)

    def test_error_when_version_header_missing(self, tmp_path: Path) -> None:
        text = (DATA / "lexicon.txt").read_text(encoding="utf-8").replace("# version:", "# v:")
        with pytest.raises(ValueError, match=r"lexicon\.txt.*version"):
            load_lexicon_from(data_copy(tmp_path, "lexicon.txt", text))

    def test_error_when_particle_rule_missing(self, tmp_path: Path) -> None:
        text = (DATA / "particles.txt").read_text(encoding="utf-8")
        text = "\n".join(line for line in text.splitlines() if not line.startswith("terminals"))
        with pytest.raises(ValueError, match=r"particles\.txt.*terminals"):
            load_lexicon_from(data_copy(tmp_path, "particles.txt", text))

    def test_comments_and_blank_lines_are_ignored(self, tmp_path: Path) -> None:
        text = with_line("lexicon.txt", "\n# a note\n\n")
        assert load_lexicon_from(data_copy(tmp_path, "lexicon.txt", text)) == load_lexicon()


class TestShippedLexiconShape:
    def test_version_is_dated(self, lexicon: Lexicon) -> None:
        assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", lexicon.version)

    def test_at_least_400_groups(self, lexicon: Lexicon) -> None:
        assert len(lexicon.groups) >= 400

    @pytest.mark.parametrize("domain", DOMAINS)
    def test_at_least_30_groups_per_domain(self, lexicon: Lexicon, domain: str) -> None:
        assert Counter(lexicon.domains)[domain] >= 30

    def test_domains_align_with_groups(self, lexicon: Lexicon) -> None:
        assert len(lexicon.domains) == len(lexicon.groups)

    def test_no_word_in_two_groups(self, lexicon: Lexicon) -> None:
        words = lexicon.words()
        assert len(words) == len(set(words))

    def test_group_of_points_back_to_the_group(self, lexicon: Lexicon) -> None:
        for index, group in enumerate(lexicon.groups):
            assert all(lexicon.group_of[word] == index for word in group)

    def test_mappings_are_read_only(self, lexicon: Lexicon) -> None:
        with pytest.raises(TypeError):
            lexicon.group_of["新词"] = 0  # type: ignore[index]

    def test_load_lexicon_is_cached(self) -> None:
        assert load_lexicon() is load_lexicon()


class TestShippedWordsAreSafe:
    def test_groups_have_two_to_five_words(self, lexicon: Lexicon) -> None:
        assert all(2 <= len(group) <= 5 for group in lexicon.groups)

    def test_no_word_contains_a_numeral(self, lexicon: Lexicon) -> None:
        assert [word for word in lexicon.words() if NUMERALS.search(word)] == []

    def test_no_word_is_an_absolute_claim(self, lexicon: Lexicon) -> None:
        bad = [w for w in lexicon.words() for claim in ABSOLUTE_CLAIMS if claim in w]
        assert bad == []

    def test_no_word_is_a_single_character(self, lexicon: Lexicon) -> None:
        assert [word for word in lexicon.words() if len(word) < 2] == []

    def test_no_word_matches_the_blocklist(self, lexicon: Lexicon) -> None:
        assert [w for w in lexicon.words() for p in lexicon.blocklist if p.search(w)] == []


class TestShippedEmoji:
    def test_at_least_20_classes(self, lexicon: Lexicon) -> None:
        assert len(lexicon.emoji_classes) >= 20

    def test_every_entry_is_one_emoji_with_optional_fe0f(self, lexicon: Lexicon) -> None:
        entries = [item for members in lexicon.emoji_classes for item in members]
        assert all(is_single_emoji(item) for item in entries)
        assert all("\u200d" not in item for item in entries)

    def test_bare_form_of_fe0f_entry_finds_its_class(self, lexicon: Lexicon) -> None:
        assert lexicon.emoji_class_of["❤"] == lexicon.emoji_class_of["❤️"]

    def test_direction_is_its_own_class(self, lexicon: Lexicon) -> None:
        assert lexicon.emoji_class_of["👉"] != lexicon.emoji_class_of["👇"]

    @pytest.mark.parametrize("text", ["🔥", "❤️", "✅", "☎️"])
    def test_single_emoji_accepted(self, text: str) -> None:
        assert is_single_emoji(text)

    @pytest.mark.parametrize("text", ["", "A", "字", "👨‍👩‍👧", "👍🏻", "🇨🇳", "🔥🔥", "\ufe0f"])
    def test_sequences_and_non_emoji_rejected(self, text: str) -> None:
        assert not is_single_emoji(text)


class TestShippedOpenersAndClosers:
    @pytest.mark.parametrize("kind", ["openers", "closers"])
    def test_at_least_40_for_any_domain(self, lexicon: Lexicon, kind: str) -> None:
        assert len(getattr(lexicon, kind)["any"]) >= 40

    @pytest.mark.parametrize("kind", ["openers", "closers"])
    def test_short_factless_and_claim_free(self, lexicon: Lexicon, kind: str) -> None:
        lines = [line for lines in getattr(lexicon, kind).values() for line in lines]
        assert [line for line in lines if not 4 <= len(line) <= 12] == []
        assert [line for line in lines if NUMERALS.search(line)] == []
        assert [line for line in lines for claim in ABSOLUTE_CLAIMS if claim in line] == []


class TestShippedParticlesAndBlocklist:
    def test_addable_particles_are_swappable_and_block_further_additions(
        self, lexicon: Lexicon
    ) -> None:
        particles = lexicon.particles
        assert set(particles.addable) <= set(particles.swappable) <= set(particles.blockers)

    def test_question_particle_is_never_added(self, lexicon: Lexicon) -> None:
        assert "吗" not in lexicon.particles.addable + lexicon.particles.swappable
        assert "？" not in lexicon.particles.terminals

    @pytest.mark.parametrize(
        "bad",
        [
            "快来抢购哦呀！",
            "到手只要仅要¥99",
            "全网最低价",
            "销量第一",
            "国家级品质",
            "的的确确好用哦哦",
            "立即立刻下单",
            "欢迎{限时|限量}抢购",
            "【 】",
            "开抢了啦",
            "¥199哦",
        ],
    )
    def test_blocklist_catches_known_bad_output(self, lexicon: Lexicon, bad: str) -> None:
        assert any(pattern.search(bad) for pattern in lexicon.blocklist)

    @pytest.mark.parametrize(
        "good",
        [
            "名额有限哦！",
            "到手价¥99，仅需一杯奶茶钱",
            "欢迎私信咨询～",
            "今天开抢啦",
            "活动开始了哦",
            "第二件半价",
            "最后一天",
            "最近很火的款式",
        ],
    )
    def test_blocklist_passes_ordinary_copy(self, lexicon: Lexicon, good: str) -> None:
        assert [p.pattern for p in lexicon.blocklist if p.search(good)] == []
