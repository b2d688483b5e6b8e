"""The Cognito user pool as a directory: find a confirmed user by email, a user's email by id.

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


@dataclass(frozen=True)
class DirectoryUser:
    user_id: str
    email: str


def _quoted(value: str) -> str:
    """A value inside a ListUsers filter's double quotes."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _attribute(user: dict[str, Any], name: str) -> str | None:
    for attribute in user.get("Attributes", []):
        if attribute.get("Name") == name:
            return attribute.get("Value")
    return None


class CognitoDirectory:
    def __init__(self, clients: AwsClients, user_pool_id: str):
        self._clients = clients
        self._pool = user_pool_id
        self._lock = threading.Lock()
        self._emails: dict[str, tuple[float, str]] = {}

    def _list_users(self, filter_expression: str) -> list[dict[str, Any]]:
        try:
            response = self._clients.cognito.list_users(
                UserPoolId=self._pool, Filter=filter_expression, Limit=10
            )
        except (ClientError, BotoCoreError) as error:
            if is_unavailable(error):
                raise DependencyUnavailable("Cognito", error) from error
            raise
        return response.get("Users", [])

    def find_confirmed(self, email: str) -> DirectoryUser | None:
        """The confirmed, enabled user whose verified email this is, if any."""
        for user in self._list_users(f'email = "{_quoted(email)}"'):
            usable = user.get("UserStatus") == "CONFIRMED" and user.get("Enabled") is True
            verified = _attribute(user, "email_verified") == "true"
            sub = _attribute(user, "sub")
            address = _attribute(user, "email") or ""
            if usable and verified and sub and address.lower() == email.lower():
                return DirectoryUser(user_id=sub, email=address)
        return None

    def email_of(self, user_id: str) -> str:
        now = time.monotonic()
        cached = self._emails.get(user_id)
        if cached and now - cached[0] < _EMAIL_CACHE_SECONDS:
            return cached[1]
        users = self._list_users(f'sub = "{_quoted(user_id)}"')
        email = (_attribute(users[0], "email") if users else None) or ""
        with self._lock:
            if len(self._emails) >= _EMAIL_CACHE_SIZE:
                self._emails.clear()
            self._emails[user_id] = (now, email)
        return email
