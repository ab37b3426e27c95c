"""CSV exports of the dashboard's tables: UTF-8 with a BOM (so Excel shows the Chinese),
times in China time, and cells that a spreadsheet would run as formulas defused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

from fastapi.responses import Response

from service.dashboard.schemas import Campaign, LeaderRow, PostDashboard
from service.tracking.schemas import ViewerRead
from service.web import local_time

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets opened in a locale (or an import dialog) that splits on ";", "|" or TAB start a
# new cell at that separator, so a formula right after one is as live as one at the start.
_AFTER_SEPARATOR = re.compile(r"([,;|\t]\s*)(?=[=+\-@])")


def cell(value: object) -> str:
    """A value as spreadsheet-inert text: a label like "=HYPERLINK(...)" typed by a rep, or
    "a;=1+1", must stay text in Excel, WPS and LibreOffice; plain numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, "%Y-%m-%d %H:%M")
    text = str(value)
    if _number(text):
        return text
    text = _AFTER_SEPARATOR.sub(r"\1'", text)
    return f"'{text}" if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)  # separators inside a cell stay inside
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def rep_table(dashboard: PostDashboard) -> Response:
    header = [
        "销售ID",
        "销售",
        "团队",
        "建议时间",
        "打开素材",
        "已发布",
        "浏览",
        "读者",
        "阅读总秒数",
    ]
    header.append("阅读中位秒数")
    rows = [
        [
            r.rep_id,
            r.name,
            r.team,
            r.slot_at,
            r.opened_at,
            r.posted_at,
            r.views,
            r.unique_viewers,
            r.engaged_seconds,
            r.median_engaged_seconds,
        ]
        for r in dashboard.reps
    ]
    return csv_response(f"post-{dashboard.post_id}-reps.csv", header, rows)


def campaign(overview: Campaign) -> Response:
    header = ["素材ID", "标题", "发布时间", "目标销售", "打开素材", "我已发布", "发布率%"]
    header += ["浏览", "读者", "细读读者", "深读读者", "阅读中位秒数"]
    rows = [
        [
            p.post_id,
            p.title,
            p.published_at,
            p.funnel.reps_targeted,
            p.funnel.copies_opened,
            p.funnel.posted,
            p.posted_percent,
            p.funnel.views,
            p.funnel.unique_viewers,
            p.funnel.careful_viewers,
            p.funnel.deep_viewers,
            p.median_engaged_seconds,
        ]
        for p in overview.posts
    ]
    return csv_response("campaign.csv", header, rows)


def viewers(found: Sequence[ViewerRead], *, filename: str) -> Response:
    header = ["读者ID", "备注名", "标签", "依据", "最近访问", "累计阅读秒数", "打开次数"]
    header.append("带来的销售")
    rows = [
        [
            v.id,
            v.label,
            " ".join(t.tag for t in v.tags),
            "；".join(t.evidence for t in v.tags),
            v.last_seen_at,
            v.engaged_seconds,
            v.views,
            v.rep_name,
        ]
        for v in found
    ]
    return csv_response(filename, header, rows)


def leaders(found: Sequence[LeaderRow], *, filename: str) -> Response:
    header = ["名称", "团队", "销售数", "已发布", "应发布", "执行率%", "浏览", "读者"]
    header.append("阅读总秒数")
    rows = [
        [
            r.name,
            r.team,
            r.reps,
            r.posted,
            r.targeted,
            r.execution_percent,
            r.views,
            r.unique_viewers,
            r.engaged_seconds,
        ]
        for r in found
    ]
    return csv_response(filename, header, rows)
