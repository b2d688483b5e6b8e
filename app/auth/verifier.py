"""The one JWT verifier: Cognito access tokens, checked as docs/api.md says.

PyJWT's JWKS client fetches and caches the user pool's keys and refetches once on an unknown
`kid` (at most once per cooldown, so a flood of made-up kids cannot hammer Cognito).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

from app.aws.clients import DependencyUnavailable
from app.config import Settings

ALGORITHM = "RS256"
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ("sub", "iss", "client_id", "token_use", "exp", "iat")
_JWKS_TIMEOUT_SECONDS = 3
_JWKS_LIFESPAN_SECONDS = 3600
_JWKS_COOLDOWN_SECONDS = 30


class InvalidToken(Exception):
    """The token must not be trusted; the reason is for logs, never for the response."""


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    client_id: str


class TokenVerifier:
    def __init__(self, settings: Settings, jwks_client: PyJWKClient | None = None):
        self._issuer = settings.token_issuer
        self._client_ids = frozenset(settings.user_pool_client_ids)
        self._jwks = jwks_client or PyJWKClient(
            settings.jwks_url,
            cache_keys=True,
            lifespan=_JWKS_LIFESPAN_SECONDS,
            timeout=_JWKS_TIMEOUT_SECONDS,
            cooldown_duration=_JWKS_COOLDOWN_SECONDS,
        )

    def verify(self, token: str) -> Principal:
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
        return self._principal(claims)

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
        client_id = claims.get("client_id")
        if client_id not in self._client_ids:
            raise InvalidToken(f"client_id {client_id!r} is not a configured app client")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidToken("sub is not a string")
        username = claims.get("username")
        return Principal(
            user_id=sub,
            username=username if isinstance(username, str) and username else sub,
            client_id=client_id,
        )
