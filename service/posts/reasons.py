"""Why a rewrite was refused, in the editor's words (the gate's codes, variation.text.gates)."""

from __future__ import annotations

from collections.abc import Sequence

from service.engines import Rejection

MESSAGES = {
    "empty": "内容为空",
    "unchanged": "与原句相同",
    "line_break": "一句备选不能换行",
    "placeholder_missing": "缺少或改动了原句中的价格、电话、链接或保护词",
    "placeholder_repeated": "重复了原句中的价格、电话、链接或保护词",
    "placeholder_unknown": "含有原句没有的受保护内容",
    "placeholder_debris": "含有无法识别的占位符号",
    "new_number": "出现了原句没有的数字或价格",
    "new_url": "出现了原句没有的链接或邮箱",
    "new_latin": "出现了原句没有的英文",
    "new_fact": "出现了原句没有的话题、@ 或引用",
    "length": "长度与原句相差太大（应为原句的 0.6–1.6 倍）",
    "script": "简繁体与原句不一致",
    "blocklist": "含有不宜使用的说法",
}


def describe(rejections: Sequence[Rejection]) -> str:
    """One Chinese sentence naming every distinct reason, in the gate's order."""
    codes = list(dict.fromkeys(r.code for r in rejections))
    return "；".join(MESSAGES.get(code, "未通过检查") for code in codes)
