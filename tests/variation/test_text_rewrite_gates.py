"""Placeholders and the fidelity gate that every sentence rewrite must pass."""

from __future__ import annotations

import pytest

from variation.text.gates import plain_rewrite_rejections, rewrite_rejections
from variation.text.placeholders import (
    PlaceholderError,
    mask_like,
    mask_protected,
    restore_placeholders,
)

SENTENCE = "会员日到手价¥269，下单再送同款小样3支，详情看 https://m.lankou.cn/s/xg25"


def codes(candidate: str, sentence: str = SENTENCE) -> list[str]:
    return [r.code for r in rewrite_rejections(mask_protected(sentence), candidate)]


class TestMasking:
    def test_every_protected_span_becomes_a_numbered_placeholder(self) -> None:
        masked = mask_protected(SENTENCE)
        assert masked.text == "会员日⟦1⟧，下单再送同款小样⟦2⟧，详情看 ⟦3⟧"
        assert masked.values == ("到手价¥269", "3支", "https://m.lankou.cn/s/xg25")

    def test_editor_terms_are_masked_too(self) -> None:
        masked = mask_protected("澜蔻的水光精华上新", protected=("水光精华", "澜蔻"))
        assert masked.text == "⟦1⟧的⟦2⟧上新"

    def test_restore_puts_values_back_in_the_candidates_order(self) -> None:
        masked = mask_protected(SENTENCE)
        restored = restore_placeholders(masked, "下单就送同款小样⟦2⟧，会员日⟦1⟧，戳 ⟦3⟧")
        assert restored == ("下单就送同款小样3支，会员日到手价¥269，戳 https://m.lankou.cn/s/xg25")

    @pytest.mark.parametrize(
        "candidate", ["会员日⟦1⟧，小样⟦2⟧", "⟦1⟧⟦1⟧⟦2⟧⟦3⟧", "⟦1⟧⟦2⟧⟦3⟧⟦4⟧", "⟦1⟧⟦2⟧⟦3⟧⟦"]
    )
    def test_restore_refuses_placeholders_that_do_not_match(self, candidate: str) -> None:
        with pytest.raises(PlaceholderError):
            restore_placeholders(mask_protected(SENTENCE), candidate)

    def test_mask_like_never_matches_inside_a_placeholder(self) -> None:
        masked = mask_protected("第3期报名，名额30个")
        assert mask_like(masked, "名额30个，第3期报名") == "名额⟦2⟧，⟦1⟧报名"


class TestGate:
    def test_a_faithful_rewrite_passes(self) -> None:
        assert codes("下单还送同款小样⟦2⟧，会员日⟦1⟧，戳 ⟦3⟧ 了解") == []

    @pytest.mark.parametrize(
        ("candidate", "code"),
        [
            ("会员日⟦1⟧，下单再送同款小样，详情看 ⟦3⟧", "placeholder_missing"),
            ("会员日⟦1⟧⟦1⟧，小样⟦2⟧，详情看 ⟦3⟧", "placeholder_repeated"),
            ("会员日⟦1⟧，小样⟦2⟧，详情看 ⟦3⟧⟦4⟧", "placeholder_unknown"),
            ("会员日⟦1⟧，小样⟦2⟧，详情看 ⟦3", "placeholder_debris"),
            ("会员日⟦1⟧，小样⟦2⟧再减10元，详情看 ⟦3⟧", "new_number"),
            ("会员日⟦1⟧，小样⟦2⟧，送三份，详情看 ⟦3⟧", "new_number"),
            ("会员日⟦1⟧，小样⟦2⟧，详情看 ⟦3⟧ 或 www.other.cn", "new_url"),
            ("会员日⟦1⟧，小样⟦2⟧ free，详情看 ⟦3⟧", "new_latin"),
            ("會員日⟦1⟧，下單再送同款小樣⟦2⟧，詳情看 ⟦3⟧", "script"),
            ("会员日⟦1⟧，最划算，小样⟦2⟧，详情看 ⟦3⟧", "blocklist"),
            ("会员日⟦1⟧，\n下单送小样⟦2⟧，详情看 ⟦3⟧", "line_break"),
            ("会员日⟦1⟧，下单再送同款小样⟦2⟧，详情看 ⟦3⟧", "unchanged"),
            ("  ", "empty"),
        ],
    )
    def test_each_kind_of_unfaithful_candidate_is_rejected(self, candidate: str, code: str) -> None:
        assert code in codes(candidate)

    def test_a_blocklisted_phrase_the_sentence_already_has_is_allowed(self) -> None:
        assert codes("现在开抢，秒杀只要⟦1⟧", "秒杀¥99，快来") == []

    @pytest.mark.parametrize(
        "candidate", ["限时⟦1⟧", "限时⟦1⟧，名额不多，先到先得，喜欢的朋友抓紧时间下单哦"]
    )
    def test_length_outside_the_bounds_is_rejected(self, candidate: str) -> None:
        assert "length" in codes(candidate, "限时特惠只要¥99，名额不多")

    def test_plain_rewrite_must_keep_each_value_as_written(self) -> None:
        assert plain_rewrite_rejections("下单送小样3支，快来", "快来，下单送小样3支哦") == ()
        rejected = plain_rewrite_rejections("下单送小样3支，快来", "快来，下单送小样三支")
        assert {r.code for r in rejected} >= {"placeholder_missing", "new_number"}

    def test_traditional_sentence_wants_a_traditional_rewrite(self) -> None:
        sentence = "每天新鮮出爐，外皮酥脆"
        assert plain_rewrite_rejections(sentence, "外皮酥脆，每天新鮮出爐") == ()
        assert plain_rewrite_rejections(sentence, "外皮酥脆，每天新鲜出炉")[0].code == "script"
