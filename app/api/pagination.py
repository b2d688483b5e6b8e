"""Cursor pagination: `limit` and `cursor` in, `{"items", "next_cursor"}` out.

A cursor is DynamoDB's LastEvaluatedKey sealed with AES-256-GCM under a key derived (HKDF) from
the secret in Secrets Manager: clients can neither read the table's keys in it nor alter it.
The associated data is the list it belongs to (path and filters) and the caller, so a cursor
that was altered, or that comes from another list or another caller, is refused. Either the
current or the previous version of the secret opens a cursor, so that a rotation never breaks
a client half-way through a listing.

List endpoints read their query with `unknown=RAISE`: an unknown query parameter is a 422, as an
unknown body field is (webargs would otherwise ignore it).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from functools import lru_cache
from typing import Any

import marshmallow as ma
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.api.plain_dump import PlainDump
from app.api.problems import ApiProblem
from app.aws.signing_keys import SigningKeys

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
_MAX_CURSOR_CHARS = 2048
_NONCE_BYTES = 12
_KEY_INFO = b"teamtasks pagination cursor v1"
_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")


class QueryInteger(ma.fields.Integer):
    """An integer in a query string: ASCII digits only. Python's int() would also take `+5`,
    ` 5`, and the digits of other scripts (fullwidth, Arabic-Indic)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not _ASCII_DIGITS.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class PageArgs(ma.Schema):
    """A page of a list."""

    limit = QueryInteger(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "Items per page, 1..100"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(min=1, max=_MAX_CURSOR_CHARS),
        metadata={"description": "The next_cursor of the previous page"},
    )


class _PageOut(PlainDump):
    def dump_one(self, page):
        # The items' own schema dumps them all at once (a plain function too, where it has one).
        items = self.dump_fields["items"].inner.schema
        return {"items": items.dump(page["items"], many=True), "next_cursor": page["next_cursor"]}


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    return _PageOut.from_dict(
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


@lru_cache(maxsize=8)
def _cipher(secret: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(secret)
    return AESGCM(key)


def _associated_data(scope: str, caller: str) -> bytes:
    return json.dumps([scope, caller]).encode()


class CursorCodec:
    def __init__(self, keys: SigningKeys):
        self._keys = keys

    def encode(self, start_key: dict[str, Any] | None, *, scope: str, caller: str) -> str | None:
        if start_key is None:
            return None
        payload = json.dumps(start_key, separators=(",", ":"), sort_keys=True).encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = _cipher(self._keys.current()).encrypt(
            nonce, payload, _associated_data(scope, caller)
        )
        return _b64encode(nonce + sealed)

    def decode(self, cursor: str | None, *, scope: str, caller: str) -> dict[str, Any] | None:
        if cursor is None:
            return None
        invalid = ApiProblem(400, "The cursor is not valid for this list")
        try:
            raw = _b64decode(cursor)
        except (ValueError, binascii.Error):
            raise invalid from None
        payload = self._open(raw, _associated_data(scope, caller))
        if payload is None:
            raise invalid
        start_key = json.loads(payload)
        if not isinstance(start_key, dict) or not all(
            isinstance(v, str) for v in start_key.values()
        ):
            raise invalid
        return start_key

    def _open(self, raw: bytes, associated: bytes) -> bytes | None:
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        if len(nonce) < _NONCE_BYTES or not sealed:
            return None

        def with_any(keys: tuple[bytes, ...]) -> bytes | None:
            for key in keys:
                try:
                    return _cipher(key).decrypt(nonce, sealed, associated)
                except InvalidTag:
                    continue
            return None

        # A key this process has not seen yet (a rotation elsewhere) earns one refetch.
        return with_any(self._keys.accepted()) or with_any(self._keys.refetch())
