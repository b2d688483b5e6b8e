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
    # Set when this part writes the caller's own membership and carries the caller's condition
    # too (on_behalf_of): the roles it requires, so that a failure can be told apart.
    caller_roles: frozenset[str] | None = None


@dataclass(frozen=True)
class Caller:
    """Who makes a change: a member of the workspace with one of `roles`, at commit time."""

    workspace_id: str
    user_id: str
    roles: frozenset[str]


CALLER_TAG = "caller"


def on_behalf_of(caller: Caller, parts: Iterable[Write]) -> list[Write]:
    """The change's parts with the caller's membership and role as a condition of the same
    transaction, self-targeted changes included: a ConditionCheck of the caller's membership,
    or, when a part writes that very item (one transaction cannot name an item twice), the
    same condition added to that part's own. A caller removed or demoted a moment before the
    commit therefore changes nothing, whatever the change does to whom."""
    parts = list(parts)
    key = serialize(keys.membership_key(caller.workspace_id, caller.user_id))
    for index, part in enumerate(parts):
        if _item_key(part) == key:
            parts[index] = _with_caller_condition(part, caller.roles)
            return parts
    return [require_member(caller.workspace_id, caller.user_id, caller.roles, CALLER_TAG), *parts]


def _item_key(part: Write) -> dict[str, Any] | None:
    if "Key" in part.request:
        return part.request["Key"]
    item = part.request.get("Item")
    return {"PK": item["PK"], "SK": item["SK"]} if item else None


def _with_caller_condition(part: Write, roles: frozenset[str]) -> Write:
    condition, values = _role_condition(roles, placeholder=":caller_role")
    request = dict(part.request)
    own = request.get("ConditionExpression")
    request["ConditionExpression"] = f"({own}) AND ({condition})" if own else condition
    request["ExpressionAttributeNames"] = {
        **request.get("ExpressionAttributeNames", {}),
        "#role": "role",
    }
    request["ExpressionAttributeValues"] = {
        **request.get("ExpressionAttributeValues", {}),
        **_values(values),
    }
    return Write(part.tag, part.operation, request, caller_roles=frozenset(roles))


def _values(names: dict[str, Any]) -> dict[str, Any]:
    return serialize(names)


def _version_condition(versions: frozenset[int] | None, values: dict[str, Any]) -> str:
    """' AND version IN (...)' for an If-Match list; nothing for If-Match: *."""
    if versions is None:
        return ""
    placeholders = [f":v{i}" for i in range(len(versions))]
    values.update(zip(placeholders, sorted(versions), strict=True))
    return f" AND version IN ({', '.join(placeholders)})"


def _role_condition(roles: Iterable[str], placeholder: str = ":role") -> tuple[str, dict[str, Any]]:
    names = sorted(roles)
    placeholders = [f"{placeholder}{i}" for i in range(len(names))]
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
# The change's audit event sorts after every event committed before it: with every change to a
# workspace writing this one attribute under this condition, DynamoDB commits them in the order
# of their events' ids (docs/data-model.md, "Audit order").
_IN_ORDER = "(attribute_not_exists(last_event) OR last_event < :event)"


def advance_workspace(
    workspace_id: str,
    *,
    event_id: str,
    owners: int = 0,
    members: int = 0,
    tasks: int = 0,
    member_limit: int | None = None,
    task_limit: int | None = None,
    tag: str = "workspace",
) -> Write:
    """The workspace's part in a change to what is in it: it is live, the change's event comes
    after the last one committed, and the counts move. A workspace keeps an owner (the count
    may not drop to zero); members and tasks may not grow past their limits."""
    condition = f"{_LIVE} AND {_IN_ORDER}"
    values: dict[str, Any] = {":false": False, ":event": event_id}
    additions = []
    for attribute, delta, limit in (
        ("owner_count", owners, None),
        ("member_count", members, member_limit),
        ("task_count", tasks, task_limit),
    ):
        if not delta:
            continue
        additions.append(f"{attribute} :{attribute}")
        values[f":{attribute}"] = delta
        if attribute == "owner_count" and delta < 0:
            condition += f" AND owner_count > :{attribute}_floor"
            values[f":{attribute}_floor"] = -delta
        if limit is not None and delta > 0:
            condition += (
                f" AND (attribute_not_exists({attribute}) OR {attribute} <= :{attribute}_room)"
            )
            values[f":{attribute}_room"] = limit - delta
    update = "SET last_event = :event" + (" ADD " + ", ".join(additions) if additions else "")
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.workspace_key(workspace_id)),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": _values(values),
        },
    )


def count_owned_workspace(
    user_id: str, delta: int, *, limit: int, tag: str = "owner_limit"
) -> Write:
    """One workspace more (or fewer) that the user owns; never more than `limit`."""
    values: dict[str, Any] = {":delta": delta, ":user": user_id, ":type": "user_limits"}
    request: dict[str, Any] = {
        "Key": serialize(keys.user_limits_key(user_id)),
        "UpdateExpression": "SET user_id = :user, #type = :type ADD owned :delta",
        "ExpressionAttributeNames": {"#type": "type"},
    }
    if delta > 0:
        request["ConditionExpression"] = "attribute_not_exists(owned) OR owned <= :room"
        values[":room"] = limit - delta
    request["ExpressionAttributeValues"] = _values(values)
    return Write(tag, "Update", request)


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
    event_id: str,
    tag: str = "workspace",
) -> Write:
    condition = f"{_LIVE} AND version = :expected AND {_IN_ORDER}"
    values: dict[str, Any] = {
        ":false": False,
        ":one": 1,
        ":name": name,
        ":now": updated_at,
        ":expected": expected_version,
        ":event": event_id,
    }
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.workspace_key(workspace_id)),
            "UpdateExpression": "SET #name = :name, updated_at = :now, version = version + :one, "
            "last_event = :event",
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
    event_id: str,
    tag: str = "workspace",
) -> Write:
    values: dict[str, Any] = {
        ":false": False,
        ":true": True,
        ":one": 1,
        ":now": deleted_at,
        ":event": event_id,
    }
    condition = f"{_LIVE} AND {_IN_ORDER}" + _version_condition(expected_versions, values)
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.workspace_key(workspace_id)),
            "UpdateExpression": "SET deleted = :true, updated_at = :now, version = version + :one, "
            "last_event = :event",
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


def change_member_email(
    workspace_id: str, user_id: str, *, old: str, new: str, tag: str = "membership"
) -> Write:
    """The email a membership shows, from `old` to `new`, if it is still there and still shows
    `old`."""
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.membership_key(workspace_id, user_id)),
            "UpdateExpression": "SET email = :new",
            "ConditionExpression": "attribute_exists(PK) AND email = :old",
            "ExpressionAttributeValues": _values({":new": new, ":old": old}),
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
