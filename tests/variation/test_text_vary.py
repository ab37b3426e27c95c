"""vary_text: one rep's copy reads like the master, with every protected span untouched."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from variation import SpintaxError
from variation.text import TextOptions, find_protected, vary_text
from variation.text._script import to_traditional

from .samples import SAMPLE_POSTS, sample_post

SERUM = (
    "【澜蔻水光精华】限时特惠！原价¥399，今天到手只要¥199～\n"
    "✅ 补水保湿，一瓶搞定\n✅ 温和不刺激，敏感肌也能用\n"
    "活动时间：7月1日-7月3日\n咨询电话：138-1234-5678\n"
    "戳链接抢购 https://shop.example.com/p/8848 #护肤# #补水#"
)
TERMS = ("澜蔻", "水光精华")


def copy(text: str = SERUM, seed: int | str = 1, **kwargs: object) -> str:
    return vary_text(text, seed=seed, protected=TERMS, **kwargs).text  # type: ignore[arg-type]


class TestDeterminism:
    @given(seed=st.integers(0, 10**9))
    @settings(max_examples=30, deadline=None)
    def test_same_seed_gives_same_copy(self, seed: int) -> None:
        assert copy(seed=seed) == copy(seed=seed)

    def test_different_seeds_give_different_copies(self) -> None:
        copies = {copy(seed=f"rep-{n}") for n in range(50)}
        assert len(copies) >= 45

    def test_result_records_what_changed(self) -> None:
        variant = vary_text(SERUM, seed="rep-7", protected=TERMS)
        assert variant.seed == "rep-7"
        assert variant.edits, "a default copy changes something"
        assert all(e.after in variant.text for e in variant.edits if e.kind == "synonym")


class TestProtection:
    @pytest.mark.parametrize("name", sorted(SAMPLE_POSTS))
    def test_protected_spans_byte_identical_in_every_sample(self, name: str) -> None:
        master, terms = sample_post(name)
        for n in range(20):
            variant = vary_text(master, seed=n, protected=terms)
            for span in variant.protected:
                assert variant.text[span.start : span.end] == span.text

    def test_reported_spans_are_the_masters(self) -> None:
        variant = vary_text(SERUM, seed=3, protected=TERMS)
        assert sorted(s.text for s in variant.protected) == sorted(
            s.text for s in find_protected(SERUM, TERMS)
        )

    @given(
        price=st.integers(1, 99999).map(lambda n: f"¥{n}"),
        phone=st.from_regex(r"1[3-9][0-9]-[0-9]{4}-[0-9]{4}", fullmatch=True),
        path=st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True),
        day=st.integers(1, 28),
        seed=st.integers(0, 10**6),
    )
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_random_facts_survive(
        self, price: str, phone: str, path: str, day: int, seed: int
    ) -> None:
        url = f"https://m.example.cn/{path}"
        master = (
            f"限时特惠！新品上市，到手价{price}，仅限7月{day}日当天～\n"
            f"咨询热线：{phone}\n立即抢购 {url} 欢迎咨询！"
        )
        text = vary_text(master, seed=seed).text
        for fact in (price, phone, url, f"7月{day}日"):
            assert text.count(fact) == master.count(fact)


class TestFidelityGates:
    @pytest.mark.parametrize("name", sorted(SAMPLE_POSTS))
    def test_every_sample_copy_passes(self, name: str) -> None:
        master, terms = sample_post(name)
        for n in range(20):
            text = vary_text(master, seed=n, protected=terms).text
            assert 0.8 <= len(text) / len(master) <= 1.4
            assert text.count("\n") >= master.count("\n")

    def test_line_breaks_kept_without_frame_lines(self) -> None:
        options = TextOptions(opener_rate=0, closer_rate=0)
        for n in range(20):
            lines = copy(seed=n, options=options).split("\n")
            assert len(lines) == SERUM.count("\n") + 1
            assert "https://shop.example.com/p/8848" in lines[-1]

    def test_nothing_glued_onto_link_or_phone(self) -> None:
        for n in range(40):
            text = copy(seed=n)
            assert re.search(r"https://shop\.example\.com/p/8848(\s|$)", text)
            assert not re.search(r"138-1234-5678[0-9\-]", text)

    def test_multi_codepoint_emoji_untouched(self) -> None:
        master = "周末带娃出游👨‍👩‍👧超开心！全家福套餐¥299❤️快来预约吧～"
        for n in range(30):
            assert "👨‍👩‍👧" in copy(master, seed=n)

    def test_never_nfkc_normalised(self) -> None:
        master = "会员专享价￥１９９！①号店今天开业，欢迎光临～"
        for n in range(20):
            text = copy(master, seed=n)
            assert "￥１９９" in text and "①号" in text


class TestTraditional:
    MASTER = (
        "【新品上架】門市限時優惠！原價HK$399，現在只要HK$299～\n"
        "歡迎來店試用，名額有限，快來預約吧！"
    )

    def test_stays_traditional(self) -> None:
        variant = vary_text(self.MASTER, seed=5)
        assert variant.script == "traditional"
        for n in range(30):
            text = vary_text(self.MASTER, seed=n).text
            assert "HK$399" in text and "HK$299" in text

    def test_additions_written_in_traditional(self) -> None:
        added = {
            ch
            for n in range(30)
            for ch in vary_text(self.MASTER, seed=n).text
            if ch not in self.MASTER
        }
        assert added, "copies add words"
        assert {ch for ch in added if to_traditional(ch) != ch} == set()


class TestSpintax:
    def test_choices_resolved_per_rep(self) -> None:
        master = "{限时|限量}特惠，今晚8点开抢！"
        texts = {copy(master, seed=n) for n in range(40)}
        assert not any("{" in t or "|" in t for t in texts)
        assert any("限时" in t for t in texts) and any("限量" in t for t in texts)

    def test_index_spreads_choices_evenly(self) -> None:
        master = "{限时|限量}特惠，今晚8点开抢！"
        firsts = [vary_text(master, seed=0, slot=i).text for i in range(4)]
        assert sum("限时" in t for t in firsts) == 2

    def test_invalid_syntax_names_the_position(self) -> None:
        with pytest.raises(SpintaxError) as error:
            vary_text("今晚{限时|限量特惠", seed=1)
        assert error.value.position == 2


class TestSignature:
    def test_signature_is_the_last_line(self) -> None:
        text = copy(seed=4, signature="小王")
        assert text.endswith("—— 小王")


class TestWording:
    @pytest.mark.parametrize(
        ("master", "wrong"),
        [
            ("✅ 坚持使用28天，皮肤水润透亮", "长期使用"),  # a regimen, not "long-term"
            ("每周六上午10:00开课，名额有限～", "开班"),  # each session, not a new cohort
            ("每天新鲜出炉，外皮酥脆！", "刚刚出炉"),  # habitual, not "just now"
            ("私教课限时3折，名额有限，先到先得！", "席位"),  # no seats in a gym
            ("麥香坊今天開賣囉！歡迎選購", "囉呀"),  # no particle stacked on 囉
        ],
    )
    def test_known_wrong_rewordings_never_appear(self, master: str, wrong: str) -> None:
        for n in range(40):
            assert wrong not in vary_text(master, seed=n).text
