"""Bearer authentication for /api/v1: the Authorization header in, a principal or a 401 out."""

from __future__ import annotations

import logging

from flask import g, request

from app.api.context import services
from app.api.problems import ApiProblem
from app.auth.verifier import InvalidToken
from app.observability import context

log = logging.getLogger(__name__)

BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        # No credentials at all, or a scheme we do not speak: RFC 6750 says no error code.
        raise ApiProblem(
            401, "This request needs a bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        g.principal = services().verifier.verify(token.strip())
    except InvalidToken as error:
        log.info("token refused: %s", error)
        raise ApiProblem(
            401,
            "The bearer token is not valid",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    context.user_id.set(g.principal.user_id)
