"""Positions in a workspace's changes feed (`after` and `next` of GET .../changes).

A position is an audit event's id sealed with AES-SIV under a key derived (HKDF) from the cursor
secret, with the feed's path and the caller as associated data: opaque, tamper-evident, and
bound to that feed and that caller as cursors are (app/api/pagination.py). Unlike a cursor it is
deterministic: the same position always seals to the same token, so a client that polls one URL
keeps one URL while nothing changes, and its `If-None-Match` can match. Both the current and
the previous version of the secret open a position.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.api.problems import ApiProblem
from app.aws.signing_keys import SigningKeys

_KEY_INFO = b"teamtasks changes position v1"
_MAX_TOKEN_CHARS = 256


@lru_cache(maxsize=8)
def _cipher(secret: bytes) -> AESSIV:
    # AES-SIV with AES-256: a 512-bit key, half for the MAC, half for the cipher.
    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_KEY_INFO).derive(secret)
    return AESSIV(key)


def _associated(scope: str, caller: str) -> list[bytes]:
    return [json.dumps([scope, caller]).encode()]


class PositionCodec:
    def __init__(self, keys: SigningKeys):
        self._keys = keys

    def encode(self, event_id: str, *, scope: str, caller: str) -> str:
        sealed = _cipher(self._keys.current()).encrypt(
            event_id.encode(), _associated(scope, caller)
        )
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()

    def decode(self, token: str, *, scope: str, caller: str) -> str:
        invalid = ApiProblem(400, "The position `after` is not valid for this feed")
        if len(token) > _MAX_TOKEN_CHARS:
            raise invalid
        try:
            sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, binascii.Error):
            raise invalid from None
        associated = _associated(scope, caller)
        for keys in (self._keys.accepted(), self._keys.refetch()):
            for secret in keys:
                try:
                    return _cipher(secret).decrypt(sealed, associated).decode()
                except (InvalidTag, ValueError, UnicodeDecodeError):
                    continue
        raise invalid
