"""Unsubscribe tokens: the link in a notification email that turns its recipient's emails off
without signing in (docs/api.md, "Unsubscribe").

A token is `<payload>.<signature>`, both base64url without padding: the payload is the JSON
`{"sub": <user id>, "use": "unsubscribe"}`, the signature its HMAC-SHA256 under a key derived
(HKDF-SHA256, its own info string) from the secret UNSUBSCRIBE_SECRET_ARN names. The notifier
function signs them (lambdas/notifier/tokens.py, the same format; a unit test holds the two
to each other); the service verifies them with the current or the previous version of the
secret, so a rotation by hand does not break the links of emails already sent.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from functools import lru_cache
from hashlib import sha256

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.aws.signing_keys import SigningKeys

PURPOSE = "unsubscribe"
_KEY_INFO = b"teamtasks unsubscribe token v1"
_MAX_TOKEN_CHARS = 512


@lru_cache(maxsize=8)
def _key(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(secret)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, user_id: str) -> str:
    payload = json.dumps({"sub": user_id, "use": PURPOSE}, separators=(",", ":")).encode()
    signature = hmac.new(_key(secret), payload, sha256).digest()
    return f"{_b64encode(payload)}.{_b64encode(signature)}"


def user_of(token: str, secrets: tuple[bytes, ...]) -> str | None:
    """The user id the token was signed for, if it verifies under one of the secrets."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
        return None
    payload_text, signature_text = token.split(".")
    try:
        payload = _b64decode(payload_text)
        signature = _b64decode(signature_text)
    except (ValueError, binascii.Error):
        return None
    if not any(
        hmac.compare_digest(hmac.new(_key(secret), payload, sha256).digest(), signature)
        for secret in secrets
    ):
        return None
    try:
        claims = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("use") != PURPOSE:
        return None
    user_id = claims.get("sub")
    return user_id if isinstance(user_id, str) and user_id else None


class UnsubscribeTokens:
    def __init__(self, keys: SigningKeys):
        self._keys = keys

    def sign(self, user_id: str) -> str:
        return sign(self._keys.current(), user_id)

    def user_of(self, token: str) -> str | None:
        # A secret this process has not seen yet (rotated elsewhere) earns one refetch.
        return user_of(token, self._keys.accepted()) or user_of(token, self._keys.refetch())
