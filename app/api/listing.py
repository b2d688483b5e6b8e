"""One way to serve a list: decode the cursor for this list and caller, fetch a page, encode
the next cursor. The list's identity is its path and its filters (a set of values in one
order, whatever order the request named them in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from app.api.context import principal, services

_NOT_FILTERS = frozenset({"limit", "cursor"})


def list_page(args: dict[str, Any], fetch: Callable[[dict | None], Any]) -> dict[str, Any]:
    """`fetch(start_key)` returns a page with `records` and `next_key`."""
    filters = "&".join(
        f"{name}={_canonical(value)}"
        for name, value in sorted(args.items())
        if name not in _NOT_FILTERS and value is not None
    )
    scope = f"{request.path}?{filters}"
    caller = principal().user_id
    cursors = services().cursors
    page = fetch(cursors.decode(args.get("cursor"), scope=scope, caller=caller))
    return {
        "items": page.records,
        "next_cursor": cursors.encode(page.next_key, scope=scope, caller=caller),
    }


def _canonical(value: Any) -> str:
    if isinstance(value, frozenset):
        return ",".join(sorted(value))
    return str(value)
