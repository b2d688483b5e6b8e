"""The parts of a TransactWriteItems call. Each carries a tag so that a cancelled transaction can
say which of its conditions failed, and with ALL_OLD, what the item looked like then.

The domain decides which parts a change needs (who may do it, what version it expects); this
module only knows how to say that to DynamoDB.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.storage import keys
from app.storage.records import (
    AuditEvent,
    Membership,
    Task,
    Workspace,
    audit_item,
    membership_item,
    serialize,
    task_due_entry_item,
    task_item,
    workspace_item,
)


@dataclass(frozen=True)
class Write:
    tag: str
    operation: str  # ConditionCheck | Put | Update | Delete
    request: dict[str, Any]


def _values(names: dict[str, Any]) -> dict[str, Any]:
    return serialize(names)


def _version_condition(versions: frozenset[int] | None, values: dict[str, Any]) -> str:
    """' AND version IN (...)' for an If-Match list; nothing for If-Match: *."""
    if versions is None:
        return ""
    placeholders = [f":v{i}" for i in range(len(versions))]
    values.update(zip(placeholders, sorted(versions), strict=True))
    return f" AND version IN ({', '.join(placeholders)})"


def _role_condition(roles: Iterable[str]) -> tuple[str, dict[str, Any]]:
    names = sorted(roles)
    placeholders = [f":role{i}" for i in range(len(names))]
    condition = f"attribute_exists(PK) AND #role IN ({', '.join(placeholders)})"
    return condition, dict(zip(placeholders, names, strict=True))


def require_member(workspace_id: str, user_id: str, roles: Iterable[str], tag: str) -> Write:
    """The user is a member of the workspace with one of these roles, at commit time."""
    condition, values = _role_condition(roles)
    return Write(
        tag,
        "ConditionCheck",
        {
            "Key": serialize(keys.membership_key(workspace_id, user_id)),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#role": "role"},
            "ExpressionAttributeValues": _values(values),
        },
    )


_LIVE = "attribute_exists(PK) AND deleted = :false"


def require_live_workspace(workspace_id: str, tag: str = "workspace") -> Write:
    return Write(
        tag,
        "ConditionCheck",
        {
            "Key": serialize(keys.workspace_key(workspace_id)),
            "ConditionExpression": _LIVE,
            "ExpressionAttributeValues": _values({":false": False}),
        },
    )


def put_workspace(ws: Workspace, tag: str = "workspace") -> Write:
    return Write(
        tag,
        "Put",
        {"Item": serialize(workspace_item(ws)), "ConditionExpression": "attribute_not_exists(PK)"},
    )


def update_workspace(
    workspace_id: str,
    *,
    expected_version: int,
    name: str,
    updated_at: str,
    tag: str = "workspace",
) -> Write:
    condition = _LIVE + " AND version = :expected"
    values: dict[str, Any] = {
        ":false": False,
        ":one": 1,
        ":name": name,
        ":now": updated_at,
        ":expected": expected_version,
    }
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.workspace_key(workspace_id)),
            "UpdateExpression": "SET #name = :name, updated_at = :now, version = version + :one",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#name": "name"},
            "ExpressionAttributeValues": _values(values),
        },
    )


def mark_workspace_deleted(
    workspace_id: str,
    *,
    expected_versions: frozenset[int] | None,
    deleted_at: str,
    tag: str = "workspace",
) -> Write:
    values: dict[str, Any] = {":false": False, ":true": True, ":one": 1, ":now": deleted_at}
    condition = _LIVE + _version_condition(expected_versions, values)
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.workspace_key(workspace_id)),
            "UpdateExpression": "SET deleted = :true, updated_at = :now, version = version + :one",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": _values(values),
        },
    )


def change_owner_count(workspace_id: str, delta: int, tag: str = "workspace") -> Write:
    """Keeps the owner count on the workspace item, so 'at least one owner' is a condition."""
    condition = _LIVE
    values: dict[str, Any] = {":false": False, ":delta": delta}
    if delta < 0:
        condition += " AND owner_count > :min"
        values[":min"] = -delta
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.workspace_key(workspace_id)),
            "UpdateExpression": "ADD owner_count :delta",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": _values(values),
        },
    )


def put_membership(m: Membership, tag: str = "membership") -> Write:
    return Write(
        tag,
        "Put",
        {"Item": serialize(membership_item(m)), "ConditionExpression": "attribute_not_exists(PK)"},
    )


def change_member_role(
    workspace_id: str, user_id: str, *, expected_role: str, role: str, tag: str = "membership"
) -> Write:
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.membership_key(workspace_id, user_id)),
            "UpdateExpression": "SET #role = :role",
            "ConditionExpression": "attribute_exists(PK) AND #role = :expected",
            "ExpressionAttributeNames": {"#role": "role"},
            "ExpressionAttributeValues": _values({":role": role, ":expected": expected_role}),
        },
    )


def delete_membership(
    workspace_id: str, user_id: str, *, expected_role: str, tag: str = "membership"
) -> Write:
    return Write(
        tag,
        "Delete",
        {
            "Key": serialize(keys.membership_key(workspace_id, user_id)),
            "ConditionExpression": "attribute_exists(PK) AND #role = :expected",
            "ExpressionAttributeNames": {"#role": "role"},
            "ExpressionAttributeValues": _values({":expected": expected_role}),
        },
    )


def put_task(task: Task, tag: str = "task") -> Write:
    return Write(
        tag,
        "Put",
        {"Item": serialize(task_item(task)), "ConditionExpression": "attribute_not_exists(PK)"},
    )


def replace_task(task: Task, *, expected_version: int, tag: str = "task") -> Write:
    """Writes the whole new task (its index keys follow status and assignee) if the stored
    version is still the one the change was computed from."""
    return Write(
        tag,
        "Put",
        {
            "Item": serialize(task_item(task)),
            "ConditionExpression": "attribute_exists(PK) AND version = :expected",
            "ExpressionAttributeValues": _values({":expected": expected_version}),
        },
    )


def put_task_due_entry(task: Task, tag: str = "due_entry") -> Write:
    """The task's copy in due order. Unconditional: it rides in the transaction that writes
    the task itself under the task's own conditions."""
    return Write(tag, "Put", {"Item": serialize(task_due_entry_item(task))})


def delete_task_due_entry(task: Task, tag: str = "old_due_entry") -> Write:
    """The copy filed under the task's due date as it was (none there is no error)."""
    key = keys.due_entry_key(task.workspace_id, task.due_date, task.id)
    return Write(tag, "Delete", {"Key": serialize(key)})


def delete_task(
    workspace_id: str,
    task_id: str,
    *,
    expected_versions: frozenset[int] | None,
    tag: str = "task",
) -> Write:
    values: dict[str, Any] = {}
    request: dict[str, Any] = {
        "Key": serialize(keys.task_key(workspace_id, task_id)),
        "ConditionExpression": "attribute_exists(PK)"
        + _version_condition(expected_versions, values),
    }
    if values:
        request["ExpressionAttributeValues"] = _values(values)
    return Write(tag, "Delete", request)


def put_audit_event(event: AuditEvent, *, expires_at: int, tag: str = "audit") -> Write:
    return Write(
        tag,
        "Put",
        {
            "Item": serialize(audit_item(event, expires_at)),
            # Events are immutable: an id collision must fail, never overwrite.
            "ConditionExpression": "attribute_not_exists(PK)",
        },
    )
