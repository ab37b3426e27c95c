"""Pydantic validation with momentcast's errors: a 422 whose detail names each problem."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from service.errors import Unprocessable

Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], data: Any, *, code: str) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or model.__name__}: {e['msg']}"
            for e in exc.errors()
        )
        raise Unprocessable(problems, code=code) from None
