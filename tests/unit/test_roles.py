"""The role table of docs/api.md, cell by cell."""

from __future__ import annotations

import pytest

from app.domain.roles import Action, Role, may, may_invite, member_change_action

TABLE = {
    Action.READ: {"viewer", "member", "admin", "owner"},
    Action.EDIT_TASKS: {"member", "admin", "owner"},
    Action.RENAME_WORKSPACE: {"admin", "owner"},
    Action.MANAGE_MEMBERS: {"admin", "owner"},
    Action.MANAGE_ADMINS: {"owner"},
    Action.READ_AUDIT: {"admin", "owner"},
    Action.DELETE_WORKSPACE: {"owner"},
    Action.COMMENT: {"member", "admin", "owner"},
    Action.MODERATE_COMMENTS: {"admin", "owner"},
    Action.EDIT_LABELS: {"member", "admin", "owner"},
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [*list(Role), None])
def test_each_role_may_do_exactly_what_the_table_says(role, action):
    assert may(role, action) == (role in TABLE[action])


@pytest.mark.parametrize(
    ("old", "new", "action"),
    [
        (None, "viewer", Action.MANAGE_MEMBERS),
        (None, "member", Action.MANAGE_MEMBERS),
        ("member", "viewer", Action.MANAGE_MEMBERS),
        ("viewer", None, Action.MANAGE_MEMBERS),
        (None, "admin", Action.MANAGE_ADMINS),
        (None, "owner", Action.MANAGE_ADMINS),
        ("member", "admin", Action.MANAGE_ADMINS),
        ("admin", "member", Action.MANAGE_ADMINS),
        ("admin", None, Action.MANAGE_ADMINS),
        ("owner", "viewer", Action.MANAGE_ADMINS),
    ],
)
def test_changes_touching_admins_or_owners_are_for_owners(old, new, action):
    assert member_change_action(old, new) == action


@pytest.mark.parametrize(
    ("inviter", "role", "allowed"),
    [
        ("owner", "owner", True),
        ("owner", "admin", True),
        ("admin", "member", True),
        ("admin", "viewer", True),
        ("admin", "admin", False),
        ("admin", "owner", False),
        ("member", "viewer", False),
        ("viewer", "viewer", False),
        (None, "viewer", False),
    ],
)
def test_inviting_is_adding_a_member_with_that_role(inviter, role, allowed):
    assert may_invite(inviter, role) is allowed
