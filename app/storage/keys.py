"""The single-table key layout (docs/data-model.md). Every key string is built here and only here.

| item        | PK            | SK              | index keys                                   |
|-------------|---------------|-----------------|----------------------------------------------|
| workspace   | WS#<wid>      | META            |                                              |
| membership  | WS#<wid>      | MEMBER#<sub>    | ByUser: UserKey=USER#<sub>, sort PK          |
| task        | WS#<wid>      | TASK#<tid>      | ByStatus / ByAssignee / ByAssigneeStatus     |
| audit event | AUDIT#<wid>   | <event id>      |                                              |

The task indexes are sparse: an unassigned task has no AssigneeKey and AssigneeStatusKey, so it
takes no room in those indexes. Every index sorts tasks by SK, whose id orders by creation time.
"""

from __future__ import annotations

WORKSPACE_SK = "META"
MEMBER_PREFIX = "MEMBER#"
TASK_PREFIX = "TASK#"

BY_USER = "ByUser"
BY_STATUS = "ByStatus"
BY_ASSIGNEE = "ByAssignee"
BY_ASSIGNEE_STATUS = "ByAssigneeStatus"

Key = dict[str, str]


def workspace_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def workspace_key(workspace_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": WORKSPACE_SK}


def membership_key(workspace_id: str, user_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": MEMBER_PREFIX + user_id}


def task_key(workspace_id: str, task_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": TASK_PREFIX + task_id}


def audit_pk(workspace_id: str) -> str:
    return f"AUDIT#{workspace_id}"


def audit_key(workspace_id: str, event_id: str) -> Key:
    return {"PK": audit_pk(workspace_id), "SK": event_id}


def user_key(user_id: str) -> str:
    return f"USER#{user_id}"


def status_key(workspace_id: str, status: str) -> str:
    return f"WS#{workspace_id}#STATUS#{status}"


def assignee_key(workspace_id: str, assignee_id: str) -> str:
    return f"WS#{workspace_id}#ASSIGNEE#{assignee_id}"


def assignee_status_key(workspace_id: str, assignee_id: str, status: str) -> str:
    return f"WS#{workspace_id}#ASSIGNEE#{assignee_id}#STATUS#{status}"


def task_index_keys(workspace_id: str, status: str, assignee_id: str | None) -> dict[str, str]:
    keys = {"StatusKey": status_key(workspace_id, status)}
    if assignee_id:
        keys["AssigneeKey"] = assignee_key(workspace_id, assignee_id)
        keys["AssigneeStatusKey"] = assignee_status_key(workspace_id, assignee_id, status)
    return keys
