"""The Cognito user pool as a directory: find a confirmed user by email, a user's email by id.

Both are one AdminGetUser call. The pool takes the email as its username
(`UsernameAttributes: [email]` in addons/environment/cognito.yml), so Cognito resolves an
address to the one user it names, case-insensitively; a user's `sub` resolves too. Nothing is
searched: no filter to escape, and the task role needs `cognito-idp:AdminGetUser` only, not
`ListUsers`, which would let it read every user's email.

A user is found by email only when Cognito says they proved they receive mail there
(`email_verified`). Anyone may sign up and set an address on their own account; an unverified
address names nobody, or it would let them be added to a workspace in its owner's place.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from app.aws.clients import AwsClients, DependencyUnavailable, is_unavailable

_EMAIL_CACHE_SECONDS = 300
_EMAIL_CACHE_SIZE = 10_000
# Answers that mean "no such user": the name is unknown, or it cannot be a username at all
# (AWS answers a name over 128 characters, which a valid email can be, InvalidParameter).
_NO_SUCH_USER = {"UserNotFoundException", "InvalidParameterException"}


@dataclass(frozen=True)
class DirectoryUser:
    user_id: str
    email: str


def _attribute(user: dict[str, Any], name: str) -> str | None:
    for attribute in user.get("UserAttributes", []):
        if attribute.get("Name") == name:
            return attribute.get("Value")
    return None


class CognitoDirectory:
    def __init__(self, clients: AwsClients, user_pool_id: str):
        self._clients = clients
        self._pool = user_pool_id
        self._lock = threading.Lock()
        self._emails: dict[str, tuple[float, str]] = {}

    def _get_user(self, username: str) -> dict[str, Any] | None:
        try:
            return self._clients.cognito.admin_get_user(UserPoolId=self._pool, Username=username)
        except (ClientError, BotoCoreError) as error:
            if is_unavailable(error):
                raise DependencyUnavailable("Cognito", error) from error
            if isinstance(error, ClientError) and error.response["Error"]["Code"] in _NO_SUCH_USER:
                return None
            raise

    def find_confirmed(self, email: str) -> DirectoryUser | None:
        """The confirmed, enabled user whose verified email this is, if any."""
        user = self._get_user(email)
        if user is None:
            return None
        usable = user.get("UserStatus") == "CONFIRMED" and user.get("Enabled") is True
        verified = _attribute(user, "email_verified") == "true"
        sub = _attribute(user, "sub")
        address = _attribute(user, "email") or ""
        # The address must be the one asked for: a username that is not an email never matches.
        if usable and verified and sub and address.lower() == email.lower():
            return DirectoryUser(user_id=sub, email=address)
        return None

    def current_email(self, user_id: str) -> str | None:
        """The user's email as the pool holds it now, asked afresh (the pool applies a changed
        email only once it is verified); None if the pool knows no such user."""
        user = self._get_user(user_id)
        return (_attribute(user, "email") if user else None) or None

    def verified_email_of(self, user_id: str) -> str | None:
        """The user's email, in lower case, if Cognito says they proved they receive mail there
        (`email_verified`); asked each time, never cached: it decides who may accept an
        invitation, and an address changes only once the new one is verified."""
        user = self._get_user(user_id)
        if user is None or user.get("Enabled") is False:
            return None
        address = _attribute(user, "email")
        if not address or _attribute(user, "email_verified") != "true":
            return None
        return address.lower()

    def email_of(self, user_id: str) -> str:
        now = time.monotonic()
        cached = self._emails.get(user_id)
        if cached and now - cached[0] < _EMAIL_CACHE_SECONDS:
            return cached[1]
        user = self._get_user(user_id)
        email = (_attribute(user, "email") if user else None) or ""
        with self._lock:
            if len(self._emails) >= _EMAIL_CACHE_SIZE:
                self._emails.clear()
            self._emails[user_id] = (now, email)
        return email
