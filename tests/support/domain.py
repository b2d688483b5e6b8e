"""For tests that run the service's domain code in-process (the stream functions' unit tests):
people join a workspace as they do over HTTP, by an invitation they accept."""

from __future__ import annotations

from typing import Any


def email_of(user_id: str) -> str:
    """The address of a test user, by the convention of the stub directories here."""
    return f"{user_id}@example.com"


def join(service: Any, inviter_id: str, workspace_id: str, user_id: str, role: str) -> None:
    """`user_id` joins with `role`: `inviter_id` invites their address, they accept.
    `service` has the domain's `invitations` (app/domain/invitations.py)."""
    invitation = service.invitations.create(
        inviter_id, workspace_id, email=email_of(user_id), role=role
    )
    service.invitations.accept(user_id, invitation.id)
