"""Sentence alternatives, the one batch rule on bodies, and the detector report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.commands.vary_text import vary_text_command
from variation import SpintaxError
from variation.text import (
    IssuedText,
    Sentence,
    Voice,
    batch_clears,
    copy_body,
    count_bodies,
    detector_report,
    issue_text_copies,
    parse_sentence_spintax,
    plain_rewrite_rejections,
    sentences_to_spintax,
    split_sentences,
    vary_text,
)
from variation.text._keyed import ENGINE_KEYS
from variation.text.sentences import join_sentences

from .samples import _TERMS, POSTS, sample_post

ALTERNATIVES = POSTS.parent / "alternatives"
WITH_ALTERNATIVES = sorted(p.name for p in ALTERNATIVES.glob("*.txt"))


def alternatives(name: str) -> str:
    return (ALTERNATIVES / name).read_text(encoding="utf-8").strip("\n")


class TestSplitting:
    def test_sentences_end_at_marks_and_line_breaks(self) -> None:
        sentences = split_sentences("新品上市啦！今天下单立减5元。\n门店：天河路228号")
        assert [(s.text, s.end) for s in sentences] == [
            ("新品上市啦！", ""),
            ("今天下单立减5元。", "\n"),
            ("门店：天河路228号", ""),
        ]

    def test_a_protected_span_is_never_split(self) -> None:
        sentences = split_sentences("详情见 https://a.cn/p?id=3 或问我！好的")
        assert sentences[0].text == "详情见 https://a.cn/p?id=3 或问我！"

    @pytest.mark.parametrize("name", sorted(p.name for p in POSTS.glob("*.txt")))
    def test_joining_gives_the_master_back(self, name: str) -> None:
        master, terms = sample_post(name)
        if "{" not in master:
            assert join_sentences(split_sentences(master, protected=terms)) == master


class TestSpintaxForm:
    def test_round_trip(self) -> None:
        sentences = (
            Sentence(("限时特惠！", "限时优惠来啦！")),
            Sentence(("原价{¥399}|", "原价¥399"), "\n"),
            Sentence(("下单有礼",)),
        )
        text = sentences_to_spintax(sentences)
        assert parse_sentence_spintax(text) == sentences

    def test_inline_spintax_is_the_same_structure(self) -> None:
        sentences = parse_sentence_spintax("{限时|限量}特惠来啦！今晚8点开抢")
        assert sentences[0].options == ("限时特惠来啦！", "限量特惠来啦！")
        assert sentences[1].options == ("今晚8点开抢",)

    def test_count_bodies_multiplies_distinct_options(self) -> None:
        text = "{A。|B。|A。}{C！|D！}E"
        assert count_bodies(parse_sentence_spintax(text)) == 4

    def test_too_many_renderings_are_refused(self) -> None:
        with pytest.raises(SpintaxError):
            parse_sentence_spintax("{a|b}{c|d}{e|f}{g|h}{i|j}{k|l}{m|n}。")

    def test_batch_spreads_reps_over_the_options(self) -> None:
        text = "{今天下单立减5元！|今日下单立减5元！|下单立减5元，就在今天！}\n门店：天河路228号"
        picks = [
            next(e.after for e in vary_text(text, seed=n, slot=n).edits if e.kind == "choice")
            for n in range(6)
        ]
        assert sorted(picks) == ["0", "0", "1", "1", "2", "2"]


class TestSampleAlternatives:
    @pytest.mark.parametrize("name", WITH_ALTERNATIVES)
    def test_first_options_are_the_sample_and_every_alternative_passes_the_gate(
        self, name: str
    ) -> None:
        master, terms = sample_post(name)
        sentences = parse_sentence_spintax(alternatives(name), protected=terms)
        assert join_sentences(sentences) == master
        for sentence in sentences:
            for option in sentence.options[1:]:
                assert plain_rewrite_rejections(sentence.text, option, protected=terms) == ()

    @pytest.mark.parametrize("name", WITH_ALTERNATIVES)
    def test_at_least_half_the_sentences_have_two_alternatives(self, name: str) -> None:
        sentences = parse_sentence_spintax(alternatives(name), protected=_TERMS[name])
        assert sum(len(s.options) >= 3 for s in sentences) * 2 >= len(sentences)

    def test_at_least_six_with_and_three_without(self) -> None:
        assert len(WITH_ALTERNATIVES) >= 6
        assert len(list(POSTS.glob("*.txt"))) - len(WITH_ALTERNATIVES) >= 3


class TestBatchRule:
    MASTER = "🍵新品【桂花乌龙拿铁】上线啦！\n今天下单立减5元，到手仅需￥16～\n门店：天河路228号"

    def test_same_body_under_different_frame_lines_does_not_clear(self) -> None:
        body = self.MASTER.replace("上线啦", "上线了")
        mine = IssuedText(f"{body}\n有问题随时问我", body)
        theirs = IssuedText(f"大家好呀\n{body}\n记得收藏哦", body)
        assert not batch_clears(mine, [theirs])

    def test_a_body_equal_to_the_master_does_not_clear(self) -> None:
        copy = IssuedText(f"{self.MASTER}\n感谢关注～", self.MASTER)
        assert not batch_clears(copy, [], master=self.MASTER)
        assert batch_clears(copy, [])

    def test_batch_bodies_never_equal_each_other_or_the_master(self) -> None:
        name = "05-insurance-critical-illness.txt"
        master, terms = sample_post(name)
        copies = issue_text_copies(
            alternatives(name), [f"r{n}" for n in range(60)], seed_prefix="t", protected=terms
        )
        bodies = [c.body for c in copies]
        assert len(set(bodies)) == len(bodies) and master not in bodies

    def test_a_body_that_had_to_repeat_is_reported(self) -> None:
        master, terms = sample_post("06-food-milk-tea.txt")  # 50 characters, few variants
        copies = issue_text_copies(
            master, [f"r{n}" for n in range(60)], seed_prefix="t", protected=terms
        )
        seen: set[str] = {master}
        for copy in copies:
            assert copy.clears_batch is False or copy.body not in seen
            seen.add(copy.body)

    def test_copy_body_recovers_the_body_of_every_voice(self) -> None:
        master, terms = sample_post("11-education-math-trial.txt")
        for frame_lines in ("off", "closer", "after_first", "free"):
            for n in range(10):
                copy = vary_text(master, seed=n, protected=terms, voice=Voice(frame_lines))
                assert copy_body(copy.text, master) == copy.body


class TestDetectorReport:
    def test_identical_copies_are_all_flagged(self) -> None:
        report = detector_report(["新品上市，欢迎选购！"] * 4, "新品上市，欢迎选购！")
        assert report.flagged_pairs == report.pairs == 6
        assert report.identical_bodies == 6 and report.bodies_equal_master == 4
        assert report.advice == "添加改写可降低重复"

    def test_unrelated_copies_are_not_flagged(self) -> None:
        texts = ["今天天气很好，适合出门散步。", "本店新到一批进口咖啡豆，欢迎品尝。"]
        report = detector_report(texts, "无关的母版")
        assert report.flagged_pairs == 0 and report.advice == ""

    def test_the_engines_keys_are_refused(self) -> None:
        with pytest.raises(ValueError, match="engine"):
            detector_report(["a", "b"], "a", key=ENGINE_KEYS[0])


class TestFoldRiskOfCopies:
    def test_every_copy_gets_its_own_split_as_text(self) -> None:
        master, terms = sample_post("02-baby-sleep-training.txt")
        copy = vary_text(master, seed=1, protected=terms)
        risk = copy.fold_risk()
        assert risk.at_risk and risk.first_comment
        assert copy.text.startswith(risk.body) and copy.text.endswith(risk.first_comment)


class TestCommand:
    def test_jsonl_lines_carry_rep_text_and_body(self, tmp_path: Path) -> None:
        post = tmp_path / "post.txt"
        post.write_text(alternatives("08-fitness-personal-training.txt"), encoding="utf-8")
        args = [str(post), "--reps", "5", "--frame-lines", "closer", "--particles", "none"]
        args += [
            arg
            for term in _TERMS["08-fitness-personal-training.txt"]
            for arg in ("--protect", term)
        ]
        result = CliRunner().invoke(vary_text_command, args)
        assert result.exit_code == 0, result.output
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert [r["rep"] for r in records] == [f"rep-{n:04d}" for n in range(1, 6)]
        for record in records:
            assert record["text"].startswith(record["body"])
            assert record["text"].count("\n") == record["body"].count("\n") + 1
        assert len({r["body"] for r in records}) == 5

    def test_off_gives_bodies_equal_to_texts(self, tmp_path: Path) -> None:
        post = tmp_path / "post.txt"
        post.write_text("新品上市，欢迎选购！\n门店：天河路228号", encoding="utf-8")
        result = CliRunner().invoke(
            vary_text_command, [str(post), "--reps", "3", "--frame-lines", "off"]
        )
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert all(r["text"] == r["body"] for r in records)

    def test_unknown_voice_value_is_a_usage_error(self, tmp_path: Path) -> None:
        post = tmp_path / "post.txt"
        post.write_text("新品上市！", encoding="utf-8")
        result = CliRunner().invoke(vary_text_command, [str(post), "--particles", "lots"])
        assert result.exit_code == 2


def test_sentence_is_a_frozen_value() -> None:
    sentence = Sentence(("a",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        sentence.end = "\n"  # type: ignore[misc]
