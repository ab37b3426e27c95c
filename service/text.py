"""The one set of rules for every text a client sends that reaches storage, a header or a file:
the JSON API, the HTML forms and the CSV import all validate through these types.

    SingleLine  titles, names, teams, labels, terms: no control character at all (Cc, which
                includes CR, LF, TAB, NUL and U+0085), no U+2028/U+2029, no bidi overrides;
                surrounding whitespace stripped.
    MultiLine   post text, articles: line breaks (CRLF, CR, U+0085, U+2028, U+2029) become LF,
                TAB stays; every other control character is refused.
    Email       a SingleLine that looks like an address, lower-cased.

Refusals are pydantic errors of type `invalid_text` with a Chinese message, so a request body
gets a 422 and `parse` turns a form's or a file's into `Unprocessable`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from service.errors import Unprocessable, chinese_message

Model = TypeVar("Model", bound=BaseModel)

# Line breaks a paste may carry; in multi-line text they all become LF.
_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
# Never in any text: C0 controls but TAB/LF, DEL and C1, lone surrogates, noncharacters.
_NEVER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Also refused on one line: TAB, LF, the separators, and bidi controls that make a name in a
# CSV or a file name read differently from what it is ("Trojan source").
_NOT_ON_ONE_LINE = re.compile("[\t\n\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_NAMES = {"\t": "制表符", "\n": "换行符", "\r": "回车符", "\x00": "空字符"}


def _describe(char: str) -> str:
    return _NAMES.get(char, f"控制字符 U+{ord(char):04X}")


def _refuse(char: str) -> PydanticCustomError:
    return PydanticCustomError(
        "invalid_text",
        "不能包含{char}，请删除后重试",
        {"char": _describe(char), "codepoint": f"U+{ord(char):04X}"},
    )


def forbidden_character(text: str, *, single_line: bool = True) -> str | None:
    """The first character `text` may not contain, as U+XXXX; None when it is clean."""
    found = _NEVER.search(text) or (_NOT_ON_ONE_LINE.search(text) if single_line else None)
    return f"U+{ord(found.group()):04X}" if found else None


def single_line(value: str) -> str:
    found = _NEVER.search(value) or _NOT_ON_ONE_LINE.search(value)
    if found:
        raise _refuse(found.group())
    return value.strip()


def multi_line(value: str) -> str:
    value = _BREAKS.sub("\n", value)
    found = _NEVER.search(value)
    if found:
        raise _refuse(found.group())
    return value


def email(value: str) -> str:
    value = single_line(value).lower()
    if value and not _EMAIL.match(value):
        raise PydanticCustomError("invalid_email", "邮箱地址格式不正确：{value}", {"value": value})
    return value


SingleLine = Annotated[str, AfterValidator(single_line)]
MultiLine = Annotated[str, AfterValidator(multi_line)]
Email = Annotated[str, AfterValidator(email)]


def messages(exc: ValidationError) -> str:
    """Each problem as "field: 中文说明", joined; what `parse` and the 422 handler show."""
    return "；".join(
        f"{'.'.join(str(part) for part in error['loc'] if part != 'body')}: {error['msg']}"
        if error["loc"]
        else error["msg"]
        for error in exc.errors()
    )


def parse(model: type[Model], data: Any, *, code: str = "invalid_input") -> Model:
    """`model` validated from `data` (a form's fields, a CSV row), or Unprocessable."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable(
            messages(exc), code=code, message=chinese_message(exc.errors())
        ) from None
