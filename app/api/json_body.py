"""Request bodies as strict JSON (RFC 8259), parsed in one place for every /api/v1 endpoint.

A body that is not JSON is 400, and so is one that is JSON only to a lenient parser: empty,
`NaN` or `Infinity`, a number that overflows to infinity, a name given twice in one object
(parsers disagree on which one wins, which lets a body mean one thing to a proxy and another
to us). RFC 8259 section 9 lets a parser limit nesting depth and the size of numbers; no field
of this API needs more than a few levels or a long number, so deeper or longer is 400 too,
before it can cost a RecursionError or a quadratic int conversion.
"""

from __future__ import annotations

import json
import math
from typing import Any

from app.api.problems import ApiProblem

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 100


class _Refused(ValueError):
    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(detail)


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value")


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"A number in the body is longer than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"A number in the body is longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"The number {text} is out of range")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _Refused(f"The body names {name!r} twice in one object")
        result[name] = value
    return result


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict | list):
            deepest = max(deepest, depth)
            children = current.values() if isinstance(current, dict) else current
            pending.extend((child, depth + 1) for child in children)
    return deepest


def parse(data: bytes) -> Any:
    """The body's JSON value, or an ApiProblem(400) that says what is wrong with it."""
    if not data.strip():
        raise ApiProblem(400, "The request body is empty; send a JSON object")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiProblem(400, "The request body is not valid UTF-8") from None
    too_deep = ApiProblem(400, f"The request body nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_integer,
            parse_float=_float,
            object_pairs_hook=_object,
        )
    except _Refused as refused:
        raise ApiProblem(400, refused.detail) from None
    except RecursionError:
        raise too_deep from None
    except ValueError:
        raise ApiProblem(400, "The request body is not valid JSON") from None
    if _depth(value) > MAX_DEPTH:
        raise too_deep
    return value
