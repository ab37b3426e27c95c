"""Reading a reps CSV (UTF-8, UTF-8 with BOM, or GBK as Excel writes it in China)."""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError

from service.errors import Unprocessable, chinese_message
from service.reps.schemas import RepCreate
from service.text import messages

# Header aliases: English as documented, plus what a Chinese spreadsheet usually says.
HEADERS = {
    "name": "name",
    "姓名": "name",
    "名字": "name",
    "team": "team",
    "store": "team",
    "团队": "team",
    "门店": "team",
    "小组": "team",
    "phone": "phone",
    "mobile": "phone",
    "手机": "phone",
    "手机号": "phone",
    "电话": "phone",
    "external_id": "external_id",
    "id": "external_id",
    "工号": "external_id",
    "编号": "external_id",
}
MAX_ROWS = 20_000


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unprocessable("the CSV file is neither UTF-8 nor GBK text", code="invalid_csv")


def parse_reps_csv(data: bytes) -> list[RepCreate]:
    """Every row as a RepCreate; any bad row fails the whole file, naming its line.

    Rows repeated exactly (a paste done twice) count once."""
    try:
        lines = list(csv.reader(io.StringIO(decode(data))))
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit()
        raise Unprocessable(f"the CSV file cannot be read: {exc}", code="invalid_csv") from None
    if not lines:
        raise Unprocessable("the CSV file is empty", code="invalid_csv")
    columns = [HEADERS.get(name.strip().lower()) for name in lines[0]]
    if "name" not in columns:
        raise Unprocessable(
            "the CSV needs a 'name' column (name, team, phone, external_id)", code="invalid_csv"
        )
    parsed = [
        _row(columns, values, line)
        for line, values in enumerate(lines[1:], start=2)
        if any(value.strip() for value in values)
    ]
    rows = list({tuple(row.model_dump().items()): row for row in parsed}.values())
    if not rows:
        raise Unprocessable("the CSV file has no reps", code="invalid_csv")
    if len(rows) > MAX_ROWS:
        raise Unprocessable(f"at most {MAX_ROWS} reps per file", code="invalid_csv")
    return rows


def _row(columns: list[str | None], values: list[str], line: int) -> RepCreate:
    """One row through RepCreate: the same text rules as the API and the form (service.text)."""
    fields = {column: value for column, value in zip(columns, values, strict=False) if column}
    try:
        return RepCreate(**fields)
    except ValidationError as exc:
        raise Unprocessable(
            f"line {line}: {messages(exc)}",
            code="invalid_csv",
            message=f"第 {line} 行：{chinese_message(exc.errors())}",
        ) from None
