"""Unsubscribe tokens, signed here and verified by the service (app/auth/unsubscribe.py: the
format is described there; tests/unit/test_notifier.py holds the two to each other). This code
is zipped on its own, so the HKDF of RFC 5869 is written out with the standard library: the
Lambda runtime has no `cryptography`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

PURPOSE = "unsubscribe"
KEY_INFO = b"teamtasks unsubscribe token v1"


def hkdf_sha256(secret: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 with SHA-256 and no salt (a salt of zeros, as the RFC says)."""
    pseudo_random = hmac.new(b"\x00" * hashlib.sha256().digest_size, secret, hashlib.sha256)
    key, block, counter = b"", b"", 1
    while len(key) < length:
        block = hmac.new(
            pseudo_random.digest(), block + info + bytes([counter]), hashlib.sha256
        ).digest()
        key += block
        counter += 1
    return key[:length]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign(secret: bytes, user_id: str) -> str:
    payload = json.dumps({"sub": user_id, "use": PURPOSE}, separators=(",", ":")).encode()
    signature = hmac.new(hkdf_sha256(secret, KEY_INFO), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"
