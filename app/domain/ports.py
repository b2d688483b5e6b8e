"""What the domain needs from the outside world besides the table, as interfaces."""

from __future__ import annotations

from typing import Protocol

from app.aws.directory import DirectoryUser


class UserDirectory(Protocol):
    """The user pool, seen as a directory of confirmed users."""

    def email_of(self, user_id: str) -> str: ...

    def find_confirmed(self, email: str) -> DirectoryUser | None: ...

    def current_email(self, user_id: str) -> str | None: ...
    def verified_email_of(self, user_id: str) -> str | None: ...
