"""What the table holds, as plain values, and their item form. The domain works with these."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from app.storage import keys, text_index

# A task's copies filed under its due date (keys.due_entry_key) and its priority
# (keys.priority_entry_key); each reads back as the Task.
DUE_ENTRY_TYPE = "task_due_entry"
PRIORITY_ENTRY_TYPE = "task_priority_entry"
TASK_TYPES = frozenset({"task", DUE_ENTRY_TYPE, PRIORITY_ENTRY_TYPE})


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str
    version: int
    created_at: str
    updated_at: str
    owner_count: int
    deleted: bool = False
    # Product limits count these (docs/api.md, "Limits"); workspaces older than the counts
    # start from zero.
    member_count: int = 0
    task_count: int = 0
    label_count: int = 0
    # The id of the workspace's last audit event: each change's event must sort after it, so
    # the log's order is the order of the commits (docs/data-model.md).
    last_event: str | None = None


@dataclass(frozen=True)
class Membership:
    workspace_id: str
    user_id: str
    email: str
    role: str
    added_at: str


@dataclass(frozen=True)
class Task:
    id: str
    workspace_id: str
    title: str
    description: str
    status: str
    due_date: str | None
    assignee_id: str | None
    version: int
    created_at: str
    updated_at: str
    created_by: str
    # Read-only, and not part of the task's version: commenting changes it without a new
    # version (docs/api.md, "Tasks"); every write of the task keeps it as it was read.
    comment_count: int = 0
    # One of keys.PRIORITIES; a task written before priorities has "none".
    priority: str = "none"
    # Label ids of the task's workspace, in the order given (at most 10, no duplicates).
    labels: tuple[str, ...] = ()
    # Not a field of the task: whether its items include a priority entry. False only for a
    # task written before priorities that the migration (m002) has not reached yet.
    priority_entry: bool = field(default=True, compare=False, repr=False)


@dataclass(frozen=True)
class Label:
    id: str
    workspace_id: str
    name: str
    color: str
    version: int
    created_at: str


@dataclass(frozen=True)
class LabelName:
    """The marker that keeps one label per name (ignoring case) in a workspace."""

    label_id: str


@dataclass(frozen=True)
class AuditEvent:
    id: str
    workspace_id: str
    at: str
    actor_id: str
    action: str
    target_type: str
    target_id: str
    changes: dict[str, list[Any]] = field(default_factory=dict)
    # The target's name when the event was written; None only on events older than labels
    # that the migration could not label.
    target_label: str | None = None
    # A comment's task (the notifier finds the task and its people by it); not served.
    task_id: str | None = None


@dataclass(frozen=True)
class UserLimits:
    """What counts against a user's own limits: the workspaces they own."""

    user_id: str
    owned_workspaces: int = 0


@dataclass(frozen=True)
class Invitation:
    """An invitation to a workspace, as the workspace keeps it and as its address sees it (two
    items of one transaction, besides the address's marker: docs/data-model.md)."""

    id: str
    workspace_id: str
    email: str
    role: str
    invited_by: str
    # The inviter's address as their membership showed it when they invited, so the invitee
    # can tell who asks them in (the user id alone names no one to them).
    invited_by_email: str
    created_at: str
    expires_at: str

    def expired(self, now: str) -> bool:
        """`now` in RFC 3339 (the same format compares in time order)."""
        return self.expires_at <= now


@dataclass(frozen=True)
class InvitedAddress:
    """The marker that keeps one pending invitation per address and workspace."""

    workspace_id: str
    email: str
    invitation_id: str
    expires_epoch: int


@dataclass(frozen=True)
class Comment:
    id: str
    workspace_id: str
    task_id: str
    author_id: str
    body: str
    mentions: tuple[str, ...]
    version: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Notification:
    """Written by the notifier function (lambdas/notifier), read by the service."""

    id: str
    user_id: str
    type: str
    at: str
    workspace_id: str
    actor_id: str
    target_type: str
    target_id: str
    target_label: str | None


@dataclass(frozen=True)
class Preferences:
    user_id: str
    email_notifications: str = "immediate"
    # The newest notification marked read: it and every older one are read.
    read_up_to: str | None = None


@dataclass(frozen=True)
class InvitationsSent:
    user_id: str
    day: str
    count: int


Record = (
    Workspace
    | Membership
    | Task
    | Label
    | LabelName
    | AuditEvent
    | UserLimits
    | Invitation
    | InvitedAddress
    | Comment
    | Notification
    | Preferences
    | InvitationsSent
)

# What a Task is read from: its fields, under their own names, and the item's type.
TASK_ATTRIBUTES = ("type", *(each.name for each in fields(Task) if each.name != "priority_entry"))


def serialize(value: dict[str, Any]) -> dict[str, Any]:
    return {name: _item_value(v) for name, v in value.items() if v is not None}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    """An item as DynamoDB's JSON sends it (app/aws/dynamodb.py): binary values in base64."""
    return {name: _plain_value(v) for name, v in item.items()}


# The conversions below are boto3's TypeSerializer and TypeDeserializer (followed by _plain)
# for the types the service stores, written out directly because boto3's, which dispatch on
# each value's type by name, were 8% of a list of 25 tasks (docs/performance.md). Every other
# type goes to boto3's, so the result is always exactly theirs
# (tests/unit/test_storage_attribute_values.py compares the two).
_INTEGER = re.compile(r"-?[0-9]{1,38}")
_INTEGER_LIMIT = 10**38  # DynamoDB keeps 38 digits; boto3 refuses more


def _item_value(value: Any) -> dict[str, Any]:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if value is None:
        return {"NULL": True}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_INTEGER_LIMIT < value < _INTEGER_LIMIT:
        return {"N": str(value)}
    if kind is dict:
        return {"M": {name: _item_value(v) for name, v in value.items()}}
    if kind is list:
        return {"L": [_item_value(v) for v in value]}
    return _boto3_types().TypeSerializer().serialize(value)


def _plain_value(attribute: dict[str, Any]) -> Any:
    # Most values are strings: they are answered before anything else is looked at.
    text = attribute.get("S")
    if text is not None and len(attribute) == 1:
        return text
    if len(attribute) == 1:
        ((tag, value),) = attribute.items()
        if tag == "S":
            return value
        if tag == "N" and _INTEGER.fullmatch(value):
            return int(value)
        if tag == "M":
            return {name: _plain_value(v) for name, v in value.items()}
        if tag == "L":
            return [_plain_value(v) for v in value]
        if tag == "BOOL":
            return value
        if tag == "NULL":
            return None
        if tag == "B":
            attribute = {"B": _binary(value)}
        elif tag == "BS":
            attribute = {"BS": [_binary(member) for member in value]}
    return _plain(_boto3_types().TypeDeserializer().deserialize(attribute))


def _binary(value: str | bytes) -> bytes:
    """Base64 text as DynamoDB's JSON carries it; bytes as a botocore client (the migrations'
    tool) has already decoded them."""
    return value if isinstance(value, bytes | bytearray) else base64.b64decode(value)


def _boto3_types() -> Any:
    # Imported when first needed: importing boto3 costs a tenth of a second at every start
    # (s3transfer with it), and the service's own values never need it.
    from boto3.dynamodb import types  # noqa: PLC0415

    return types


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the service only stores integers."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def workspace_item(ws: Workspace) -> dict[str, Any]:
    return {
        **keys.workspace_key(ws.id),
        "type": "workspace",
        "id": ws.id,
        "name": ws.name,
        "version": ws.version,
        "created_at": ws.created_at,
        "updated_at": ws.updated_at,
        "owner_count": ws.owner_count,
        "deleted": ws.deleted,
        "member_count": ws.member_count,
        "task_count": ws.task_count,
        "label_count": ws.label_count,
        "last_event": ws.last_event,
    }


def membership_item(m: Membership) -> dict[str, Any]:
    return {
        **keys.membership_key(m.workspace_id, m.user_id),
        "UserKey": keys.user_key(m.user_id),
        "type": "membership",
        "workspace_id": m.workspace_id,
        "user_id": m.user_id,
        "email": m.email,
        "role": m.role,
        "added_at": m.added_at,
    }


def task_item(t: Task) -> dict[str, Any]:
    """The task itself. Besides the copies' attributes it holds its title's search terms,
    from which the task-index function keeps the word entries (docs/data-model.md, "Search")."""
    return {
        **_task_copy(t, keys.TASK_ITEM),
        **keys.task_key(t.workspace_id, t.id),
        "search_terms": text_index.search_terms(t.title),
        "type": "task",
    }


def task_due_entry_item(t: Task) -> dict[str, Any]:
    """The task's copy in due order (docs/data-model.md), always written beside the task."""
    return {
        **_task_copy(t, keys.DUE_ENTRY),
        **keys.due_entry_key(t.workspace_id, t.due_date, t.id),
        "type": DUE_ENTRY_TYPE,
    }


def task_priority_entry_item(t: Task) -> dict[str, Any]:
    """The task's copy in priority order, always written beside the task."""
    return {
        **_task_copy(t, keys.PRIORITY_ENTRY),
        **keys.priority_entry_key(t.workspace_id, t.priority, t.due_date, t.id),
        "type": PRIORITY_ENTRY_TYPE,
    }


def _task_copy(t: Task, copy: str) -> dict[str, Any]:
    """What every item of a task holds: its fields, its index keys, and its title as the
    search reads it (app/storage/text_index.py)."""
    return {
        **_task_fields(t),
        **keys.task_index_keys(
            t.workspace_id,
            t.status,
            t.assignee_id,
            task_id=t.id,
            due_date=t.due_date,
            priority=t.priority,
            copy=copy,
        ),
        "search_text": text_index.search_text(t.title),
    }


def _task_fields(t: Task) -> dict[str, Any]:
    return {
        "id": t.id,
        "workspace_id": t.workspace_id,
        "title": t.title,
        "description": t.description,
        "status": t.status,
        "due_date": t.due_date,
        "assignee_id": t.assignee_id,
        "version": t.version,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "created_by": t.created_by,
        "comment_count": t.comment_count,
        "priority": t.priority,
        "labels": list(t.labels),
    }


def labelled_item(workspace_id: str, label_id: str, task_id: str) -> dict[str, Any]:
    """A task has a label (its label entry: docs/data-model.md, "Labels")."""
    return {**keys.labelled_key(workspace_id, label_id, task_id), "type": "labelled"}


def word_item(workspace_id: str, term: str, task_id: str) -> dict[str, Any]:
    """A word of a task's title (its word entry: docs/data-model.md, "Search"); the task-index
    function writes these from the task's search_terms (lambdas/task_index)."""
    return {**keys.word_key(workspace_id, term, task_id), "type": "word"}


def label_item(label: Label) -> dict[str, Any]:
    return {
        **keys.label_key(label.workspace_id, label.id),
        "type": "label",
        "id": label.id,
        "workspace_id": label.workspace_id,
        "name": label.name,
        "color": label.color,
        "version": label.version,
        "created_at": label.created_at,
    }


def label_name_item(label: Label, folded_name: str) -> dict[str, Any]:
    return {
        **keys.label_name_key(label.workspace_id, folded_name),
        "type": "label_name",
        "label_id": label.id,
    }


def audit_item(event: AuditEvent, expires_at: int) -> dict[str, Any]:
    return {
        **keys.audit_key(event.workspace_id, event.id),
        "type": "audit",
        "id": event.id,
        "workspace_id": event.workspace_id,
        "at": event.at,
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "changes": event.changes,
        "task_id": event.task_id,
        # DynamoDB's TTL deletes the event once its retention has passed.
        "expires_at": expires_at,
    }


INVITATION_TYPE = "invitation"
INVITATION_COPY_TYPE = "invitation_copy"


def _invitation_fields(invitation: Invitation, expires_epoch: int) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "workspace_id": invitation.workspace_id,
        "email": invitation.email,
        "role": invitation.role,
        "invited_by": invitation.invited_by,
        "invited_by_email": invitation.invited_by_email,
        "created_at": invitation.created_at,
        # The representation's expires_at (RFC 3339); the item's own expires_at is the epoch
        # second DynamoDB's TTL removes it at.
        "expiry": invitation.expires_at,
        "expires_at": expires_epoch,
    }


def invitation_item(invitation: Invitation, expires_epoch: int) -> dict[str, Any]:
    return {
        **keys.invitation_key(invitation.workspace_id, invitation.id),
        **_invitation_fields(invitation, expires_epoch),
        "type": INVITATION_TYPE,
    }


def invitation_copy_item(invitation: Invitation, expires_epoch: int) -> dict[str, Any]:
    return {
        **keys.invitee_key(invitation.email, invitation.id),
        **_invitation_fields(invitation, expires_epoch),
        "type": INVITATION_COPY_TYPE,
    }


def invited_item(invitation: Invitation, expires_epoch: int) -> dict[str, Any]:
    return {
        **keys.invited_key(invitation.workspace_id, invitation.email),
        "type": "invited",
        "workspace_id": invitation.workspace_id,
        "email": invitation.email,
        "invitation_id": invitation.id,
        "expires_at": expires_epoch,
    }


def comment_item(comment: Comment) -> dict[str, Any]:
    return {
        **keys.comment_key(comment.workspace_id, comment.task_id, comment.id),
        "type": "comment",
        "id": comment.id,
        "workspace_id": comment.workspace_id,
        "task_id": comment.task_id,
        "author_id": comment.author_id,
        "body": comment.body,
        "mentions": list(comment.mentions),
        "version": comment.version,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
    }


# What a Comment is read from (a list reads no more).
COMMENT_ATTRIBUTES = ("type", *(each.name for each in fields(Comment)))


class _Attributes:
    """An item's attributes, each converted when it is read: a record reads only its own fields,
    not the keys and index keys that every item also carries."""

    __slots__ = ("_item",)

    def __init__(self, item: dict[str, Any]):
        self._item = item

    def __getitem__(self, name: str) -> Any:
        return _plain_value(self._item[name])

    def get(self, name: str, default: Any = None) -> Any:
        attribute = self._item.get(name)
        return default if attribute is None else _plain_value(attribute)


def record_from_item(item: dict[str, Any]) -> Record:
    data = _Attributes(item)
    kind = data.get("type")
    if kind == "workspace":
        return Workspace(
            id=data["id"],
            name=data["name"],
            version=data["version"],
            created_at=data["created_at"],
            updated_at=data["updated_at"],
            owner_count=data.get("owner_count", 0),
            deleted=bool(data.get("deleted", False)),
            member_count=data.get("member_count", 0),
            task_count=data.get("task_count", 0),
            label_count=data.get("label_count", 0),
            last_event=data.get("last_event"),
        )
    if kind == "membership":
        return Membership(
            workspace_id=data["workspace_id"],
            user_id=data["user_id"],
            email=data.get("email", ""),
            role=data["role"],
            added_at=data["added_at"],
        )
    if kind in TASK_TYPES:
        return Task(
            id=data["id"],
            workspace_id=data["workspace_id"],
            title=data["title"],
            description=data.get("description", ""),
            status=data["status"],
            due_date=data.get("due_date"),
            assignee_id=data.get("assignee_id"),
            version=data["version"],
            created_at=data["created_at"],
            updated_at=data["updated_at"],
            created_by=data["created_by"],
            comment_count=data.get("comment_count", 0),
            priority=data.get("priority", "none"),
            priority_entry=data.get("priority") is not None,
            labels=tuple(data.get("labels", ())),
        )
    if kind in ("label", "label_name"):
        return _label_record(kind, data)
    if kind == "audit":
        return AuditEvent(
            id=data["id"],
            workspace_id=data["workspace_id"],
            at=data["at"],
            actor_id=data["actor_id"],
            action=data["action"],
            target_type=data["target_type"],
            target_id=data["target_id"],
            changes=data.get("changes", {}),
            target_label=data.get("target_label"),
            task_id=data.get("task_id"),
        )
    if kind == "user_limits":
        return UserLimits(user_id=data["user_id"], owned_workspaces=data.get("owned", 0))
    if kind in (INVITATION_TYPE, INVITATION_COPY_TYPE):
        return Invitation(
            id=data["id"],
            workspace_id=data["workspace_id"],
            email=data["email"],
            role=data["role"],
            invited_by=data["invited_by"],
            invited_by_email=data["invited_by_email"],
            created_at=data["created_at"],
            expires_at=data["expiry"],
        )
    if kind == "invited":
        return InvitedAddress(
            workspace_id=data["workspace_id"],
            email=data["email"],
            invitation_id=data["invitation_id"],
            expires_epoch=data["expires_at"],
        )
    if kind == "comment":
        return Comment(
            id=data["id"],
            workspace_id=data["workspace_id"],
            task_id=data["task_id"],
            author_id=data["author_id"],
            body=data["body"],
            mentions=tuple(data.get("mentions", [])),
            version=data["version"],
            created_at=data["created_at"],
            updated_at=data["updated_at"],
        )
    if kind == "notification":
        return Notification(
            id=data["id"],
            user_id=data["user_id"],
            type=data["notification_type"],
            at=data["at"],
            workspace_id=data["workspace_id"],
            actor_id=data["actor_id"],
            target_type=data["target_type"],
            target_id=data["target_id"],
            target_label=data.get("target_label"),
        )
    if kind == "preferences":
        return Preferences(
            user_id=data["user_id"],
            email_notifications=data.get("email_notifications", "immediate"),
            read_up_to=data.get("read_up_to"),
        )
    if kind == "invitations_sent":
        return InvitationsSent(user_id=data["user_id"], day=data["day"], count=data["count"])
    raise ValueError(f"unknown item type {kind!r}")


def _label_record(kind: str, data: _Attributes) -> Label | LabelName:
    if kind == "label_name":
        return LabelName(label_id=data["label_id"])
    return Label(
        id=data["id"],
        workspace_id=data["workspace_id"],
        name=data["name"],
        color=data["color"],
        version=data["version"],
        created_at=data["created_at"],
    )
