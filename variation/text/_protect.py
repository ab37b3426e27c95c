"""Automatic detection of the spans of a master that no transform may touch.

One named pattern per kind, listed in `_PATTERNS` in order of priority. `find_protected`
runs them all, widens each match so it never splits an emoji or other grapheme cluster,
then merges matches that overlap, touch, or form a numeric range ("19:30~21:00",
"7.1-7.3", "周一至周五") into one span with the kind of its longest match (ties go to the
kind listed first). The text is never normalised: full-width forms match as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

from variation.text._types import Span

_SP = r"[ \u3000]?"  # one optional space, never a line break
# A number: \d also matches full-width digits; a digit that starts a keycap emoji (1️⃣) is not one.
_NUM = r"(?<!\d)\d+(?:[,，]\d{3}(?!\d))*(?:[.．]\d+)?(?![\ufe0f\u20e3])"
_MAG = r"[万千百亿萬wWkK]"
_CN = "零〇一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟"
_CN_NUM = f"(?<![{_CN}])[{_CN}]+"  # the look-behind stops rescans inside a long numeral run


def _alternatives(words: str) -> str:
    """A regex alternation of space-separated literals, longest first so it prefers 个月 to 个."""
    return "|".join(sorted((re.escape(w) for w in words.split()), key=len, reverse=True))


# Quantifiers after Chinese numerals leave out 点 分 下 起 定 些 般 样 口 手, so that everyday
# words such as 一点 十分 一下 一起 一定 一些 一般 一样 一口气 are not taken for quantities.
_CN_QUANT_WORDS = (
    "个月 小时 分钟 周年 周岁 年级 公斤 平米 平方米 个 件 瓶 盒 支 套 袋 包 罐 箱 片 粒 颗 只"
    " 条 张 本 份 位 名 人 次 天 日 周 月 年 岁 号 楼 层 元 块 角 毛 斤 克 吨 升 期 节 课 届 台"
    " 辆 部 款 色 种 项 步 倍 折 码 杯 碗 家 间 栋 座 轮 场 星 成 季 档 针 寸 晚 夜 抽 段"
)
_CN_QUANT = _alternatives(_CN_QUANT_WORDS)
_UNIT = _alternatives(
    f"{_CN_QUANT_WORDS} 点钟 点 时 分 秒 度 级 米 厘米 毫米 公里 千克 毫升 毫克 英寸"
    " 万元 块钱 人份 人次 天内 ㎡ m² ㎖"
)
_LATIN_UNIT = _alternatives("ml mL ML kg KG mg cm mm km g G GB TB L m mAh W Hz")
_CURRENCY = r"(?:HK|US|NT|MOP|[SAC])?[$＄]|[¥￥€£]|RMB|CNY|HKD|USD|EUR|JPY"
_MONEY_WORD = _alternatives("元 块钱 块 圆 人民币 美元 港币 港元 日元 欧元 英镑 澳元 RMB rmb")
_PER_UNIT = _alternatives(
    "件 瓶 盒 个 支 套 位 人 次 月 年 天 斤 份 张 只 袋 罐 箱 片 晚"
    " 节 课时 课 期 学期 小时 平米 平 ㎡"
)
_PER = rf"(?:[/／](?:{_PER_UNIT}))?"  # "¥99/瓶", "2.3万/㎡"
_LABEL_WORD = _alternatives(
    "到手 券后 活动 秒杀 特 原 售 团购 拼团 会员 零售 市场 专柜 官方 日常 直播 限时 优惠 折后"
    " 成交 现 底 均 租 首发 预售 定 吊牌 标 单 总 门市 体验 尝鲜 新人 开业"
)
_PRICE_LABEL = rf"(?:{_LABEL_WORD})?价(?:格|位)?[:：]?{_SP}"
_AMOUNT = rf"(?:(?:{_CURRENCY}){_SP})?(?:{_NUM}|{_CN_NUM})(?:{_SP}(?:元|件|单|瓶|盒|个|块|支|套))?"
_TLDS = (
    "com|cn|net|org|io|co|me|cc|top|xyz|vip|shop|info|biz|tv|hk|tw|mo|jp|uk|us|edu|gov|ai"
    "|app|dev|site|online|store|tech|club|link|ly|gl|so|la|wang|ink|ltd|group|asia|mobi|pro"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A URL runs over URL characters but never ends on sentence punctuation: "见t.cn/x。" keeps 。 out.
_PATH = r"(?:[/?#](?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*[A-Za-z0-9\-_~/#=&%+*$@])?)?"
_LATIN_CH = "A-Za-z0-9À-ÖØ-öø-ÿＡ-Ｚａ-ｚ０-９"
_HAS_LETTER = "[0-9０-９]*[A-Za-zÀ-ÖØ-öø-ÿＡ-Ｚａ-ｚ]"
_LATIN_WORD = rf"[{_LATIN_CH}]+(?:[-_'’.&][{_LATIN_CH}]+)*(?:[+＋]+|[®™])?"
_DAYPART = _alternatives(
    "今晚 明晚 今早 明早 今天 明天 后天 今日 明日 当晚 当天"
    " 凌晨 早上 上午 中午 下午 晚上 傍晚 夜里 早 晚"
)
_CN_HOUR = "十[一二]?|[二三四五六七八九两]"  # a bare 一点 means "a little", so 一 needs a daypart
_HOUR = (
    rf"(?:(?:{_DAYPART})(?:\d{{1,2}}|{_CN_HOUR}|一)[点點时]|(?:\d{{1,2}}|{_CN_HOUR})[点點])"
    rf"(?:半|整|一刻|三刻|\d{{1,2}}分?|[{_CN}]+分)?"
)

_URL = re.compile(
    rf"(?:https?|ftp)[:：]//{_LABEL}(?:\.{_LABEL})*(?::\d+)?{_PATH}"
    rf"|(?<![A-Za-z0-9@._-])(?:www\.{_LABEL}(?:\.{_LABEL})*|(?:{_LABEL}\.)+(?:{_TLDS}))"
    rf"(?![A-Za-z0-9-])(?::\d+)?{_PATH}",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+[@＠](?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])"
)
_S = r"[ \u3000\-－‐]?"  # separators people type inside phone numbers
_0, _86 = "[0０]", "[8８][6６]"  # half- and full-width digits that phone numbers start with
_PHONE = re.compile(
    rf"(?<![\d+＋])(?:(?:(?:[(（][+＋]?{_86}[)）]|[+＋]?{_86}){_S})?[1１][3-9３-９]\d{_S}\d{{4}}{_S}\d{{4}}"
    rf"|[48４８]{_0}{_0}(?:{_S}\d){{7}}|(?:[(（]{_0}\d{{2,3}}[)）]|{_0}\d{{2,3}}){_S}\d{{3,4}}{_S}\d{{4}})"
    rf"(?:{_SP}(?:转|分机|ext\.?|EXT\.?|[xX#\-－]){_SP}\d{{1,6}})?(?!\d)"
)
_PRICE = re.compile(
    rf"(?:{_PRICE_LABEL})?(?:{_CURRENCY}){_SP}{_NUM}{_MAG}?(?:{_SP}(?:{_MONEY_WORD}))?{_PER}"
    rf"|{_PRICE_LABEL}{_NUM}{_MAG}?(?:{_SP}(?:{_MONEY_WORD}))?{_PER}"
    rf"|{_NUM}{_MAG}?{_SP}(?:{_MONEY_WORD})\d?{_PER}"
)
_DISCOUNT = re.compile(
    rf"(?:{_NUM}|{_CN_NUM}){_SP}折|半价|免单"
    rf"|(?:每满|满|每){_SP}{_AMOUNT}(?:{_SP}(?:立减|减|送|赠|返|打|享){_SP}{_AMOUNT}(?:{_SP}折)?)?"
    rf"|买{_SP}{_AMOUNT}{_SP}(?:送|赠|免|得){_SP}{_AMOUNT}"
    rf"|第(?:{_NUM}|{_CN_NUM})[件瓶盒个支套份](?:半价|免单|(?:{_NUM}|{_CN_NUM})折|{_NUM}元)"
    rf"|(?:立减|直降|直减|立省|返现|再减|优惠|省){_SP}(?:(?:{_CURRENCY}){_SP})?{_NUM}(?:{_SP}元)?"
)
_PERCENT = re.compile(rf"{_NUM}{_SP}[%％‰]|百分之(?:{_NUM}|[{_CN}点]+)")
_DATETIME = re.compile(
    r"(?<!\d)\d{4}[-/／.．]\d{1,2}[-/／.．]\d{1,2}(?!\d)"
    r"|(?:\d{2,4}年)?\d{1,2}月(?:\d{1,2}[日号])?"
    r"|(?<![\d/／])\d{1,2}[/／]\d{1,2}(?![\d/／])"
    rf"|(?:(?:{_DAYPART}){_SP})?(?<!\d)\d{{1,2}}(?P<colon>[:：])\d{{2}}(?:(?P=colon)\d{{2}})?(?!\d)"
    rf"|{_HOUR}|(?:周|星期|礼拜)[一二三四五六日天末]|双(?:1[12]|十[一二])"
)
_HASHTAG = re.compile(
    r"[#＃](?![\ufe0f\u20e3])[^#＃\s，。！？、；：,!?;…]{1,40}[#＃]|[#＃](?![\ufe0f\u20e3])[\w·]+"
)
_MENTION = re.compile(r"[@＠][\w·]{1,20}")
_QUOTE = re.compile(
    r"【[^【】\n]{0,80}】|「[^「」\n]{0,80}」|『[^『』\n]{0,80}』|《[^《》\n]{0,80}》"
    r'|“[^“”\n]{0,80}”|‘[^‘’\n]{0,80}’|"[^"\n]{0,80}"'
)
# A space may separate a number from a Latin unit ("500 ml") but not from a Chinese one, or
# "21:00 周六" would read as 00周.
_NUMBER = re.compile(
    rf"第?{_NUM}{_MAG}?[+＋多余]?(?:{_UNIT}|{_SP}(?:{_LATIN_UNIT})(?![A-Za-z]))?{_PER}"
)
# A lone 一 before 个 款 种 位 次 家 is an article ("推荐一款"), not a quantity worth locking.
_CN_NUMBER = re.compile(
    rf"第{_CN_NUM}(?:{_CN_QUANT})?"
    rf"|(?<![{_CN}半])(?!一(?:个(?![月半])|[款种位次家]))[{_CN}半]+[多余]?(?:{_CN_QUANT})"
)
# Latin words, joined across single spaces ("iPhone 15 Pro", but not "500ml 2小时"); the
# look-behind keeps a long digit run from being rescanned at every position.
_LATIN = re.compile(
    rf"(?<![{_LATIN_CH}])(?={_HAS_LETTER}){_LATIN_WORD}"
    rf"(?: (?:(?={_HAS_LETTER}){_LATIN_WORD}|[0-9０-９]+(?![\d.．,%％\u4e00-\u9fffＡ-Ｚａ-ｚ])))*"
)

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", _URL),
    ("email", _EMAIL),
    ("phone", _PHONE),
    ("price", _PRICE),
    ("discount", _DISCOUNT),
    ("percent", _PERCENT),
    ("datetime", _DATETIME),
    ("hashtag", _HASHTAG),
    ("mention", _MENTION),
    ("quote", _QUOTE),
    ("number", _NUMBER),
    ("cn_number", _CN_NUMBER),
    ("latin", _LATIN),
)
_NUMERIC = frozenset({"price", "discount", "percent", "datetime", "number", "cn_number"})
_RANGE = re.compile(r"[ \u3000]?(?:[-－~～〜—–×*]|至|到)[ \u3000]?")
_ZWJ = "\u200d"


def find_protected(text: str, terms: Sequence[str] = ()) -> tuple[Span, ...]:
    """Spans of `text` that no transform may touch, sorted by start, non-overlapping.

    Matches that overlap, touch, or are two numeric items joined by a range sign are merged
    into one span, which keeps the kind of its longest match. `terms` are editor-given
    product or brand names, matched as exact substrings (kind "term", first in priority).
    No span starts or ends inside a grapheme cluster such as a multi-codepoint emoji.
    """
    if isinstance(terms, str):
        raise TypeError("terms must be a sequence of strings, not a single string")
    matches = [(*_widen(text, s, e), rank, kind) for s, e, rank, kind in _matches(text, terms)]
    return tuple(_merge(text, sorted(matches)))


def _matches(text: str, terms: Sequence[str]) -> Iterator[tuple[int, int, int, str]]:
    """Every match of every kind as (start, end, rank, kind); rank 0 is the editor's terms."""
    term_pattern = _term_pattern(tuple(terms))
    if term_pattern is not None:
        yield from ((m.start(1), m.end(1), 0, "term") for m in term_pattern.finditer(text))
    for rank, (kind, pattern) in enumerate(_PATTERNS, start=1):
        yield from ((m.start(), m.end(), rank, kind) for m in pattern.finditer(text))


@lru_cache(maxsize=256)
def _term_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    # A look-ahead finds every occurrence, overlapping ones included; merging sorts them out.
    literals = sorted({t for t in terms if t}, key=len, reverse=True)
    if not literals:
        return None
    return re.compile("(?=(" + "|".join(map(re.escape, literals)) + "))")


def _merge(text: str, matches: list[tuple[int, int, int, str]]) -> list[Span]:
    merged: list[tuple[int, int, tuple[int, int], str]] = []  # start, end, (-length, rank), kind
    for start, end, rank, kind in matches:
        best = (start - end, rank)
        if merged and _joins(text, merged[-1], start, kind):
            m_start, m_end, m_best, m_kind = merged[-1]
            merged[-1] = (m_start, max(m_end, end), *min((m_best, m_kind), (best, kind)))
        else:
            merged.append((start, end, best, kind))
    return [Span(start, end, kind, text[start:end]) for start, end, _, kind in merged]


def _joins(text: str, last: tuple[int, int, tuple[int, int], str], start: int, kind: str) -> bool:
    if start <= last[1]:
        return True
    both_numeric = last[3] in _NUMERIC and kind in _NUMERIC
    return both_numeric and _RANGE.fullmatch(text, last[1], start) is not None


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow [start, end) to whole grapheme clusters (keycaps, ZWJ sequences, skin tones)."""
    while start > 0 and (_continues(text[start]) or text[start - 1] == _ZWJ):
        start -= 1
    while end < len(text) and (_continues(text[end]) or text[end - 1] == _ZWJ):
        end += 1
    return start, end


def _continues(char: str) -> bool:
    """Whether `char` attaches to the character before it rather than starting a cluster."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == _ZWJ
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
    )
