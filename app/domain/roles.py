"""Roles and what each may do: the one place the role table of docs/api.md lives."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Action(StrEnum):
    READ = "read"
    EDIT_TASKS = "edit_tasks"
    RENAME_WORKSPACE = "rename_workspace"
    # Adding, removing, or changing between the two lowest roles.
    MANAGE_MEMBERS = "manage_members"
    # Anything that touches an admin or an owner.
    MANAGE_ADMINS = "manage_admins"
    READ_AUDIT = "read_audit"
    DELETE_WORKSPACE = "delete_workspace"
    # Commenting, and editing or deleting one's own comments.
    COMMENT = "comment"
    # Deleting anyone's comment.
    MODERATE_COMMENTS = "moderate_comments"
    # Creating, renaming, recolouring and deleting the workspace's labels.
    EDIT_LABELS = "edit_labels"


_EVERYONE = frozenset(Role)
_WRITERS = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})
_ADMINS = frozenset({Role.OWNER, Role.ADMIN})
_OWNERS = frozenset({Role.OWNER})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.READ: _EVERYONE,
    Action.EDIT_TASKS: _WRITERS,
    Action.RENAME_WORKSPACE: _ADMINS,
    Action.MANAGE_MEMBERS: _ADMINS,
    Action.MANAGE_ADMINS: _OWNERS,
    Action.READ_AUDIT: _ADMINS,
    Action.DELETE_WORKSPACE: _OWNERS,
    Action.COMMENT: _WRITERS,
    Action.MODERATE_COMMENTS: _ADMINS,
    Action.EDIT_LABELS: _WRITERS,
}

_ORDINARY = frozenset({Role.MEMBER, Role.VIEWER})


def allowed_roles(action: Action) -> frozenset[Role]:
    return PERMISSIONS[action]


def may(role: str | None, action: Action) -> bool:
    return role is not None and role in PERMISSIONS[action]


def member_change_action(old_role: str | None, new_role: str | None) -> Action:
    """Which action a change of membership is: adding (old None), removing (new None) or
    changing a role. Only changes among member and viewer are open to admins."""
    touched = {role for role in (old_role, new_role) if role is not None}
    return Action.MANAGE_MEMBERS if touched <= _ORDINARY else Action.MANAGE_ADMINS


def invitation_action(role: str) -> Action:
    """Inviting someone with a role, and listing or revoking such an invitation, is adding a
    member with that role (docs/api.md, "Roles")."""
    return member_change_action(None, role)


def may_invite(inviter_role: str | None, role: str) -> bool:
    """Whether a member with `inviter_role` may (still) invite someone as `role`: an invitation
    whose inviter may no longer send it is withdrawn."""
    return may(inviter_role, invitation_action(role))
