"""Specification of automatic protected-span detection (`find_protected`)."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from variation.text._protect import find_protected
from variation.text._types import Span


def covered(spans: tuple[Span, ...], start: int, end: int) -> bool:
    return any(s.start <= start and end <= s.end for s in spans)


def touched(spans: tuple[Span, ...], start: int, end: int) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def occurrences(text: str, part: str) -> list[int]:
    found, at = [], text.find(part)
    while at >= 0:
        found.append(at)
        at = text.find(part, at + 1)
    return found


def assert_protected(text: str, part: str, terms: tuple[str, ...] = ()) -> None:
    spans = find_protected(text, terms)
    assert part in text, f"bad test: {part!r} not in {text!r}"
    for at in occurrences(text, part):
        assert covered(spans, at, at + len(part)), (part, [s.text for s in spans])


def span_texts(text: str, terms: tuple[str, ...] = ()) -> list[str]:
    return [s.text for s in find_protected(text, terms)]


RECOGNISED = [
    # URLs, with or without scheme
    (
        "活动详情戳 https://m.lankou.cn/act?id=618&from=moments 了解",
        "https://m.lankou.cn/act?id=618&from=moments",
    ),
    ("报名链接：http://edu.xueba.com/spring2026", "http://edu.xueba.com/spring2026"),
    ("官网www.anxinbao.com.cn查看条款", "www.anxinbao.com.cn"),
    ("领券入口 t.cn/A6xYz9Q 手慢无", "t.cn/A6xYz9Q"),
    ("下单地址abc.com/x，限今天", "abc.com/x"),
    ("点这里https：//shop.example.com/p/123看详情", "https：//shop.example.com/p/123"),
    # e-mails
    ("简历请发至 hr@xueba-edu.com ，注明岗位", "hr@xueba-edu.com"),
    ("合作邮箱：bd.team@lankou.cn", "bd.team@lankou.cn"),
    # phone numbers
    ("预约电话13812345678，微信同号", "13812345678"),
    ("手机：138 1234 5678（王老师）", "138 1234 5678"),
    ("客服138-1234-5678随时在线", "138-1234-5678"),
    ("境外拨打+86 139 8765 4321", "+86 139 8765 4321"),
    ("全国热线400-820-8820", "400-820-8820"),
    ("服务热线 400 123 4567 全天候", "400 123 4567"),
    ("售楼处010-12345678", "010-12345678"),
    ("门店电话0755-8888 6666", "0755-8888 6666"),
    ("总机(021)12345678转801", "(021)12345678转801"),
    ("咨询（０２１）８７６５４３２１", "（０２１）８７６５４３２１"),
    ("手机１３８１２３４５６７８", "１３８１２３４５６７８"),
    # prices and currency
    ("原价¥399，现在下单", "¥399"),
    ("到手仅需￥1,299.00！", "￥1,299.00"),
    ("一盒199元，两盒更划算", "199元"),
    ("体验课199 元一节", "199 元"),
    ("直播间到手价199包邮", "到手价199"),
    ("首付只要2.5万，轻松上车", "2.5万"),
    ("港澳用户 HK$88 即可购买", "HK$88"),
    ("学费RMB 3980/学期", "RMB 3980/学期"),
    ("课程费用：￥3,980/期", "￥3,980/期"),
    ("年缴3650元，保额50万", "3650元"),
    ("奶粉￥２５９一罐", "￥２５９"),
    ("每盒¥99/盒，买三盒包邮", "¥99/盒"),
    ("9块9包邮到家", "9块9"),
    ("小区均价2.3万/㎡", "2.3万/㎡"),
    # discounts
    ("全场3折起", "3折"),
    ("会员再享7.5折", "7.5折"),
    ("第二件半价，买到就是赚到", "第二件半价"),
    ("满299减50，上不封顶", "满299减50"),
    ("每满300减40，叠加券更省", "每满300减40"),
    ("买一送一，送完即止", "买一送一"),
    ("买2送1，数量有限", "买2送1"),
    ("满2件打8折", "满2件打8折"),
    ("下单立减50元", "立减50元"),
    ("八折优惠仅此一天", "八折"),
    # percentages
    ("保湿力提升30%，肉眼可见", "30%"),
    ("首年返还30％保费", "30％"),
    ("纯度高达百分之九十九", "百分之九十九"),
    # dates and times
    ("7月1日正式开售", "7月1日"),
    ("活动截止7/1，抓紧", "7/1"),
    ("开盘日期：2026-07-01", "2026-07-01"),
    ("2026年7月1日起执行新费率", "2026年7月1日"),
    ("２０２６年７月１日开课", "２０２６年７月１日"),
    ("本周六到店有礼", "周六"),
    ("星期六上午十点开课", "星期六"),
    ("星期六上午十点开课", "上午十点"),
    ("直播19:30准时开始", "19:30"),
    ("直播19：30准时开始", "19：30"),
    ("今天晚8点开抢", "晚8点"),
    ("8点半准时上链接", "8点半"),
    ("时间19:30~21:00", "19:30~21:00"),
    ("时间19：30～21：00", "19：30～21：00"),
    ("活动时间7.1-7.3", "7.1-7.3"),
    ("周一至周五均可预约", "周一至周五"),
    ("双11预售今晚开启", "双11"),
    # digit runs with their units
    ("买3瓶更划算", "3瓶"),
    ("每瓶500ml，大容量", "500ml"),
    ("每瓶500 ml，大容量", "500 ml"),
    ("持妆2小时不脱妆", "2小时"),
    ("小班课仅限12人", "12人"),
    ("30天无理由退换", "30天"),
    ("适合6个月以上宝宝", "6个月"),
    ("湿巾80抽*6包", "80抽*6包"),
    ("奶粉800g/罐", "800g/罐"),
    ("已有10000+宝妈选择", "10000+"),
    ("距地铁站500米", "500米"),
    ("89㎡三房两厅", "89㎡"),
    ("适用0-3岁宝宝", "0-3岁"),
    ("第3期训练营", "第3期"),
    ("第2件0元", "第2件0元"),
    ("成分表有12种精华", "12种"),
    ("限量３瓶", "３瓶"),
    # Chinese numerals with quantifiers
    ("第二件", "第二件"),
    ("质保两年", "两年"),
    ("连续打卡三天", "三天"),
    ("只要一百元", "一百元"),
    ("囤了十瓶", "十瓶"),
    ("半年后见效", "半年"),
    ("一个半月见效", "一个半月"),
    ("坚持一个月", "一个月"),
    ("一年质保", "一年"),
    ("排名第一", "第一"),
    ("三十天无理由", "三十天"),
    # hashtags and mentions
    ("#夏日好物# 清爽一夏", "#夏日好物#"),
    ("#防晒 #户外", "#防晒"),
    ("#防晒 #户外", "#户外"),
    ("＃开学季＃报名中", "＃开学季＃"),
    ("家长们看过来#早教，名额有限", "#早教"),
    ("感谢@小美 推荐", "@小美"),
    ("关注＠安心保官方", "＠安心保官方"),
    # quoted text
    ("【限时秒杀】今晚开抢", "【限时秒杀】"),
    ("「爆款」回归", "「爆款」"),
    ("推荐绘本《小熊很忙》", "《小熊很忙》"),
    ("宝妈都说“真的好用”", "“真的好用”"),
    ("主打‘零添加’配方", "‘零添加’"),
    ('口号是"Just do it"', '"Just do it"'),
    # Latin words and alphanumeric tokens
    ("防晒SPF50 PA++++，户外必备", "SPF50 PA++++"),
    ("新款iPhone到店", "iPhone"),
    ("开通VIP享特权", "VIP"),
    ("3D立体剪裁", "3D"),
    ("SK-II神仙水", "SK-II"),
    ("ＶＩＰ专享", "ＶＩＰ"),
    ("加微信 lankou_2026 领样品", "lankou_2026"),
]


class TestRecognisesEveryKind:
    @pytest.mark.parametrize(("text", "part"), RECOGNISED)
    def test_protects_item_wholly(self, text: str, part: str) -> None:
        assert_protected(text, part)

    def test_table_is_large_enough_to_specify_the_rule(self) -> None:
        assert len(RECOGNISED) >= 80


class TestKinds:
    @pytest.mark.parametrize(
        ("text", "part", "kind"),
        [
            ("详见t.cn/xyz。", "t.cn/xyz", "url"),
            ("邮箱a@b.cn", "a@b.cn", "email"),
            ("电话13812345678", "13812345678", "phone"),
            ("仅¥199", "¥199", "price"),
            ("全场3折", "3折", "discount"),
            ("提升30%", "30%", "percent"),
            ("7月1日开售", "7月1日", "datetime"),
            ("共3瓶", "3瓶", "number"),
            ("质保两年", "两年", "cn_number"),
            ("#好物#", "#好物#", "hashtag"),
            ("@小美 看", "@小美", "mention"),
            ("《小熊很忙》", "《小熊很忙》", "quote"),
            ("新款iPhone", "iPhone", "latin"),
        ],
    )
    def test_span_kind_names_what_it_protects(self, text: str, part: str, kind: str) -> None:
        spans = [s for s in find_protected(text) if s.text == part]
        assert [s.kind for s in spans] == [kind]

    def test_editor_terms_have_kind_term(self) -> None:
        spans = find_protected("澜蔻水光精华，补水神器", ["澜蔻水光精华"])
        assert [(s.text, s.kind) for s in spans] == [("澜蔻水光精华", "term")]


class TestStopsWhereTheItemEnds:
    @pytest.mark.parametrize(
        ("text", "exact"),
        [
            ("详见t.cn/xyz。明天见", "t.cn/xyz"),
            ("详见https://a.cn/x?id=1，谢谢", "https://a.cn/x?id=1"),
            ("打开abc.com/x!", "abc.com/x"),
            ("链接(https://a.cn/x)", "https://a.cn/x"),
            ("网址https://a.cn/p/1.", "https://a.cn/p/1"),
            ("电话13812345678欢迎来电", "13812345678"),
            ("#夏日防晒 好物推荐", "#夏日防晒"),
            ("#防晒，今天聊聊", "#防晒"),
            ("原价¥399，现在只要", "原价¥399"),
            ("时间21:00 周六", "21:00"),
            ("第二件 500ml", "第二件"),
            ("买3免1 立减50元", "买3免1"),
        ],
    )
    def test_span_ends_at_item_boundary(self, text: str, exact: str) -> None:
        assert exact in span_texts(text)

    def test_does_not_swallow_a_sentence(self) -> None:
        text = "今天给大家推荐一款超级好用的面霜，价格只要199元，赶紧来抢吧"
        assert span_texts(text) == ["199元"]


class TestLeavesOrdinaryWords:
    @pytest.mark.parametrize(
        ("text", "word"),
        [
            ("姐妹们一起来囤货", "一起"),
            ("先了解一下我们的课程", "一下"),
            ("这款一定要试试", "一定"),
            ("送你一些小样", "一些"),
            ("多一点耐心", "一点"),
            ("效果十分明显", "十分"),
            ("千万不要错过", "千万"),
            ("一般人我不告诉", "一般"),
            ("一直回购的宝藏", "一直"),
            ("万一不合适也能退", "万一"),
            ("全国统一售价", "统一"),
            ("一口气看完", "一口"),
            ("给大家推荐一款面霜", "一款"),
            ("这是一个好机会", "一个"),
            ("一次搞定", "一次"),
            ("打折季来了", "打折"),
            ("限时优惠", "限时优惠"),
            ("宝宝的皮肤很娇嫩", "宝宝的皮肤很娇嫩"),
        ],
    )
    def test_common_word_is_not_protected(self, text: str, word: str) -> None:
        at = text.index(word)
        assert not touched(find_protected(text), at, at + len(word))

    def test_plain_chinese_has_no_spans(self) -> None:
        assert find_protected("今天天气很好，适合出门走走，记得涂防晒哦") == ()

    def test_empty_text_has_no_spans(self) -> None:
        assert find_protected("") == ()


class TestMerging:
    def test_nested_match_becomes_one_span_with_the_longest_kind(self) -> None:
        spans = find_protected("推荐【¥199 三件套】")
        assert [(s.text, s.kind) for s in spans] == [("【¥199 三件套】", "quote")]

    def test_overlapping_matches_become_one_span(self) -> None:
        spans = find_protected("邮箱service@lankou.cn")
        assert [(s.text, s.kind) for s in spans] == [("service@lankou.cn", "email")]

    def test_touching_matches_become_one_span(self) -> None:
        assert span_texts("第二件半价") == ["第二件半价"]

    def test_numeric_range_becomes_one_span(self) -> None:
        assert span_texts("¥199-¥299任选") == ["¥199-¥299"]

    def test_range_sign_between_non_numbers_is_not_joined(self) -> None:
        assert span_texts("iPhone - 3瓶") == ["iPhone", "3瓶"]

    def test_separate_items_stay_separate(self) -> None:
        assert span_texts("原价¥399，到手价199元") == ["原价¥399", "到手价199元"]

    def test_overlapping_terms_merge(self) -> None:
        assert span_texts("澜蔻水光精华", ("澜蔻水光", "水光精华")) == ["澜蔻水光精华"]


class TestTerms:
    def test_term_matches_exact_substring(self) -> None:
        assert_protected(
            "新品澜蔻水光精华上市，澜蔻水光精华补水", "澜蔻水光精华", ("澜蔻水光精华",)
        )

    def test_term_is_case_sensitive(self) -> None:
        assert span_texts("试试lankou", ("Lankou",)) == ["lankou"]
        assert find_protected("试试lankou", ("Lankou",))[0].kind == "latin"

    def test_empty_term_is_ignored(self) -> None:
        assert find_protected("补水保湿", ("",)) == ()

    def test_single_string_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="sequence of strings"):
            find_protected("澜蔻", "澜蔻")

    def test_regex_characters_in_term_are_literal(self) -> None:
        assert span_texts("买C++(加强版)送礼", ("C++(加强版)",)) == ["C++(加强版)"]


class TestNeverNormalises:
    @pytest.mark.parametrize(
        "text",
        [
            "￥１９９！",
            "１９：３０～２１：００",
            "３０％",
            "ＶＩＰ专享",
            "（０２１）８７６５４３２１",
        ],
    )
    def test_span_text_is_the_original_slice(self, text: str) -> None:
        spans = find_protected(text)
        assert spans
        assert all(s.text == text[s.start : s.end] for s in spans)


EMOJI_SEQUENCES = ["1️⃣", "#️⃣", "❤️", "👍🏻", "👨‍👩‍👧", "🏳️‍🌈", "🇨🇳", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "™️"]


class TestEmojiSequences:
    @pytest.mark.parametrize("emoji", EMOJI_SEQUENCES)
    @pytest.mark.parametrize("item", ["¥199", "3瓶", "iPhone", "#好物", "@小美", "Nike™"])
    def test_span_never_splits_an_emoji(self, item: str, emoji: str) -> None:
        for text in (f"买{item}{emoji}吧", f"买{emoji}{item}吧", f"{emoji}{item}{emoji}"):
            for at in occurrences(text, emoji):
                inner = range(at + 1, at + len(emoji))
                boundaries = {b for s in find_protected(text) for b in (s.start, s.end)}
                assert not boundaries & set(inner), (text, [s.text for s in find_protected(text)])

    def test_keycap_digits_are_left_to_emoji_transforms(self) -> None:
        assert find_protected("1️⃣洁面 2️⃣爽肤水 #️⃣") == ()


class TestGolden:
    def test_beauty_post(self) -> None:
        post = (
            "【限时秒杀】澜蔻水光精华30ml，原价¥399，到手价199元！\n"
            "7月1日-7月3日每晚8点开抢～第二件半价✨\n"
            "咨询：400-123-4567 #夏日好物#"
        )
        spans = find_protected(post, ["澜蔻水光精华"])
        assert [(s.kind, s.text) for s in spans] == [
            ("term", "【限时秒杀】澜蔻水光精华30ml"),
            ("price", "原价¥399"),
            ("price", "到手价199元"),
            ("datetime", "7月1日-7月3日"),
            ("datetime", "晚8点"),
            ("discount", "第二件半价"),
            ("phone", "400-123-4567"),
            ("hashtag", "#夏日好物#"),
        ]


# ---- properties over generated posts -------------------------------------------------

# Filler between items always holds a word, as real posts do: two items joined only by a
# colon ("¥1：10:00") are ambiguous even to a person.
_WORDS = st.text(
    alphabet="今天推荐这款好物补水保湿宝宝家长课程楼盘保障美味新鲜", min_size=1, max_size=10
)
_PUNCT = st.sampled_from(["", "，", "。", "！", "、", "：", " ", "\n"])
FILLER = st.builds(lambda before, words, after: before + words + after, _PUNCT, _WORDS, _PUNCT)
_d = st.integers
PRICES = st.one_of(
    st.builds(lambda c, n: f"{c}{n}", st.sampled_from("¥￥"), _d(1, 99999)),
    st.builds(lambda n, c: f"￥{n:,}.{c:02d}", _d(1000, 999999), _d(0, 99)),
    st.builds(lambda n, sp: f"{n}{sp}元", _d(1, 99999), st.sampled_from(["", " "])),
)
PHONES = st.one_of(
    st.builds(
        lambda p, a, b, sep: f"{p}{a}{sep}{b // 10000:04d}{sep}{b % 10000:04d}",
        st.sampled_from(["", "+86 ", "+86"]),
        _d(130, 199),
        _d(0, 99999999),
        st.sampled_from(["", " ", "-"]),
    ),
    st.builds(
        lambda a, b, sep: f"400{sep}{a}{sep}{b:04d}",
        _d(100, 999),
        _d(0, 9999),
        st.sampled_from([" ", "-"]),
    ),
    st.builds(lambda a, b: f"0{a}-{b}", _d(10, 999), _d(20000000, 89999999)),
)
URLS = st.builds(
    lambda scheme, host, path: f"{scheme}{host}.com{path}",
    st.sampled_from(["https://", "http://", "www.", ""]),
    st.from_regex(r"[a-z][a-z0-9]{1,10}", fullmatch=True),
    st.from_regex(r"(/[A-Za-z0-9]{1,8}){0,3}(\?id=[0-9]{1,5})?", fullmatch=True),
)
DATES = st.one_of(
    st.builds(lambda m, d: f"{m}月{d}日", _d(1, 12), _d(1, 31)),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", _d(2020, 2030), _d(1, 12), _d(1, 28)),
    st.builds(lambda h, m, c: f"{h}{c}{m:02d}", _d(0, 23), _d(0, 59), st.sampled_from(":：")),
    st.sampled_from(["周六", "星期日", "晚8点", "8点半"]),
)
PERCENTS = st.builds(lambda n, sign: f"{n}{sign}", _d(1, 100), st.sampled_from("%％"))
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def either_width(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The items as written, or with full-width digits as some phone keyboards type them."""
    return st.one_of(items, items.map(lambda item: item.translate(FULL_WIDTH)))


ITEMS = st.one_of(either_width(st.one_of(PRICES, PHONES, DATES, PERCENTS)), URLS)


@st.composite
def posts(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """A post of Chinese filler with items inserted; returns it with the items' positions."""
    text, placed = draw(FILLER), []
    for item in draw(st.lists(ITEMS, min_size=1, max_size=6)):
        placed.append((len(text), len(text) + len(item)))
        text += item + draw(FILLER)
    return text, placed


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(posts())
    def test_every_inserted_item_lies_inside_one_span(
        self, post: tuple[str, list[tuple[int, int]]]
    ) -> None:
        text, placed = post
        spans = find_protected(text)
        for start, end in placed:
            assert covered(spans, start, end), (text[start:end], [s.text for s in spans])

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.text(), posts().map(lambda p: p[0])))
    def test_spans_are_sorted_disjoint_and_true_to_the_text(self, text: str) -> None:
        spans = find_protected(text)
        assert all(a.end < b.start for a, b in itertools.pairwise(spans))
        assert all(0 <= s.start < s.end <= len(text) for s in spans)
        assert all(s.text == text[s.start : s.end] for s in spans)

    @settings(max_examples=300, deadline=None)
    @given(st.text(), st.lists(st.text(max_size=4), max_size=3))
    def test_never_raises_and_never_cuts_a_cluster(self, text: str, terms: list[str]) -> None:
        for span in find_protected(text, terms):
            for cut in (span.start, span.end):
                assert not (0 < cut < len(text) and starts_inside_cluster(text, cut))


def starts_inside_cluster(text: str, at: int) -> bool:
    """Whether text[at] continues the cluster before it (mark, joiner, skin tone, tag)."""
    char, code = text[at], ord(text[at])
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == "\u200d"
        or text[at - 1] == "\u200d"
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )
