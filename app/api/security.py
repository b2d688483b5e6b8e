"""Bearer authentication for /api/v1: the Authorization header in, a principal or a 401 out;
and, after the response, the caller's email kept to the user pool's."""

from __future__ import annotations

import logging
from functools import partial

from flask import Response, g, request

from app.api.context import services
from app.api.problems import ApiProblem
from app.auth.verifier import InvalidToken
from app.domain.emails import MemberEmails
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


def keep_email_fresh(response: Response) -> Response:
    """Once in a while per caller and process, after the response is sent: the caller's
    memberships show the email the user pool has for them now (app/domain/emails.py)."""
    caller = g.get("principal")
    if caller is not None:
        emails = services().emails
        if emails.due(caller.user_id):
            response.call_on_close(partial(_refresh_email, emails, caller.user_id))
    return response


def _refresh_email(emails: MemberEmails, user_id: str) -> None:
    try:
        changed = emails.refresh(user_id)
    except Exception:  # after the response: reported, and tried again at the next check
        log.warning("could not refresh the email of %s", user_id, exc_info=True)
        return
    if changed:
        log.info("a member's email changed in %d workspaces", changed)
