"""Fold risk: WeChat folds long pasted posts; editors get the reason and a suggested split."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from variation.text._foldrisk import fold_risk
from variation.text._types import Span

FAMILY = "👨\u200d👩\u200d👧"
THUMB = "👍🏻"
KEYCAP = "1️⃣"
FLAG = "🇨🇳"
HEART_ON_FIRE = "❤️\u200d🔥"
URL = "https://lankou.example.com/p/88"

POST = (
    "【澜蔻水光精华】限时特惠！原价¥399，今天到手只要¥199。\n"
    "✨ 第二件半价，买二送一～\n"
    "📞 咨询热线：138-1234-5678\n"
    f"🔗 详情：{URL}\n"
    "⏰ 活动时间：7月1日-7月7日\n"
    "\n"
    "#护肤# #精华# 姐妹们冲呀！！数量有限，先到先得哦～"
)


def span_of(text: str, part: str, kind: str = "term") -> Span:
    start = text.index(part)
    return Span(start, start + len(part), kind, part)


def joined_by_whitespace(text: str, body: str, first_comment: str) -> bool:
    """text == body + (whitespace) + first_comment."""
    middle = text[len(body) : len(text) - len(first_comment)]
    return text.startswith(body) and text.endswith(first_comment) and not middle.strip()


class TestCounting:
    @pytest.mark.parametrize(
        ("text", "lines", "chars"),
        [
            ("", 0, 0),
            ("\n\n", 0, 0),
            ("一行", 1, 2),
            ("一行\n", 1, 2),
            ("一行\n\n\n", 1, 2),
            ("尾部空格  \n ", 1, 4),
            ("a\nb", 2, 2),
            ("a\n\nb", 3, 2),
            ("a\r\nb", 2, 2),
            ("\n开头空行", 2, 4),
            ("a b", 1, 3),
            (FAMILY, 1, 1),
            (THUMB + "好", 1, 2),
            (KEYCAP + "2️⃣", 1, 2),
            (FLAG + "🇯🇵", 1, 2),
            (HEART_ON_FIRE, 1, 1),
            ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 1, 1),
            ("e\u0301", 1, 1),
            (POST, 7, 144),
        ],
    )
    def test_counts_lines_and_characters_as_displayed(
        self, text: str, lines: int, chars: int
    ) -> None:
        risk = fold_risk(text)
        assert (risk.lines, risk.chars) == (lines, chars)


class TestVerdict:
    @pytest.mark.parametrize(
        ("text", "reasons"),
        [
            ("字" * 100, ()),
            ("\n".join("行" * 6), ()),
            ("字" * 101, ("共 101 字，超过 100 字会被折叠",)),
            ("\n".join("行" * 7), ("共 7 行，超过 6 行会被折叠",)),
            ("\n".join("行" * 8), ("共 8 行，超过 6 行会被折叠",)),
            (
                POST,
                ("共 7 行，超过 6 行会被折叠", "共 144 字，超过 100 字会被折叠"),
            ),
        ],
    )
    def test_at_risk_over_either_limit_with_reasons(
        self, text: str, reasons: tuple[str, ...]
    ) -> None:
        risk = fold_risk(text)
        assert risk.at_risk is bool(reasons)
        assert risk.reasons == reasons

    def test_limits_are_adjustable(self) -> None:
        risk = fold_risk("一\n二\n三\n四", max_lines=3, max_chars=3)
        assert risk.reasons == ("共 4 行，超过 3 行会被折叠", "共 4 字，超过 3 字会被折叠")

    @pytest.mark.parametrize("text", ["", "短文案。", "一行\n二行\n\n", "字" * 100 + "\n\n  "])
    def test_not_at_risk_keeps_the_whole_text_as_body(self, text: str) -> None:
        risk = fold_risk(text)
        assert (risk.at_risk, risk.body, risk.first_comment) == (False, text, "")


class TestSplit:
    def test_split_post_golden(self) -> None:
        risk = fold_risk(POST, protected=[span_of(POST, URL, "url")])
        assert risk.body == POST[: POST.index("\n⏰")]
        assert risk.first_comment == POST[POST.index("⏰") :]

    @pytest.mark.parametrize(
        ("text", "body"),
        [
            ("第一句话。" * 30, "第一句话。" * 20),
            ("这是第一句话！" + "然后，" * 40, "这是第一句话！"),
            ("字" * 90 + "“太好了！”" + "字" * 20, "字" * 90 + "“太好了！”"),
            ("甲乙丙，" * 40, "甲乙丙，" * 25),
            ("字" * 80 + "，营业9:00~18:00" + "字" * 40, "字" * 80 + "，"),
            ("字" * 150, "字" * 100),
            ("字" * 98 + "iPhone" + "字" * 10, "字" * 98),
            ("一\n二\n三\n四\n五\n六\n七\n八", "一\n二\n三\n四\n五\n六"),
            ("一\n二\n三\n四\n五\n六\n\n\n七", "一\n二\n三\n四\n五\n六"),
            ("字" * 97 + FAMILY + "字" * 10, "字" * 97 + FAMILY + "字" * 2),
        ],
    )
    def test_split_at_the_latest_best_break_that_fits(self, text: str, body: str) -> None:
        risk = fold_risk(text)
        assert risk.body == body
        assert joined_by_whitespace(text, risk.body, risk.first_comment)

    def test_first_comment_starts_after_blank_lines(self) -> None:
        text = "一\n二\n三\n四\n五\n六\n \n\n  七八"
        assert fold_risk(text).first_comment == "七八"

    def test_split_never_inside_protected_span(self) -> None:
        text = "字" * 95 + URL + "字" * 30
        risk = fold_risk(text, protected=[span_of(text, URL, "url")])
        assert risk.body == "字" * 95
        assert risk.first_comment.startswith(URL)

    def test_split_never_inside_emoji_at_the_limit(self) -> None:
        text = "字" * 99 + FAMILY + HEART_ON_FIRE + "字" * 10
        risk = fold_risk(text, max_chars=100)
        assert risk.body == "字" * 99 + FAMILY

    def test_unbreakable_opening_cut_at_its_end(self) -> None:
        long_url = "https://example.com/" + "a" * 120
        text = long_url + "。后面还有一句话。"
        risk = fold_risk(text, protected=[span_of(text, long_url, "url")])
        assert (risk.body, risk.first_comment) == (long_url + "。", "后面还有一句话。")


class TestInvalidInput:
    @pytest.mark.parametrize(
        "span",
        [Span(0, 3, "price", "¥99"), Span(5, 40, "url", "x" * 35), Span(3, 2, "term", "")],
    )
    def test_span_not_matching_the_text_is_refused(self, span: Span) -> None:
        with pytest.raises(ValueError, match="protected span"):
            fold_risk("原价¥199，今天特价。", protected=[span])

    @pytest.mark.parametrize(("max_lines", "max_chars"), [(0, 100), (6, 0), (-1, -1)])
    def test_limits_below_one_are_refused(self, max_lines: int, max_chars: int) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            fold_risk("文案", max_lines=max_lines, max_chars=max_chars)


# Posts assembled from tokens; some multi-character tokens get protected. A protected token or
# an emoji must never be split; the rest may be.
UNBREAKABLE = [FAMILY, THUMB, KEYCAP, FLAG, HEART_ON_FIRE]
PROTECTABLE = ["¥199", "138-1234-5678", "a.cn/x?y=1", "iPhone", "7月1日"]
TOKENS = [*"限时特惠好物推荐买送。！，、~\n ", *UNBREAKABLE, *PROTECTABLE]


@st.composite
def posts(draw: st.DrawFn) -> tuple[str, list[Span], set[int]]:
    """A post not starting with whitespace, its protected spans and the offsets a cut may use."""
    first = draw(st.sampled_from([t for t in TOKENS if not t.isspace()]))
    tokens = [first, *draw(st.lists(st.sampled_from(TOKENS), max_size=160))]
    protect = draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens)))
    text, spans, allowed = "", [], {0}
    for token, protected in zip(tokens, protect, strict=True):
        start = len(text)
        text += token
        if token in UNBREAKABLE or (token in PROTECTABLE and protected):
            if token in PROTECTABLE:
                spans.append(Span(start, len(text), "term", token))
        else:
            allowed.update(range(start + 1, len(text)))
        allowed.add(len(text))
    return text, spans, allowed


limits = st.tuples(st.integers(1, 8), st.integers(20, 120))


class TestSplitProperties:
    @given(posts(), limits)
    def test_body_and_first_comment_reproduce_the_text(
        self, post: tuple[str, list[Span], set[int]], limit: tuple[int, int]
    ) -> None:
        text, spans, _ = post
        risk = fold_risk(text, max_lines=limit[0], max_chars=limit[1], protected=spans)
        assert joined_by_whitespace(text, risk.body, risk.first_comment)

    @given(posts(), limits)
    def test_cut_never_inside_protected_span_or_emoji(
        self, post: tuple[str, list[Span], set[int]], limit: tuple[int, int]
    ) -> None:
        text, spans, allowed = post
        risk = fold_risk(text, max_lines=limit[0], max_chars=limit[1], protected=spans)
        assert len(risk.body) in allowed
        assert len(text) - len(risk.first_comment) in allowed

    @given(posts(), limits)
    def test_body_fits_both_limits(
        self, post: tuple[str, list[Span], set[int]], limit: tuple[int, int]
    ) -> None:
        text, spans, _ = post
        max_lines, max_chars = limit
        risk = fold_risk(text, max_lines=max_lines, max_chars=max_chars, protected=spans)
        body = fold_risk(risk.body, max_lines=max_lines, max_chars=max_chars)
        assert not body.at_risk
        assert risk.body.strip() or not text.strip()
        assert risk.at_risk == bool(risk.first_comment)
