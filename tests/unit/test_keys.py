"""The key layout of docs/data-model.md."""

from __future__ import annotations

from app.storage import keys
from app.storage.records import Membership, Task, membership_item, task_item


def test_items_of_a_workspace_share_its_partition():
    assert keys.workspace_key("W1") == {"PK": "WS#W1", "SK": "META"}
    assert keys.membership_key("W1", "u-1") == {"PK": "WS#W1", "SK": "MEMBER#u-1"}
    assert keys.task_key("W1", "T1") == {"PK": "WS#W1", "SK": "TASK#T1"}
    assert keys.audit_key("W1", "E1") == {"PK": "AUDIT#W1", "SK": "E1"}


def test_members_sort_before_the_workspace_item():
    assert keys.membership_key("W", "zzzz")["SK"] < keys.WORKSPACE_SK


def test_a_membership_is_found_by_its_user():
    item = membership_item(Membership("W1", "u-1", "a@example.com", "owner", "t"))
    assert item["UserKey"] == "USER#u-1"
    assert item["PK"] == "WS#W1"


def _task(**changes):
    fields = {
        "id": "T1",
        "workspace_id": "W1",
        "title": "t",
        "description": "",
        "status": "todo",
        "due_date": None,
        "assignee_id": None,
        "version": 1,
        "created_at": "t",
        "updated_at": "t",
        "created_by": "u",
        **changes,
    }
    return Task(**fields)


def test_task_index_keys_are_sparse():
    unassigned = task_item(_task())
    assert unassigned["StatusKey"] == "WS#W1#STATUS#todo"
    assert "AssigneeKey" not in unassigned
    assert "AssigneeStatusKey" not in unassigned
    assigned = task_item(_task(assignee_id="u-2", status="done"))
    assert assigned["AssigneeKey"] == "WS#W1#ASSIGNEE#u-2"
    assert assigned["AssigneeStatusKey"] == "WS#W1#ASSIGNEE#u-2#STATUS#done"
