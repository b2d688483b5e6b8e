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
    Comment,
    Invitation,
    Label,
    Membership,
    Task,
    Workspace,
    audit_item,
    comment_item,
    invitation_copy_item,
    invitation_item,
    invited_item,
    label_item,
    label_name_item,
    labelled_item,
    membership_item,
    serialize,
    task_due_entry_item,
    task_item,
    task_priority_entry_item,
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
    labels: int = 0,
    member_limit: int | None = None,
    task_limit: int | None = None,
    label_limit: int | None = None,
    unchanged_since: str | None = None,
    tag: str = "workspace",
) -> Write:
    """The workspace's part in a change to what is in it: it is live, the change's event comes
    after the last one committed, and the counts move. A workspace keeps an owner (the count
    may not drop to zero); members and tasks may not grow past their limits. With
    `unchanged_since`, nothing else changed in the workspace since that event: what the change
    counted before (its pending invitations) is still what there is."""
    condition = f"{_LIVE} AND {_IN_ORDER}"
    values: dict[str, Any] = {":false": False, ":event": event_id}
    if unchanged_since is not None:
        condition += " AND last_event = :seen"
        values[":seen"] = unchanged_since
    additions = []
    for attribute, delta, limit in (
        ("owner_count", owners, None),
        ("member_count", members, member_limit),
        ("task_count", tasks, task_limit),
        ("label_count", labels, label_limit),
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
    version is still the one the change was computed from, and its comment count (which moves
    without a new version) still the one it carries."""
    return Write(
        tag,
        "Put",
        {
            "Item": serialize(task_item(task)),
            "ConditionExpression": "attribute_exists(PK) AND version = :expected AND "
            + _comment_count_is(task.comment_count),
            "ExpressionAttributeValues": _values(
                {":expected": expected_version, ":comments": task.comment_count}
            ),
        },
    )


def _comment_count_is(count: int) -> str:
    # Tasks written before comments have no count: theirs is 0.
    if count == 0:
        return "(attribute_not_exists(comment_count) OR comment_count = :comments)"
    return "comment_count = :comments"


def count_task_comments(task: Task, delta: int, *, limit: int, tag: str = "task") -> list[Write]:
    """One comment more (or fewer) on the task and on its due and priority entries, the task as
    it was read (its version pins where the entries are), never more than `limit`. A task the
    priorities migration has not reached has no priority entry yet."""
    condition = "attribute_exists(PK) AND version = :version"
    values: dict[str, Any] = {":delta": delta, ":version": task.version}
    if delta > 0:
        condition += " AND (attribute_not_exists(comment_count) OR comment_count <= :room)"
        values[":room"] = limit - delta
    entries = [("due_entry", keys.due_entry_key(task.workspace_id, task.due_date, task.id))]
    if task.priority_entry:
        priority_key = keys.priority_entry_key(
            task.workspace_id, task.priority, task.due_date, task.id
        )
        entries.append(("priority_entry", priority_key))
    return [
        Write(
            tag,
            "Update",
            {
                "Key": serialize(keys.task_key(task.workspace_id, task.id)),
                "UpdateExpression": "ADD comment_count :delta",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": _values(values),
            },
        ),
        *(
            Write(
                entry_tag,
                "Update",
                {
                    "Key": serialize(entry),
                    "UpdateExpression": "ADD comment_count :delta",
                    # Never an item of its own: an update makes one where there is none.
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": _values({":delta": delta}),
                },
            )
            for entry_tag, entry in entries
        ),
    ]


def require_task(task: Task, tag: str = "task") -> Write:
    """The task still exists at commit time (a comment of a deleted task is gone with it)."""
    return Write(
        tag,
        "ConditionCheck",
        {
            "Key": serialize(keys.task_key(task.workspace_id, task.id)),
            "ConditionExpression": "attribute_exists(PK)",
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


def put_task_priority_entry(task: Task, tag: str = "priority_entry") -> Write:
    """The task's copy in priority order; unconditional, like the due entry."""
    return Write(tag, "Put", {"Item": serialize(task_priority_entry_item(task))})


def delete_task_priority_entry(task: Task, tag: str = "old_priority_entry") -> Write | None:
    """The copy filed under the task's priority and due date as they were; nothing for a task
    the priorities migration has not reached (it has none)."""
    if not task.priority_entry:
        return None
    key = keys.priority_entry_key(task.workspace_id, task.priority, task.due_date, task.id)
    return Write(tag, "Delete", {"Key": serialize(key)})


def put_labelled(workspace_id: str, label_id: str, task_id: str) -> Write:
    """The task's entry under one of its labels; unconditional, in the task's transaction."""
    item = labelled_item(workspace_id, label_id, task_id)
    return Write(f"labelled:{label_id}", "Put", {"Item": serialize(item)})


def delete_labelled(workspace_id: str, label_id: str, task_id: str) -> Write:
    key = keys.labelled_key(workspace_id, label_id, task_id)
    return Write(f"unlabelled:{label_id}", "Delete", {"Key": serialize(key)})


def require_label(workspace_id: str, label_id: str) -> Write:
    """The label exists at commit time (a task may only be given labels of its workspace)."""
    return Write(
        f"label:{label_id}",
        "ConditionCheck",
        {
            "Key": serialize(keys.label_key(workspace_id, label_id)),
            "ConditionExpression": "attribute_exists(PK)",
        },
    )


# -- labels -----------------------------------------------------------------------------------


def put_label(label: Label, folded_name: str) -> list[Write]:
    """A new label and its name's marker: no other label of the workspace has the name."""
    return [
        Write(
            "label",
            "Put",
            {
                "Item": serialize(label_item(label)),
                "ConditionExpression": "attribute_not_exists(PK)",
            },
        ),
        Write(
            "label_name",
            "Put",
            {
                "Item": serialize(label_name_item(label, folded_name)),
                "ConditionExpression": "attribute_not_exists(PK)",
            },
        ),
    ]


def replace_label(
    label: Label, *, expected_version: int, folded_name: str, old_folded_name: str
) -> list[Write]:
    """The label's new state if it is still at the version read; a new name moves its
    marker, which no other label may hold."""
    parts = [
        Write(
            "label",
            "Put",
            {
                "Item": serialize(label_item(label)),
                "ConditionExpression": "attribute_exists(PK) AND version = :expected",
                "ExpressionAttributeValues": _values({":expected": expected_version}),
            },
        )
    ]
    if folded_name != old_folded_name:
        parts += [
            Write(
                "label_name",
                "Put",
                {
                    "Item": serialize(label_name_item(label, folded_name)),
                    "ConditionExpression": "attribute_not_exists(PK)",
                },
            ),
            Write(
                "old_label_name",
                "Delete",
                {"Key": serialize(keys.label_name_key(label.workspace_id, old_folded_name))},
            ),
        ]
    return parts


def delete_label(label: Label, *, expected_versions: frozenset[int] | None, folded_name: str):
    """The label and its name's marker. Its tasks lose it in the background (the task-index
    function, on this deletion's stream record)."""
    values: dict[str, Any] = {}
    condition = "attribute_exists(PK)" + _version_condition(expected_versions, values)
    request: dict[str, Any] = {
        "Key": serialize(keys.label_key(label.workspace_id, label.id)),
        "ConditionExpression": condition,
    }
    if values:
        request["ExpressionAttributeValues"] = _values(values)
    return [
        Write("label", "Delete", request),
        Write(
            "label_name",
            "Delete",
            {"Key": serialize(keys.label_name_key(label.workspace_id, folded_name))},
        ),
    ]


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


# -- invitations ----------------------------------------------------------------------------


def put_invitation(
    invitation: Invitation,
    *,
    expires_epoch: int,
    now_epoch: int,
    replaces: Invitation | None = None,
) -> list[Write]:
    """The invitation as the workspace and as its address keep it, and the address's marker:
    one pending invitation per address and workspace. The marker may replace one whose
    invitation expired, or `replaces` (withdrawn), whose items go in the same transaction."""
    marker_values: dict[str, Any] = {
        ":now": now_epoch,
        ":replaced": replaces.id if replaces else "",
    }
    parts = [
        Write(
            "invitation",
            "Put",
            {
                "Item": serialize(invitation_item(invitation, expires_epoch)),
                "ConditionExpression": "attribute_not_exists(PK)",
            },
        ),
        Write(
            "invitation_copy",
            "Put",
            {
                "Item": serialize(invitation_copy_item(invitation, expires_epoch)),
                "ConditionExpression": "attribute_not_exists(PK)",
            },
        ),
        Write(
            "invited",
            "Put",
            {
                "Item": serialize(invited_item(invitation, expires_epoch)),
                "ConditionExpression": "attribute_not_exists(PK) OR expires_at <= :now "
                "OR invitation_id = :replaced",
                "ExpressionAttributeValues": _values(marker_values),
            },
        ),
    ]
    if replaces is not None:
        parts += [
            Write(
                "replaced",
                "Delete",
                {"Key": serialize(keys.invitation_key(replaces.workspace_id, replaces.id))},
            ),
            Write(
                "replaced_copy",
                "Delete",
                {"Key": serialize(keys.invitee_key(replaces.email, replaces.id))},
            ),
        ]
    return parts


def delete_invitation(invitation: Invitation, *, tag: str = "invitation") -> list[Write]:
    """An invitation ends (accepted, declined, revoked): its items and its address's marker,
    which names no other invitation (a new one to the address replaces this one's items)."""
    return [
        Write(
            tag,
            "Delete",
            {
                "Key": serialize(keys.invitation_key(invitation.workspace_id, invitation.id)),
                "ConditionExpression": "attribute_exists(PK)",
            },
        ),
        Write(
            "invitation_copy",
            "Delete",
            {"Key": serialize(keys.invitee_key(invitation.email, invitation.id))},
        ),
        Write(
            "invited",
            "Delete",
            {"Key": serialize(keys.invited_key(invitation.workspace_id, invitation.email))},
        ),
    ]


def count_invitation_sent(
    user_id: str, day: str, *, limit: int, expires_epoch: int, tag: str = "daily_limit"
) -> Write:
    """One more invitation sent by the user that day; never more than `limit`."""
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.invitations_sent_key(user_id, day)),
            "UpdateExpression": "SET #type = :type, user_id = :user, #day = :day, "
            "expires_at = :expires ADD #count :one",
            "ConditionExpression": "attribute_not_exists(#count) OR #count < :limit",
            "ExpressionAttributeNames": {"#type": "type", "#day": "day", "#count": "count"},
            "ExpressionAttributeValues": _values(
                {
                    ":type": "invitations_sent",
                    ":user": user_id,
                    ":day": day,
                    ":expires": expires_epoch,
                    ":one": 1,
                    ":limit": limit,
                }
            ),
        },
    )


def require_no_member(workspace_id: str, user_id: str, tag: str = "not_member") -> Write:
    return Write(
        tag,
        "ConditionCheck",
        {
            "Key": serialize(keys.membership_key(workspace_id, user_id)),
            "ConditionExpression": "attribute_not_exists(PK)",
        },
    )


# -- comments ---------------------------------------------------------------------------------


def put_comment(comment: Comment, tag: str = "comment") -> Write:
    return Write(
        tag,
        "Put",
        {
            "Item": serialize(comment_item(comment)),
            "ConditionExpression": "attribute_not_exists(PK)",
        },
    )


def replace_comment(comment: Comment, *, expected_version: int, tag: str = "comment") -> Write:
    return Write(
        tag,
        "Put",
        {
            "Item": serialize(comment_item(comment)),
            "ConditionExpression": "attribute_exists(PK) AND version = :expected",
            "ExpressionAttributeValues": _values({":expected": expected_version}),
        },
    )


def delete_comment(comment: Comment, tag: str = "comment") -> Write:
    return Write(
        tag,
        "Delete",
        {
            "Key": serialize(keys.comment_key(comment.workspace_id, comment.task_id, comment.id)),
            "ConditionExpression": "attribute_exists(PK) AND version = :expected",
            "ExpressionAttributeValues": _values({":expected": comment.version}),
        },
    )


# -- a user's own settings ----------------------------------------------------------------------


def set_email_preference(user_id: str, value: str, tag: str = "preferences") -> Write:
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.preferences_key(user_id)),
            "UpdateExpression": "SET #type = :type, user_id = :user, email_notifications = :value",
            "ExpressionAttributeNames": {"#type": "type"},
            "ExpressionAttributeValues": _values(
                {":type": "preferences", ":user": user_id, ":value": value}
            ),
        },
    )


def mark_read_up_to(user_id: str, notification_id: str, tag: str = "preferences") -> Write:
    """The read mark only moves forward."""
    return Write(
        tag,
        "Update",
        {
            "Key": serialize(keys.preferences_key(user_id)),
            "UpdateExpression": "SET #type = :type, user_id = :user, read_up_to = :id",
            "ConditionExpression": "attribute_not_exists(read_up_to) OR read_up_to < :id",
            "ExpressionAttributeNames": {"#type": "type"},
            "ExpressionAttributeValues": _values(
                {":type": "preferences", ":user": user_id, ":id": notification_id}
            ),
        },
    )


def require_notification(user_id: str, notification_id: str, tag: str = "notification") -> Write:
    return Write(
        tag,
        "ConditionCheck",
        {
            "Key": serialize(keys.notification_key(user_id, notification_id)),
            "ConditionExpression": "attribute_exists(PK)",
        },
    )
