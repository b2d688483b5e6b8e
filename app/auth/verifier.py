"""The one JWT verifier: Cognito access tokens, checked as docs/api.md says.

PyJWT's JWKS client fetches and caches the user pool's key set for five minutes, and refetches
once on an unknown `kid` (at most once per cooldown, so a flood of made-up kids cannot hammer
Cognito). Only the key set is cached: PyJWT's per-key cache (`cache_keys`) never expires, so a
key withdrawn from the pool's JWKS kept verifying new tokens until the worker restarted.

A browser sends the same access token with every request for up to an hour, so a token that
passed every check is remembered (by its SHA-256 digest, never the token itself) until its own
`exp`, but no longer than the key set's five minutes: then it is verified again against the
key set as it is now, so a withdrawn key stops being accepted for every token within ten
minutes. Nothing about a refused token is remembered: it is checked in full each time it comes
back, and can never be found in the cache (a different token, a different digest).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from numbers import Real
from typing import Any

import jwt
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

from app.aws.clients import DependencyUnavailable
from app.config import Settings

ALGORITHM = "RS256"
# What a user id (a token's `sub`: Cognito makes UUIDs) may be, everywhere: in paths, in bodies,
# and in the table's keys, where a `#` would read as a separator.
USER_ID_PATTERN = r"[A-Za-z0-9_-]{1,128}"
_USER_ID = re.compile(USER_ID_PATTERN)
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ("sub", "iss", "client_id", "token_use", "exp", "iat")
_JWKS_TIMEOUT_SECONDS = 3
# How long the key set is trusted before it is fetched again, and a verified token before it is
# verified again.
JWKS_LIFESPAN_SECONDS = 300
_JWKS_COOLDOWN_SECONDS = 30
# Distinct tokens in use at once per worker; one entry is a few hundred bytes.
CACHE_ENTRIES = 10_000
# Each claim Cognito puts in an access token, with the JSON type it must have when present.
# PyJWT alone would take `exp: "1700000000"` (it calls int() on it) and hand a list through.
_STRING_CLAIMS = ("sub", "iss", "client_id", "token_use", "username", "jti", "scope")
_TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")


class InvalidToken(Exception):
    """The token must not be trusted; the reason is for logs, never for the response."""


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    client_id: str


class VerifiedTokens:
    """Principals of fully verified tokens, by token digest, each until its token's `exp`."""

    def __init__(
        self,
        max_entries: int = CACHE_ENTRIES,
        clock=time.time,
        max_age_s: float = JWKS_LIFESPAN_SECONDS,
    ):
        self._max_entries = max_entries
        self._clock = clock
        self._max_age = max_age_s
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()

    @staticmethod
    def digest(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, digest: bytes) -> Principal | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            principal, expires_at = entry
            if self._clock() >= expires_at:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return principal

    def put(self, digest: bytes, principal: Principal, expires_at: float) -> None:
        """Remembered until `expires_at`, and no longer than the cache's maximum age."""
        expires_at = min(expires_at, self._clock() + self._max_age)
        with self._lock:
            self._entries[digest] = (principal, expires_at)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class TokenVerifier:
    def __init__(
        self,
        settings: Settings,
        jwks_client: PyJWKClient | None = None,
        cache: VerifiedTokens | None = None,
    ):
        self._cache = cache if cache is not None else VerifiedTokens()
        self._issuer = settings.token_issuer
        self._client_ids = frozenset(settings.user_pool_client_ids)
        self._jwks = jwks_client or PyJWKClient(
            settings.jwks_url,
            cache_keys=False,
            lifespan=JWKS_LIFESPAN_SECONDS,
            timeout=_JWKS_TIMEOUT_SECONDS,
            cooldown_duration=_JWKS_COOLDOWN_SECONDS,
        )

    def verify(self, token: str) -> Principal:
        digest = self._cache.digest(token)
        principal = self._cache.get(digest)
        if principal is not None:
            return principal
        claims = self._verified_claims(token)
        principal = self._principal(claims)
        # Only now, with every check passed; and never past the token's own expiry.
        self._cache.put(digest, principal, expires_at=claims["exp"])
        return principal

    def _verified_claims(self, token: str) -> dict[str, Any]:
        key = self._signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": list(REQUIRED_CLAIMS), "verify_aud": False},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        _check_claim_types(claims)
        return claims

    def _signing_key(self, token: str) -> Any:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"malformed token: {error}") from error
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no key id")
        try:
            return self._jwks.get_signing_key(kid).key
        except PyJWKClientConnectionError as error:
            raise DependencyUnavailable("Cognito JWKS", error) from error
        except PyJWKClientError as error:
            raise InvalidToken(f"unknown key id {kid!r}") from error

    def _principal(self, claims: dict[str, Any]) -> Principal:
        if claims.get("token_use") != "access":
            raise InvalidToken(f"token_use is {claims.get('token_use')!r}, not 'access'")
        client_id = claims["client_id"]
        if client_id not in self._client_ids:
            raise InvalidToken(f"client_id {client_id!r} is not a configured app client")
        sub = claims["sub"]
        if not _USER_ID.fullmatch(sub):
            # Only a token signed by a trusted key gets here; still, its sub becomes part of
            # the table's keys, so one that no user id could be is refused, not stored.
            raise InvalidToken(f"sub is not a user id ({len(sub)} characters)")
        return Principal(user_id=sub, username=claims.get("username") or sub, client_id=client_id)


def _check_claim_types(claims: dict[str, Any]) -> None:
    """Every claim that the service or PyJWT reads has its JSON type, or the token is refused."""
    for name in _STRING_CLAIMS:
        if name in claims and not isinstance(claims[name], str):
            raise InvalidToken(f"{name} is not a string")
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, Real)):
            raise InvalidToken(f"{name} is not a number")
    groups = claims.get("cognito:groups")
    if "cognito:groups" in claims and not (
        isinstance(groups, list) and all(isinstance(g, str) for g in groups)
    ):
        raise InvalidToken("cognito:groups is not a list of strings")
