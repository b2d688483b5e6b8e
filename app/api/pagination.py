"""Cursor pagination: `limit` and `cursor` in, `{"items", "next_cursor"}` out.

A cursor is DynamoDB's LastEvaluatedKey, signed with HMAC-SHA256 under the key from Secrets
Manager. The signature also covers the list it belongs to (path and filters) and the caller,
so a cursor that was altered, or that comes from another list or another caller, is refused.
Either the current or the previous version of the key verifies, so that a rotation never breaks
a client half-way through a listing.

List endpoints read their query with `unknown=RAISE`: an unknown query parameter is a 422, as an
unknown body field is (webargs would otherwise ignore it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

import marshmallow as ma

from app.api.problems import ApiProblem
from app.aws.signing_keys import SigningKeys

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
_MAX_CURSOR_CHARS = 2048


class PageArgs(ma.Schema):
    """A page of a list."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "Items per page, 1..100"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(min=1, max=_MAX_CURSOR_CHARS),
        metadata={"description": "The next_cursor of the previous page"},
    )


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null at the end"},
            ),
        },
        name=name,
    )


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, keys: SigningKeys):
        self._keys = keys

    @staticmethod
    def _mac(key: bytes, scope: str, caller: str, payload: bytes) -> bytes:
        message = b"\n".join([scope.encode(), caller.encode(), payload])
        return hmac.new(key, message, hashlib.sha256).digest()

    def encode(self, start_key: dict[str, Any] | None, *, scope: str, caller: str) -> str | None:
        if start_key is None:
            return None
        payload = json.dumps(start_key, separators=(",", ":"), sort_keys=True).encode()
        mac = self._mac(self._keys.current(), scope, caller, payload)
        return f"{_b64encode(payload)}.{_b64encode(mac)}"

    def decode(self, cursor: str | None, *, scope: str, caller: str) -> dict[str, Any] | None:
        if cursor is None:
            return None
        invalid = ApiProblem(400, "The cursor is not valid for this list")
        try:
            payload_text, mac_text = cursor.split(".")
            payload, mac = _b64decode(payload_text), _b64decode(mac_text)
        except (ValueError, binascii.Error):
            raise invalid from None
        if not self._verifies(payload, mac, scope, caller):
            raise invalid
        try:
            start_key = json.loads(payload)
        except ValueError:
            raise invalid from None
        if not isinstance(start_key, dict) or not all(
            isinstance(v, str) for v in start_key.values()
        ):
            raise invalid
        return start_key

    def _verifies(self, payload: bytes, mac: bytes, scope: str, caller: str) -> bool:
        def any_key(keys: tuple[bytes, ...]) -> bool:
            return any(hmac.compare_digest(self._mac(k, scope, caller, payload), mac) for k in keys)

        # A key this process has not seen yet (a rotation elsewhere) earns one refetch.
        return any_key(self._keys.accepted()) or any_key(self._keys.refetch())
