"""Brand voice: the first line stays first, punctuation keeps its width, particles and frame
lines follow the voice, frame lines fit the post, compounds and fixed phrases stay whole."""

from __future__ import annotations

import re

import pytest
from rapidfuzz.distance import Indel

from variation.text import Voice, find_protected, vary_text
from variation.text._frames import particles_in
from variation.text._pieces import FULL_WIDTH, HALF_WIDTH, analyse
from variation.text._transforms import whole_token

from .samples import SAMPLE_POSTS, sample_post

SEEDS = range(40)


DEFAULT = Voice()


def copies(name: str, voice: Voice = DEFAULT, seeds: range = SEEDS) -> list[str]:
    master, terms = sample_post(name)
    return [vary_text(master, seed=n, protected=terms, voice=voice).text for n in seeds]


class TestFirstLine:
    @pytest.mark.parametrize("name", sorted(SAMPLE_POSTS))
    @pytest.mark.parametrize("frame_lines", ["off", "closer", "after_first"])
    def test_first_line_is_the_masters_varied_only_inside(
        self, name: str, frame_lines: str
    ) -> None:
        master, terms = sample_post(name)
        if "{" in master:
            pytest.skip("the first line holds editor alternatives")
        first = master.split("\n")[0]
        spans = {s.text for s in find_protected(first, terms)}
        for text in copies(name, Voice(frame_lines=frame_lines)):  # type: ignore[arg-type]
            line = text.split("\n")[0]
            assert all(span in line for span in spans), line
            assert Indel.normalized_similarity(first, line) >= 0.7, (first, line)
            assert particles_in(line) <= particles_in(first), line

    def test_after_first_puts_the_opener_second(self) -> None:
        master, terms = sample_post("06-food-milk-tea.txt")
        for n in SEEDS:
            copy = vary_text(master, seed=n, protected=terms, voice=Voice("after_first"))
            opener = next((e.after for e in copy.edits if e.kind == "opener"), None)
            if opener is not None:  # later steps may reword it (看过来 → 瞧过来)
                lines = copy.text.split("\n")
                assert lines[0] == copy.body.split("\n")[0]
                assert lines[1] not in copy.body.split("\n")
                assert copy.body.split("\n")[1] == lines[2]

    def test_off_adds_no_line(self) -> None:
        master, _ = sample_post("11-education-math-trial.txt")
        for text in copies("11-education-math-trial.txt", Voice("off")):
            assert text.count("\n") == master.count("\n")

    def test_body_leaves_out_frame_lines_and_signature(self) -> None:
        master, terms = sample_post("06-food-milk-tea.txt")
        copy = vary_text(master, seed=3, protected=terms, voice=Voice("free"), signature="小王")
        added = [e.after for e in copy.edits if e.kind in {"opener", "closer", "signature"}]
        assert len(added) >= 2 and copy.text.endswith("—— 小王")
        assert copy.text.count("\n") == master.count("\n") + len(added)
        assert copy.body.count("\n") == master.count("\n")
        assert "小王" not in copy.body


class TestPunctuationWidth:
    HALF = "新品上市,欢迎选购!今晚8点开抢:限量100份,先到先得.还有问题?私我"
    FULL = "新品上市，欢迎选购！今晚8点开抢：限量100份，先到先得。还有问题？私我"

    @pytest.mark.parametrize("frame_lines", ["closer", "free"])
    def test_a_half_width_master_gets_no_full_width_mark(self, frame_lines: str) -> None:
        for n in SEEDS:
            text = vary_text(self.HALF, seed=n, voice=Voice(frame_lines, "normal")).text  # type: ignore[arg-type]
            assert not any(ch in FULL_WIDTH for ch in text), text

    def test_a_full_width_master_gets_no_half_width_mark(self) -> None:
        for n in SEEDS:
            text = vary_text(self.FULL, seed=n, voice=Voice("free", "normal")).text
            assert not any(ch in HALF_WIDTH for ch in text), text

    @pytest.mark.parametrize("name", sorted(SAMPLE_POSTS))
    def test_samples_of_one_width_stay_in_it(self, name: str) -> None:
        master, terms = sample_post(name)
        width = analyse(master, frozenset(terms)).width
        other = HALF_WIDTH if width == "full" else FULL_WIDTH
        if width == "mixed":
            pytest.skip("a master that mixes widths keeps them as written")
        for n in SEEDS:
            copy = vary_text(master, seed=n, protected=terms)
            outside = list(copy.text)
            for span in copy.protected:
                outside[span.start : span.end] = [" "] * (span.end - span.start)
            assert not any(ch in other for ch in outside), copy.text


class TestParticles:
    @pytest.mark.parametrize("name", sorted(SAMPLE_POSTS))
    def test_light_adds_at_most_one_particle(self, name: str) -> None:
        master, terms = sample_post(name)
        for n in SEEDS:
            copy = vary_text(master, seed=n, protected=terms, voice=Voice("free", "light"))
            changed = sum(e.kind == "particle" for e in copy.edits)
            framed = sum(
                particles_in(e.after) for e in copy.edits if e.kind in {"opener", "closer"}
            )
            assert changed + framed <= 1, copy.text
            assert particles_in(copy.text) - particles_in(master) <= 1, copy.text

    def test_none_adds_no_particle_anywhere(self) -> None:
        master, terms = sample_post("05-insurance-critical-illness.txt")
        for n in SEEDS:
            copy = vary_text(master, seed=n, protected=terms, voice=Voice("free", "none"))
            assert not any(e.kind == "particle" for e in copy.edits)
            assert particles_in(copy.text) <= particles_in(master), copy.text


class TestFrameFit:
    def test_insurance_never_gets_a_light_shopping_line(self) -> None:
        for text in copies("05-insurance-critical-illness.txt", Voice("free"), range(150)):
            assert not any(word in text for word in ("趁热", "种草", "安利", "爱你们")), text

    def test_insurance_full_stops_stay_full_stops(self) -> None:
        master, _ = sample_post("05-insurance-critical-illness.txt")
        for text in copies("05-insurance-critical-illness.txt", Voice("free", "normal")):
            assert text.count("。") == master.count("。"), text
            assert not re.search(r"[哦呢啦呀吧咯]。", text), text

    def test_a_promotion_never_gets_a_relationship_line(self) -> None:
        for text in copies("07-retail-autumn-sale.txt", Voice("free"), range(150)):
            assert "陪伴" not in text and "感恩遇见" not in text, text


class TestWholeWords:
    def test_a_synonym_never_eats_into_a_longer_compound(self) -> None:
        master = "🏡云栖湾样板间开放！周末看房专车接送，到访有礼～\n预约电话：021-6988 5200"
        for n in range(80):
            text = vary_text(master, seed=n, voice=Voice("free", "normal")).text
            assert "专车接送" in text and "房车" not in text, text

    @pytest.mark.parametrize(
        ("left", "word", "right", "whole"),
        [
            ("周末", "看房", "专车接送", True),
            ("看房", "专车", "接送", False),  # jieba reads 专车接送 as one word
            ("看房", "车", "接送", False),  # 看房车接送 reads as 看/房车/接送
        ],
    )
    def test_whole_token_follows_jieba(self, left: str, word: str, right: str, whole: bool) -> None:
        assert whole_token(left, word, right) is whole

    def test_fixed_phrases_stay_as_written(self) -> None:
        master, _ = sample_post("02-baby-sleep-training.txt")
        for text in copies("02-baby-sleep-training.txt", Voice("free", "normal")):
            assert "（微信同号）" in text, text
        assert "微信同号" in master
