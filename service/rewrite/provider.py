"""The one place that talks to a rewrite provider: any OpenAI Chat Completions endpoint.

    ProviderError (the editor reads `message`; the log gets `code` and the status)
    ├── timeout        the provider did not answer within the timeout
    ├── unauthorized   401/403: the key is wrong or lacks access
    ├── rate_limited   429: too many requests, or the account's quota is used up
    ├── unavailable    5xx, or no connection at all
    └── bad_response   another status, or an answer that is not a list of rewrites

The key is handed to the client and nowhere else: it is never logged, and error messages
are ours, never the provider's (which may echo the key back).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

import openai

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "你是品牌朋友圈文案的改写助手。把用户给出的一句中文改写成 {count} 个不同的说法："
    "意思、语气和事实完全不变，长度与原句相近，使用与原句相同的简体或繁体。"
    "形如 ⟦1⟧ 的占位符代表价格、电话、链接或品牌名，每个必须原样保留且只出现一次，"
    "不要改动、拆开或翻译。不要添加任何数字、链接、英文、话题或表情。"
    '只输出 JSON：{{"rewrites": ["改写1", "改写2"]}}。'
)
_NUMBERING = re.compile(r"^\s*(?:\d+[.、)）]|[-*•])\s*")


@dataclass(frozen=True)
class ProviderConfig:
    base_url: str
    model: str
    api_key: str = field(repr=False)  # never in a log line or a traceback's locals
    timeout_seconds: float = 20.0


class ProviderError(Exception):
    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status


MESSAGES = {
    "timeout": "改写服务在 {timeout:g} 秒内没有响应，请稍后重试。素材照常可以保存和发布。",
    "unauthorized": "改写服务拒绝了 API 密钥（{status}），请管理员在“设置 → 改写服务”中检查密钥。",
    "rate_limited": "改写服务请求过于频繁或额度已用完（429），请稍后再试。",
    "unavailable": "改写服务暂时不可用{status_text}，请稍后重试。素材照常可以保存和发布。",
    "bad_response": "改写服务返回了无法使用的结果{status_text}，请检查模型名称和服务地址。",
}


def _error(code: str, *, status: int | None = None, timeout: float = 0) -> ProviderError:
    status_text = f"（{status}）" if status else ""
    message = MESSAGES[code].format(status=status, status_text=status_text, timeout=timeout)
    return ProviderError(code, message, status=status)


def rewrite(config: ProviderConfig, masked_sentence: str, *, count: int) -> list[str]:
    """Up to `count` raw candidates for `masked_sentence` (placeholders in), unchecked."""
    client = openai.OpenAI(
        api_key=config.api_key,
        base_url=config.base_url,
        timeout=config.timeout_seconds,
        max_retries=0,  # the editor retries; a hidden retry doubles the wait on a timeout
    )
    try:
        completion = client.chat.completions.create(
            model=config.model,
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT.format(count=count)},
                {"role": "user", "content": masked_sentence},
            ],
            temperature=0.8,
        )
    except openai.APITimeoutError:
        raise _error("timeout", timeout=config.timeout_seconds) from None
    except openai.APIStatusError as exc:
        raise _status_error(exc.status_code) from None
    except openai.APIConnectionError:
        raise _error("unavailable") from None
    except openai.OpenAIError:
        raise _error("bad_response") from None
    finally:
        client.close()
    try:
        content = completion.choices[0].message.content or ""
    except (IndexError, AttributeError):
        raise _error("bad_response") from None
    return parse_candidates(content)[:count]


def _status_error(status: int) -> ProviderError:
    if status in {401, 403}:
        return _error("unauthorized", status=status)
    if status == 429:
        return _error("rate_limited", status=status)
    if status >= 500:
        return _error("unavailable", status=status)
    return _error("bad_response", status=status)


def parse_candidates(content: str) -> list[str]:
    """The rewrites in a model's answer: the JSON we asked for (also inside a ``` fence),
    else one per line with any numbering removed."""
    text = content.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        data = data.get("rewrites")
    if isinstance(data, list):
        return [item.strip() for item in data if isinstance(item, str) and item.strip()]
    lines = (_NUMBERING.sub("", line).strip() for line in content.splitlines())
    return [line for line in lines if line and not line.startswith(("{", "}", "```"))]
