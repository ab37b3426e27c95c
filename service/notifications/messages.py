"""The messages momentcast sends, one type per kind, each writing its own text for each
channel (Chinese: people read them) and its own webhook payload (English keys: machines).

Every stored text that reaches a one-line place (a mail header, a robot's heading) goes
through `single_line` here, whatever was stored before validation existed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # Unicode Cc, Zl and Zp: "\r\n" is one
MAIL_HINT = "\n\n打开链接，一键复制文案、长按保存图片。"


def single_line(text: str) -> str:
    """`text` with every control or line/paragraph separator character (CR, LF, NUL, U+0085,
    U+2028...) made a space: stored data reaches mail headers and one-line headings."""
    return _BREAKS.sub(" ", text).strip()


@dataclass(frozen=True)
class Recipient:
    """The rep a message is for, as the channels address them."""

    rep_id: int
    name: str
    team: str
    phone: str  # @-mentioned by the WeCom robot; may be empty
    email: str  # may be empty: the e-mail channel then skips this rep
    url: str  # the rep's personal page

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.rep_id,
            "name": self.name,
            "team": self.team,
            "phone": self.phone,
            "email": self.email,
        }


@dataclass(frozen=True)
class PostReminder:
    """Time to post (stage 1, at the slot), or still not posted (stage 2, later)."""

    recipient: Recipient
    stage: int
    post_id: int
    post_title: str
    slot_local: str  # "20:14", in the rep's timezone
    slot_at: str  # ISO-8601, UTC

    @property
    def group(self) -> tuple[str, int, int]:
        """Messages the robot may send as one (@-mentioning every rep): same post and stage."""
        return ("reminder", self.post_id, self.stage)

    def heading(self) -> str:
        title = single_line(self.post_title)
        if self.stage == 1:
            return f"【发布提醒】《{title}》"
        return f"【再次提醒】《{title}》还没有发布的同事："

    def line(self) -> str:
        name, url = single_line(self.recipient.name), self.recipient.url
        if self.stage == 1:
            return f"{name}：建议 {self.slot_local} 发布，文案和图片在 {url}"
        return f"{name}：还没有发布哦，文案和图片在 {url}"

    def subject(self) -> str:
        if self.stage == 1:
            return single_line(f"请在 {self.slot_local} 发布：{self.post_title}")
        return single_line(f"还没有发布：{self.post_title}")

    def body(self) -> str:
        return self.line() + MAIL_HINT + "\n"

    def payload(self) -> dict[str, Any]:
        return {
            "event": "reminder",
            "note": "",
            "stage": self.stage,
            "post": {"id": self.post_id, "title": single_line(self.post_title)},
            "rep": self.recipient.as_json(),
            "slot_at": self.slot_at,
            "url": self.recipient.url,
        }


@dataclass(frozen=True)
class ReadAlert:
    """A viewer the rep brought reached a read-time tier ("细读", "深读"...)."""

    recipient: Recipient
    alert_id: int
    viewer_label: str  # the viewer's label, or "读者 #12"
    tag: str
    evidence: str  # "读了《…》13分02秒"

    @property
    def group(self) -> tuple[str, int, int]:
        return ("alert", self.alert_id, 0)  # each alert is its own message

    @property
    def note(self) -> str:
        return single_line(f"{self.viewer_label} {self.tag}：{self.evidence}")

    def heading(self) -> str:
        return "【读者动态】"

    def line(self) -> str:
        return f"{single_line(self.recipient.name)}：{self.note}，看看 {self.recipient.url}"

    def subject(self) -> str:
        return single_line(f"读者动态：{self.note}")

    def body(self) -> str:
        return self.line() + "\n"

    def payload(self) -> dict[str, Any]:
        return {
            "event": "viewer_alert",
            "note": self.note,
            "stage": 0,
            "post": {"id": 0, "title": ""},
            "rep": self.recipient.as_json(),
            "slot_at": "",
            "url": self.recipient.url,
        }


Notification = PostReminder | ReadAlert
