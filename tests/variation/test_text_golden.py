"""Golden values: fixed (post, seed) pairs give exactly these copies and fingerprints.

A change here means every stored copy would now be issued differently: bump the lexicon
version when it is intended. Also pins our SimHash to the `simhash` package, the reference
implementation the diversity thresholds are quoted for.
"""

from __future__ import annotations

import unicodedata

import pytest
from simhash import Simhash

from variation.text import fingerprint, load_lexicon, normalise, vary_text
from variation.text._fingerprint import char_ngrams, simhash, words

from .samples import sample_post

GOLDEN = {
    ("06-food-milk-tea.txt", "rep-0001"): (
        "小小分享～需要的先收藏\n"
        "🍵茶里有山 新品【桂花乌龙拿铁】上线啦～\n"
        "今日下单立减5元，到手仅需￥16～\n"
        "门店：天河路228号🧡\n"
        "感恩遇见"
    ),
    ("11-education-math-trial.txt", "rep-0002"): (
        "建议收藏～\n"
        "🧮思维乐园 小学数学思维课 免费试听啦！\n"
        "适合6-10岁，每周六上午10:00开课\n"
        "名额有限，先抢先得～\n"
        "报名电话：0755-2633 8899\n"
        "详情请私聊，分享给身边的朋友吧"
    ),
    ("09-food-bakery-traditional.txt", "rep-0003"): (
        "來報個喜，敲黑板～\n"
        "🥐麥香坊 聖誕限定【焦糖蘋果派】今日開售囉！！\n"
        "每日現烤出爐，表皮酥脆、內餡香甜不膩口😋\n"
        "✅ 會員持卡享 9 折\n"
        "✅ 12/20 前預訂聖誕禮盒，附贈手工餅乾一包🎁\n"
        "✅ 單個 180元，兩顆只要 320元\n"
        "營業時段：早上 7:30～晚上 9:00\n"
        "門市：台北市大安區忠孝東路四段 216 號\n"
        "訂購熱線：(02) 2712-3456\n"
        "網路預訂👉 https://maixiangfang.com.tw/xmas\n"
        "#麥香坊# #聖誕甜點\n"
        "有啥想問的儘管問，記得收藏哦"
    ),
    ("10-retail-home-spintax.txt", "rep-0004"): (
        "各位好呀，来给大家安利，用得上的瞧瞧\n"
        "🎊简木家居 周年庆限量特惠来了！！\n"
        "今晚8点准时开抢\n"
        "✔️ 云朵布艺沙发 满3000减400\n"
        "✔️ 北欧实木餐桌 ¥1699（原价¥2599）\n"
        "✔️ 全店床品 5折起\n"
        "活动时间：11月11日 20:00—11月13日 23:59\n"
        "下单链接➡️ https://jianmu.cn/a/1111\n"
        "全国包邮，支持7天无理由退换\n"
        "有需要的朋友私我～ #简木家居# @简木家居官方\n"
        "有啥想问的尽管问，愿你每日好心情"
    ),
}


class TestGoldenCopies:
    def test_lexicon_version_is_the_one_the_values_were_taken_with(self) -> None:
        assert load_lexicon().version == "2026.11.2"

    @pytest.mark.parametrize(("post", "seed"), sorted(GOLDEN))
    def test_copy_is_exactly_the_recorded_one(self, post: str, seed: str) -> None:
        master, terms = sample_post(post)
        assert vary_text(master, seed=seed, protected=terms).text == GOLDEN[post, seed]


TEXTS = (
    "新品上市，欢迎选购！",
    "🍵茶里有山 新品【桂花乌龙拿铁】上线啦！今天下单立减5元，到手仅需￥16～",
    "麥香坊 聖誕限定【焦糖蘋果派】今天開賣囉！每天新鮮出爐",
    "abc",
)


class TestSimhashMatchesReference:
    @pytest.mark.parametrize("text", TEXTS)
    def test_char_4gram_simhash_equals_the_simhash_package(self, text: str) -> None:
        grams = char_ngrams(normalise(text), 4)
        assert simhash(grams) == Simhash(grams, f=64).value
        assert fingerprint(text).char_simhash == Simhash(grams, f=64).value

    @pytest.mark.parametrize("text", TEXTS)
    def test_word_simhash_equals_the_simhash_package(self, text: str) -> None:
        assert fingerprint(text).word_simhash == Simhash(words(text), f=64).value

    def test_repeated_features_weigh_more(self) -> None:
        features = ["新品", "新品", "新品", "上市", "欢迎"]
        assert simhash(features) == Simhash(features, f=64).value


class TestNormalise:
    def test_keeps_exactly_letters_and_digits(self) -> None:
        sample = "".join(sample_post(name)[0] for name in ("02-baby-sleep-training.txt",))
        sample += "_～！？。，、·—…“”「」【】《》①２３ⅣＡｂ😊👨‍👩‍👧❤️ \t\n"
        expected = "".join(ch for ch in sample if unicodedata.category(ch)[0] in "LN")
        assert normalise(sample) == expected
