"""The role table of docs/api.md as a test: every action, for every role and for a non-member.

Allowed -> the action's success status; a member whose role does not allow it -> 403; a
non-member -> 404, whatever the action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support.http import ApiClient

ROLES = ["owner", "admin", "member", "viewer", None]


@dataclass
class Scene:
    """A workspace owned by someone else, the actor in it with a role (or not in it), and
    targets for the action: a viewer, an admin, a task."""

    owner: ApiClient
    actor: ApiClient
    workspace_id: str
    viewer_id: str
    admin_id: str
    task_id: str
    newcomer_email: str
    comment_id: str
    viewer_invitation_id: str
    owner_invitation_id: str
    label_id: str


def scene(stack, role: str | None) -> Scene:
    owner = ApiClient(stack.api, stack.new_user("owner").access_token)
    workspace_id = owner.create_workspace("Roles")["id"]
    actor_user = stack.new_user("actor")
    if role is not None:
        owner.add_member(workspace_id, actor_user, role)
    viewer = stack.new_user("viewer")
    admin = stack.new_user("admin")
    owner.add_member(workspace_id, viewer, "viewer")
    owner.add_member(workspace_id, admin, "admin")
    task_id = owner.create_task(workspace_id, title="Existing")["id"]
    comment = owner.post(
        f"/workspaces/{workspace_id}/tasks/{task_id}/comments", json={"body": "The owner's"}
    ).json()
    return Scene(
        owner=owner,
        actor=ApiClient(stack.api, actor_user.access_token),
        workspace_id=workspace_id,
        viewer_id=viewer.user_id,
        admin_id=admin.user_id,
        task_id=task_id,
        newcomer_email=stack.new_user("newcomer").email,
        comment_id=comment["id"],
        viewer_invitation_id=owner.invite(workspace_id, "v@example.com", "viewer")["id"],
        owner_invitation_id=owner.invite(workspace_id, "o@example.com", "owner")["id"],
        label_id=owner.post(
            f"/workspaces/{workspace_id}/labels", json={"name": "bug", "color": "red"}
        ).json()["id"],
    )


def ws(s: Scene) -> str:
    return f"/workspaces/{s.workspace_id}"


ANY = '"*"'
ACTIONS: dict[str, tuple[Callable[[Scene], object], int, set[str]]] = {
    "read workspace": (lambda s: s.actor.get(ws(s)), 200, {"owner", "admin", "member", "viewer"}),
    "list members": (
        lambda s: s.actor.get(f"{ws(s)}/members"),
        200,
        {"owner", "admin", "member", "viewer"},
    ),
    "list tasks": (
        lambda s: s.actor.get(f"{ws(s)}/tasks"),
        200,
        {"owner", "admin", "member", "viewer"},
    ),
    "read task": (
        lambda s: s.actor.get(f"{ws(s)}/tasks/{s.task_id}"),
        200,
        {"owner", "admin", "member", "viewer"},
    ),
    "create task": (
        lambda s: s.actor.post(f"{ws(s)}/tasks", json={"title": "New"}),
        201,
        {"owner", "admin", "member"},
    ),
    "update task": (
        lambda s: s.actor.patch(
            f"{ws(s)}/tasks/{s.task_id}", json={"status": "done"}, headers={"If-Match": "*"}
        ),
        200,
        {"owner", "admin", "member"},
    ),
    "delete task": (
        lambda s: s.actor.delete(f"{ws(s)}/tasks/{s.task_id}", headers={"If-Match": "*"}),
        204,
        {"owner", "admin", "member"},
    ),
    "rename workspace": (
        lambda s: s.actor.patch(ws(s), json={"name": "Renamed"}, headers={"If-Match": "*"}),
        200,
        {"owner", "admin"},
    ),
    "invite a member": (
        lambda s: s.actor.post(
            f"{ws(s)}/invitations", json={"email": s.newcomer_email, "role": "member"}
        ),
        201,
        {"owner", "admin"},
    ),
    "invite a viewer": (
        lambda s: s.actor.post(
            f"{ws(s)}/invitations", json={"email": s.newcomer_email, "role": "viewer"}
        ),
        201,
        {"owner", "admin"},
    ),
    "change viewer to member": (
        lambda s: s.actor.patch(f"{ws(s)}/members/{s.viewer_id}", json={"role": "member"}),
        200,
        {"owner", "admin"},
    ),
    "remove a viewer": (
        lambda s: s.actor.delete(f"{ws(s)}/members/{s.viewer_id}"),
        204,
        {"owner", "admin"},
    ),
    "invite an admin": (
        lambda s: s.actor.post(
            f"{ws(s)}/invitations", json={"email": s.newcomer_email, "role": "admin"}
        ),
        201,
        {"owner"},
    ),
    "invite an owner": (
        lambda s: s.actor.post(
            f"{ws(s)}/invitations", json={"email": s.newcomer_email, "role": "owner"}
        ),
        201,
        {"owner"},
    ),
    "promote viewer to admin": (
        lambda s: s.actor.patch(f"{ws(s)}/members/{s.viewer_id}", json={"role": "admin"}),
        200,
        {"owner"},
    ),
    "demote an admin": (
        lambda s: s.actor.patch(f"{ws(s)}/members/{s.admin_id}", json={"role": "member"}),
        200,
        {"owner"},
    ),
    "remove an admin": (lambda s: s.actor.delete(f"{ws(s)}/members/{s.admin_id}"), 204, {"owner"}),
    "read audit log": (lambda s: s.actor.get(f"{ws(s)}/audit"), 200, {"owner", "admin"}),
    "list invitations": (lambda s: s.actor.get(f"{ws(s)}/invitations"), 200, {"owner", "admin"}),
    "revoke a viewer's invitation": (
        lambda s: s.actor.delete(f"{ws(s)}/invitations/{s.viewer_invitation_id}"),
        204,
        {"owner", "admin"},
    ),
    "revoke an owner's invitation": (
        lambda s: s.actor.delete(f"{ws(s)}/invitations/{s.owner_invitation_id}"),
        204,
        {"owner"},
    ),
    "read comments": (
        lambda s: s.actor.get(f"{ws(s)}/tasks/{s.task_id}/comments"),
        200,
        {"owner", "admin", "member", "viewer"},
    ),
    "comment": (
        lambda s: s.actor.post(f"{ws(s)}/tasks/{s.task_id}/comments", json={"body": "Mine"}),
        201,
        {"owner", "admin", "member"},
    ),
    "delete someone's comment": (
        lambda s: s.actor.delete(
            f"{ws(s)}/tasks/{s.task_id}/comments/{s.comment_id}", headers={"If-Match": "*"}
        ),
        204,
        {"owner", "admin"},
    ),
    "read the changes feed": (
        lambda s: s.actor.get(f"{ws(s)}/changes"),
        200,
        {"owner", "admin", "member", "viewer"},
    ),
    "read labels": (
        lambda s: s.actor.get(f"{ws(s)}/labels"),
        200,
        {"owner", "admin", "member", "viewer"},
    ),
    "create a label": (
        lambda s: s.actor.post(f"{ws(s)}/labels", json={"name": "ux", "color": "blue"}),
        201,
        {"owner", "admin", "member"},
    ),
    "rename a label": (
        lambda s: s.actor.patch(
            f"{ws(s)}/labels/{s.label_id}", json={"name": "defect"}, headers={"If-Match": "*"}
        ),
        200,
        {"owner", "admin", "member"},
    ),
    "delete a label": (
        lambda s: s.actor.delete(f"{ws(s)}/labels/{s.label_id}", headers={"If-Match": "*"}),
        204,
        {"owner", "admin", "member"},
    ),
    "delete workspace": (
        lambda s: s.actor.delete(ws(s), headers={"If-Match": "*"}),
        204,
        {"owner"},
    ),
}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "non-member")
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_table(stack, action, role):
    perform, success, allowed = ACTIONS[action]
    current = scene(stack, role)
    before = current.owner.all_items(f"{ws(current)}/audit")
    response = perform(current)
    if role is None:
        expected = 404
    elif role in allowed:
        expected = success
    else:
        expected = 403
    assert response.status_code == expected, (action, role, response.text)
    if expected >= 400:
        assert response.headers["Content-Type"].startswith("application/problem+json")
        if expected == 403:
            # Refused means nothing happened: the owner still sees the same events (the actor's
            # own joining, by invitation, is one of them from before).
            assert current.owner.all_items(f"{ws(current)}/audit") == before
