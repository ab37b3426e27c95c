"""Spintax: editors write `{a|b}` choices in the master; each rep's copy picks one option."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from variation._errors import SpintaxError
from variation.text._spintax import (
    Choice,
    Template,
    count_variants,
    has_spintax,
    parse_spintax,
    render_spintax,
    render_spintax_index,
)

SPECIALS = "{}|\\"

# A generated template is a sequence of nodes; a node is a literal string or a group, which is
# a list of option sequences. `encode` writes it as spintax and `renderings` lists what it can
# render to, independently of the parser (one entry per combination of picks).
Node = str | list  # list[Sequence]


def encode(sequence: list[Node]) -> str:
    return "".join(_encode_node(node) for node in sequence)


def _encode_node(node: Node) -> str:
    if isinstance(node, str):
        return escape(node)
    return "{" + "|".join(encode(option) for option in node) + "}"


def escape(text: str) -> str:
    return "".join("\\" + char if char in SPECIALS else char for char in text)


def renderings(sequence: list[Node]) -> list[str]:
    texts = [""]
    for node in sequence:
        endings = [node] if isinstance(node, str) else [t for o in node for t in renderings(o)]
        texts = [head + tail for head in texts for tail in endings]
    return texts


def variants_of(sequence: list[Node]) -> int:
    total = 1
    for node in sequence:
        if not isinstance(node, str):
            total *= sum(variants_of(option) for option in node)
    return total


def sequences(alphabet: str, depth: int = 3) -> st.SearchStrategy[list[Node]]:
    literal = st.text(alphabet, min_size=1, max_size=4)
    if depth == 0:
        return st.lists(literal, max_size=2)
    group = st.lists(sequences(alphabet, depth - 1), min_size=1, max_size=3)
    return st.lists(st.one_of(literal, group), max_size=3)


def small(sequence: list[Node]) -> bool:
    return variants_of(sequence) <= 200


PLAIN = "限时特惠量哦ab1 ，！"
WITH_SPECIALS = PLAIN + SPECIALS
small_templates = sequences(WITH_SPECIALS).filter(small)


class TestParse:
    def test_parse_nested_choices_golden(self) -> None:
        assert parse_spintax("{限时{特惠|特价}|限量}！") == Template(
            (
                Choice(
                    (
                        Template(("限时", Choice((Template(("特惠",)), Template(("特价",)))))),
                        Template(("限量",)),
                    )
                ),
                "！",
            )
        )

    def test_parse_empty_option_is_an_empty_template(self) -> None:
        optional = Choice((Template(("哦",)), Template(())))
        assert parse_spintax("好{哦|}") == Template(("好", optional))

    @pytest.mark.parametrize("source", ["{单选}", "前{单选}后", "{{单选}}", "{}单选"])
    def test_parse_single_option_group_is_no_choice(self, source: str) -> None:
        template = parse_spintax(source)
        assert not any(isinstance(part, Choice) for part in template.parts)
        assert count_variants(template) == 1

    def test_parse_merges_literal_runs(self) -> None:
        assert parse_spintax(r"a\{b{c}d") == Template(("a{bcd",))


class TestLiteralSyntax:
    @pytest.mark.parametrize(
        ("source", "rendered"),
        [
            (r"\{限时\}", "{限时}"),
            (r"a\|b", "a|b"),
            (r"C:\\路径", "C:\\路径"),
            ("a|b", "a|b"),
            (r"¯\_(ツ)_/¯", r"¯\_(ツ)_/¯"),
            ("{单选}", "单选"),
            ("{}", ""),
            (r"{\|}", "|"),
            ("", ""),
        ],
    )
    def test_renders_literal_syntax_as_written(self, source: str, rendered: str) -> None:
        template = parse_spintax(source)
        assert count_variants(template) == 1
        assert render_spintax(template, random.Random(0)) == (rendered, ())

    @given(st.text(WITH_SPECIALS + "\n😀"))
    def test_escaped_text_renders_as_itself(self, text: str) -> None:
        assert render_spintax_index(parse_spintax(escape(text)), 0) == (text, ())


class TestErrors:
    @pytest.mark.parametrize(
        ("source", "position", "says"),
        [
            ("{限时|限量", 0, "unclosed '{'"),
            ("欢迎选购{限时{特惠|特价}", 4, "unclosed '{'"),
            ("{a{b", 2, "unclosed '{'"),
            ("限时}特惠", 2, "stray '}'"),
            ("{a|b}}", 5, "stray '}'"),
            ("末尾\\", 2, "lone '\\'"),
            ("{a|b}\\\\\\", 7, "lone '\\'"),
            ("{" * 9 + "x" + "}" * 9, 8, "deeper than 8"),
            ("{a|{b|{c|{d|{e|{f|{g|{h|{i|j}}}}}}}}}", 24, "deeper than 8"),
        ],
    )
    def test_error_names_the_position(self, source: str, position: int, says: str) -> None:
        with pytest.raises(SpintaxError, match="character") as raised:
            parse_spintax(source)
        assert raised.value.position == position
        assert says in str(raised.value)
        assert f"character {position + 1}" in str(raised.value)

    @pytest.mark.parametrize("levels", range(1, 12))
    def test_nesting_allowed_up_to_eight_levels(self, levels: int) -> None:
        source = "{a|" * levels + "b" + "}" * levels
        if levels <= 8:
            assert count_variants(parse_spintax(source)) == levels + 1
        else:
            with pytest.raises(SpintaxError) as raised:
                parse_spintax(source)
            assert raised.value.position == 8 * 3

    @given(sequences(WITH_SPECIALS), st.sampled_from("{}"), st.data())
    def test_inserted_brace_at_top_level_is_reported_where_inserted(
        self, sequence: list[Node], brace: str, data: st.DataObject
    ) -> None:
        boundaries = [len(encode(sequence[:count])) for count in range(len(sequence) + 1)]
        at = data.draw(st.sampled_from(boundaries))
        source = encode(sequence)
        with pytest.raises(SpintaxError) as raised:
            parse_spintax(source[:at] + brace + source[at:])
        assert raised.value.position == at

    @given(sequences(WITH_SPECIALS))
    def test_trailing_lone_backslash_is_reported_at_the_end(self, sequence: list[Node]) -> None:
        source = encode(sequence) + "\\"
        with pytest.raises(SpintaxError) as raised:
            parse_spintax(source)
        assert raised.value.position == len(source) - 1


class TestRender:
    @given(small_templates, st.integers(0, 2**32))
    def test_render_gives_one_of_the_renderings(self, sequence: list[Node], seed: int) -> None:
        text, _ = render_spintax(parse_spintax(encode(sequence)), random.Random(seed))
        assert text in renderings(sequence)

    @given(sequences(PLAIN), st.integers(0, 2**32))
    def test_render_leaves_no_spintax_syntax(self, sequence: list[Node], seed: int) -> None:
        text, _ = render_spintax(parse_spintax(encode(sequence)), random.Random(seed))
        assert not set(text) & set(SPECIALS)

    @given(sequences(WITH_SPECIALS), st.integers(0, 2**32))
    def test_render_same_seed_same_output(self, sequence: list[Node], seed: int) -> None:
        template = parse_spintax(encode(sequence))
        assert render_spintax(template, random.Random(seed)) == render_spintax(
            template, random.Random(seed)
        )

    @given(small_templates, st.integers(0, 2**32))
    def test_render_picks_match_an_enumerated_variant(
        self, sequence: list[Node], seed: int
    ) -> None:
        template = parse_spintax(encode(sequence))
        enumerated = {render_spintax_index(template, i) for i in range(count_variants(template))}
        assert render_spintax(template, random.Random(seed)) in enumerated

    def test_render_uses_only_the_given_rng(self) -> None:
        random.seed(11)
        before = random.getstate()
        render_spintax(parse_spintax("{a|b|c}{d|e}"), random.Random(3))
        assert random.getstate() == before

    def test_render_reaches_every_variant_across_seeds(self) -> None:
        template = parse_spintax("{限时{特惠|特价}|限量}{哦|}")
        seen = {render_spintax(template, random.Random(seed))[0] for seed in range(200)}
        assert seen == set(renderings([[["限时", [["特惠"], ["特价"]]], ["限量"]], [["哦"], []]]))

    def test_render_picks_follow_choices_met_in_order(self) -> None:
        template = parse_spintax("{限时{特惠|特价}|限量}{哦|}")
        for seed in range(50):
            text, picks = render_spintax(template, random.Random(seed))
            nested = {(0, 0): "限时特惠", (0, 1): "限时特价", (1,): "限量"}
            assert text == nested[picks[:-1]] + ("哦" if picks[-1] == 0 else "")


class TestCountVariants:
    @pytest.mark.parametrize(
        ("source", "count"),
        [
            ("没有选择", 1),
            ("{a|b|c}", 3),
            ("{a|b}{c|d|e}", 6),
            ("{限时{特惠|特价}|限量}", 3),
            ("{哦|}", 2),
            ("{a|a}", 2),
            ("{{a|b}}", 2),
        ],
    )
    def test_count_variants_table(self, source: str, count: int) -> None:
        assert count_variants(parse_spintax(source)) == count

    @given(sequences(WITH_SPECIALS))
    def test_count_variants_matches_enumeration(self, sequence: list[Node]) -> None:
        assume(small(sequence))
        assert count_variants(parse_spintax(encode(sequence))) == len(renderings(sequence))


class TestRenderIndex:
    def test_render_index_golden_order(self) -> None:
        template = parse_spintax("{限时{特惠|特价}|限量}，{哦|}")
        texts = [render_spintax_index(template, i)[0] for i in range(6)]
        assert texts == [
            "限时特惠，哦",
            "限量，哦",
            "限时特价，哦",
            "限时特惠，",
            "限量，",
            "限时特价，",
        ]

    @given(small_templates)
    def test_render_index_enumerates_every_rendering_once(self, sequence: list[Node]) -> None:
        template = parse_spintax(encode(sequence))
        count = count_variants(template)
        results = [render_spintax_index(template, i) for i in range(count)]
        assert len({picks for _, picks in results}) == count
        assert Counter(text for text, _ in results) == Counter(renderings(sequence))

    @given(
        st.lists(sequences(PLAIN, depth=2), min_size=2, max_size=4).filter(
            lambda options: small([options])
        )
    )
    def test_render_index_options_take_turns(self, options: list[list[Node]]) -> None:
        template = parse_spintax(encode([options]))
        left = [variants_of(option) for option in options]
        used = [0] * len(options)
        for index in range(count_variants(template)):
            pick = render_spintax_index(template, index)[1][0]
            assert all(used[pick] <= used[other] for other in range(len(options)) if left[other])
            used[pick] += 1
            left[pick] -= 1

    @given(small_templates, st.integers(0, 1000))
    def test_render_index_wraps_around(self, sequence: list[Node], index: int) -> None:
        template = parse_spintax(encode(sequence))
        count = count_variants(template)
        assert render_spintax_index(template, index + count) == render_spintax_index(
            template, index
        )

    def test_render_index_rejects_negative(self) -> None:
        with pytest.raises(ValueError, match="non-negative"):
            render_spintax_index(parse_spintax("{a|b}"), -1)


class TestHasSpintax:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("普通文案，没有选择。", False),
            ("a|b 竖线", False),
            (r"¯\_(ツ)_/¯", False),
            ("{限时|限量}", True),
            ("{单选}", True),
            ("半个}", True),
            (r"转义\{", True),
            ("末尾\\", True),
        ],
    )
    def test_has_spintax_table(self, text: str, expected: bool) -> None:
        assert has_spintax(text) is expected

    @given(st.text(WITH_SPECIALS + "_\n", max_size=20))
    def test_has_spintax_exactly_when_rendering_could_differ(self, text: str) -> None:
        try:
            template = parse_spintax(text)
        except SpintaxError:
            assert has_spintax(text)
            return
        assert has_spintax(text) == (render_spintax_index(template, 0)[0] != text)
