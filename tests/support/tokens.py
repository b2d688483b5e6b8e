"""Forging tokens for the token suite. The emulator's signing key ships inside moto, which is
exactly why the service must never trust it in AWS; here it lets tests sign any claims."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import time
from importlib import resources
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

EMULATOR_KID = "dummy"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def emulator_private_key() -> Any:
    packed = resources.files("moto").joinpath("cognitoidp/resources/jwks-private.json.gz")
    document = json.loads(gzip.decompress(packed.read_bytes()))
    return jwt.PyJWK(document).key


def emulator_public_pem() -> bytes:
    return (
        emulator_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def stranger_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def access_claims(*, region: str, pool_id: str, client_id: str, sub: str, **overrides: Any):
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        "sub": sub,
        "client_id": client_id,
        "token_use": "access",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "username": sub,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims: dict[str, Any], key: Any = None, *, kid: str = EMULATOR_KID) -> str:
    return jwt.encode(
        claims, key or emulator_private_key(), algorithm="RS256", headers={"kid": kid}
    )


def unsigned(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "none", "kid": EMULATOR_KID, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def hs256_with_public_key(claims: dict[str, Any]) -> str:
    """The classic confusion attack: HMAC-sign with the RSA public key as the secret."""
    header = _b64(json.dumps({"alg": "HS256", "kid": EMULATOR_KID, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(emulator_public_pem(), f"{header}.{body}".encode(), hashlib.sha256)
    return f"{header}.{body}.{_b64(signature.digest())}"


def tampered(token: str, **changes: Any) -> str:
    """The same signature over a payload with some claims changed."""
    header, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
