"""Request and response bodies, as the OpenAPI document shows them (docs/api.md).

Request schemas refuse unknown fields (marshmallow's default), integers are strict, and a
response has exactly the fields the contract lists.
"""

from __future__ import annotations

import dataclasses

import marshmallow as ma
from marshmallow import fields, validate

from app.api.pagination import PageArgs, page_schema
from app.api.plain_dump import PlainDump
from app.api.text import (
    BLOCK_OF_TEXT,
    LINE_OF_TEXT,
    CalendarDate,
    block_of_text,
    line_of_text,
    not_blank,
)
from app.api.v1 import ULID_PATTERN
from app.auth.verifier import USER_ID_PATTERN
from app.domain.labels import COLORS as LABEL_COLORS
from app.domain.tasks import MAX_TASK_LABELS
from app.domain.tasks import PRIORITIES as TASK_PRIORITIES
from app.domain.tasks import SORTS as TASK_SORTS

# Names and titles: one line of text, not blank (app/api/text.py, docs/api.md "Input rules").
_NAME = [validate.Length(min=1, max=100), line_of_text, not_blank]
_TITLE = [validate.Length(min=1, max=200), line_of_text, not_blank]
_DESCRIPTION = [validate.Length(max=10000), block_of_text]
_COMMENT_BODY = [validate.Length(min=1, max=5000), block_of_text, not_blank]
MAX_MENTIONS = 20


class MeOut(PlainDump):
    id = fields.String(required=True, metadata={"description": "The caller's user id (sub)"})
    username = fields.String(required=True)

    def dump_one(self, me):
        return {"id": me["id"], "username": me["username"]}


class HealthOut(ma.Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class WorkspaceCreate(ma.Schema):
    name = fields.String(required=True, validate=_NAME, metadata={"description": LINE_OF_TEXT})


class WorkspaceUpdate(ma.Schema):
    name = fields.String(required=True, validate=_NAME, metadata={"description": LINE_OF_TEXT})


class WorkspaceOut(ma.Schema):
    """A workspace as the caller sees it (a WorkspaceView)."""

    id = fields.String(required=True, attribute="workspace.id")
    name = fields.String(required=True, attribute="workspace.name")
    role = fields.String(
        required=True, validate=validate.OneOf(["owner", "admin", "member", "viewer"])
    )
    version = fields.Integer(required=True, attribute="workspace.version")
    created_at = fields.String(required=True, attribute="workspace.created_at")
    updated_at = fields.String(required=True, attribute="workspace.updated_at")


WorkspacePageOut = page_schema(WorkspaceOut, "WorkspacePage")


ROLES = ["owner", "admin", "member", "viewer"]
STATUSES = ["todo", "in_progress", "done"]
_USER_ID = validate.Regexp(f"^{USER_ID_PATTERN}$", error="Not a user id.")


class MemberUpdate(ma.Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class MemberOut(ma.Schema):
    user_id = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    added_at = fields.String(required=True)


MemberPageOut = page_schema(MemberOut, "MemberPage")


class InvitationCreate(ma.Schema):
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        metadata={"description": "Compared and kept in lower case"},
    )
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


def _invitation(invitation) -> dict:
    # The representation is the record, field for field and in its order.
    return dataclasses.asdict(invitation)


class InvitationOut(PlainDump):
    id = fields.String(required=True)
    workspace_id = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    invited_by = fields.String(required=True)
    invited_by_email = fields.String(
        required=True, metadata={"description": "the inviter's email when they invited"}
    )
    created_at = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"description": "14 days after created_at"})

    def dump_one(self, invitation):
        return _invitation(invitation)


InvitationPageOut = page_schema(InvitationOut, "InvitationPage")


class MyInvitationOut(PlainDump):
    """An invitation to the caller (an InvitationView), with the name its workspace has now."""

    id = fields.String(required=True, attribute="invitation.id")
    workspace_id = fields.String(required=True, attribute="invitation.workspace_id")
    email = fields.String(required=True, attribute="invitation.email")
    role = fields.String(required=True, attribute="invitation.role", validate=validate.OneOf(ROLES))
    invited_by = fields.String(required=True, attribute="invitation.invited_by")
    invited_by_email = fields.String(
        required=True,
        attribute="invitation.invited_by_email",
        metadata={"description": "the inviter's email when they invited"},
    )
    created_at = fields.String(required=True, attribute="invitation.created_at")
    expires_at = fields.String(required=True, attribute="invitation.expires_at")
    workspace_name = fields.String(required=True)

    def dump_one(self, view):
        return {**_invitation(view.invitation), "workspace_name": view.workspace_name}


MyInvitationPageOut = page_schema(MyInvitationOut, "MyInvitationPage")


PRIORITIES = list(TASK_PRIORITIES)
_ULID = validate.Regexp(f"^{ULID_PATTERN}$", error="Not a label id.")


def _distinct(values: list[str]) -> None:
    if len({value.upper() for value in values}) != len(values):
        raise ma.ValidationError("Must not name a label twice.")


def _label_ids(**kwargs) -> fields.List:
    return fields.List(
        fields.String(validate=_ULID),
        validate=[validate.Length(max=MAX_TASK_LABELS), _distinct],
        metadata={
            "description": f"0..{MAX_TASK_LABELS} ids of the workspace's labels, no "
            "duplicates, in the order given (422 for an id that is not a label of the "
            "workspace)"
        },
        **kwargs,
    )


class TaskCreate(ma.Schema):
    title = fields.String(required=True, validate=_TITLE, metadata={"description": LINE_OF_TEXT})
    description = fields.String(validate=_DESCRIPTION, metadata={"description": BLOCK_OF_TEXT})
    status = fields.String(validate=validate.OneOf(STATUSES))
    due_date = CalendarDate(allow_none=True)
    assignee_id = fields.String(allow_none=True, validate=_USER_ID)
    priority = fields.String(validate=validate.OneOf(PRIORITIES), metadata={"default": "none"})
    labels = _label_ids()


class TaskUpdate(ma.Schema):
    """A partial update: only the fields present change."""

    title = fields.String(validate=_TITLE, metadata={"description": LINE_OF_TEXT})
    description = fields.String(validate=_DESCRIPTION, metadata={"description": BLOCK_OF_TEXT})
    status = fields.String(validate=validate.OneOf(STATUSES))
    due_date = CalendarDate(allow_none=True)
    assignee_id = fields.String(allow_none=True, validate=_USER_ID)
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    labels = _label_ids()


class TaskOut(PlainDump):
    id = fields.String(required=True)
    workspace_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    # Stored and served as YYYY-MM-DD text; the input side parses it as a date.
    due_date = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    assignee_id = fields.String(required=True, allow_none=True)
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    labels = fields.List(fields.String(), required=True)
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    created_by = fields.String(required=True)
    comment_count = fields.Integer(
        required=True,
        metadata={
            "readOnly": True,
            "description": "Read-only; not part of the version: commenting changes no ETag",
        },
    )

    def dump_one(self, task):
        return {
            "id": task.id,
            "workspace_id": task.workspace_id,
            "title": task.title,
            "description": task.description,
            "status": task.status,
            "due_date": task.due_date,
            "assignee_id": task.assignee_id,
            "priority": task.priority,
            "labels": list(task.labels),
            "version": task.version,
            "created_at": task.created_at,
            "updated_at": task.updated_at,
            "created_by": task.created_by,
            "comment_count": task.comment_count,
        }


TaskPageOut = page_schema(TaskOut, "TaskPage")


SORTS = list(TASK_SORTS)


class CommaSeparatedSet(fields.String):
    """A query parameter naming a set of values: `status=todo,in_progress`. Each must be one of
    `choices`; the order does not matter and a repeated value counts once."""

    def __init__(self, choices: list[str], **kwargs):
        alternatives = "|".join(choices)
        metadata = {
            "pattern": f"^({alternatives})(,({alternatives}))*$",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)
        self.choices = choices

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        values = text.split(",")
        unknown = [v for v in values if v not in self.choices]
        if unknown:
            raise ma.ValidationError(
                f"Must be one or more of {', '.join(self.choices)}, separated by commas."
            )
        return frozenset(values)


class TaskListArgs(PageArgs):
    status = CommaSeparatedSet(
        STATUSES, metadata={"description": "Only tasks with one of these statuses"}
    )
    priority = CommaSeparatedSet(
        PRIORITIES, metadata={"description": "Only tasks with one of these priorities"}
    )
    label = fields.String(
        validate=_ULID, metadata={"description": "Only tasks with this label (its id)"}
    )
    assignee_id = fields.String(validate=_USER_ID)
    q = fields.String(
        validate=[validate.Length(min=1, max=100), line_of_text],
        metadata={
            "description": "Only tasks whose title has every word of q at the start of a word, "
            "ignoring case and accents; in scripts written without spaces (Chinese, Japanese, "
            "Thai...) anywhere (docs/api.md, Search). A new or renamed task shows within 2 s."
        },
    )
    # No load_default: an unsorted list keeps the cursors it always had.
    sort = fields.String(
        validate=validate.OneOf(SORTS),
        metadata={
            "description": "-created_at (the default): newest first. due_date: earliest due "
            "first, tasks without a due date after all others, ties newest first. -priority: "
            "highest priority first, then as due_date."
        },
    )


class MyTaskListArgs(PageArgs):
    status = CommaSeparatedSet(
        STATUSES,
        metadata={"description": "Only tasks with one of these statuses, e.g. todo,in_progress"},
    )


_LABEL_NAME = [validate.Length(min=1, max=40), line_of_text, not_blank]


class LabelCreate(ma.Schema):
    name = fields.String(
        required=True,
        validate=_LABEL_NAME,
        metadata={"description": f"Unique in the workspace, ignoring case. {LINE_OF_TEXT}"},
    )
    color = fields.String(required=True, validate=validate.OneOf(LABEL_COLORS))


class LabelUpdate(ma.Schema):
    """A partial update: only the fields present change."""

    name = fields.String(validate=_LABEL_NAME, metadata={"description": LINE_OF_TEXT})
    color = fields.String(validate=validate.OneOf(LABEL_COLORS))


class LabelOut(PlainDump):
    id = fields.String(required=True)
    name = fields.String(required=True)
    color = fields.String(required=True, validate=validate.OneOf(LABEL_COLORS))
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)

    def dump_one(self, label):
        return {
            "id": label.id,
            "name": label.name,
            "color": label.color,
            "version": label.version,
            "created_at": label.created_at,
        }


LabelPageOut = page_schema(LabelOut, "LabelPage")


class AuditTargetOut(ma.Schema):
    type = fields.String(
        required=True,
        validate=validate.OneOf(["workspace", "member", "task", "comment", "invitation", "label"]),
    )
    id = fields.String(required=True)
    label = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The target's name when the event was written: the workspace's "
            "name, the member's email, the task's title (after a rename, the new one). Null "
            "only on events from before labels that could not be labelled."
        },
    )


class AuditEventOut(ma.Schema):
    id = fields.String(required=True)
    at = fields.String(required=True)
    actor_id = fields.String(required=True)
    action = fields.String(required=True)
    target = fields.Nested(AuditTargetOut, required=True)
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Raw(allow_none=True)),
        required=True,
        metadata={
            "description": 'Each changed field as [old, new], e.g. {"status": ["todo", "done"]}'
        },
    )

    @ma.pre_dump
    def _nest_target(self, event, **_kwargs):
        return {
            "id": event.id,
            "at": event.at,
            "actor_id": event.actor_id,
            "action": event.action,
            "target": {
                "type": event.target_type,
                "id": event.target_id,
                "label": event.target_label,
            },
            "changes": event.changes,
        }


AuditPageOut = page_schema(AuditEventOut, "AuditPage")


def _distinct(values: list) -> None:
    if len(set(values)) != len(values):
        raise ma.ValidationError("Each user may be mentioned once.")


def _mentions(**kwargs) -> fields.List:
    return fields.List(
        fields.String(validate=_USER_ID),
        validate=[validate.Length(max=MAX_MENTIONS), _distinct],
        metadata={"description": "user_ids of current members, at most 20, each once"},
        **kwargs,
    )


class CommentCreate(ma.Schema):
    body = fields.String(
        required=True, validate=_COMMENT_BODY, metadata={"description": BLOCK_OF_TEXT}
    )
    mentions = _mentions()


class CommentUpdate(ma.Schema):
    """A partial update: only the fields present change."""

    body = fields.String(validate=_COMMENT_BODY, metadata={"description": BLOCK_OF_TEXT})
    mentions = _mentions()


class CommentOut(PlainDump):
    id = fields.String(required=True)
    task_id = fields.String(required=True)
    author_id = fields.String(required=True)
    body = fields.String(required=True)
    mentions = fields.List(fields.String(), required=True)
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)

    def dump_one(self, comment):
        return {
            "id": comment.id,
            "task_id": comment.task_id,
            "author_id": comment.author_id,
            "body": comment.body,
            "mentions": list(comment.mentions),
            "version": comment.version,
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
        }


CommentPageOut = page_schema(CommentOut, "CommentPage")


NOTIFICATION_TYPES = [
    "task.assigned",
    "comment.created",
    "comment.mentioned",
    "invitation.received",
    "member.role_changed",
]


class NotificationTargetOut(ma.Schema):
    type = fields.String(
        required=True, validate=validate.OneOf(["task", "invitation", "workspace"])
    )
    id = fields.String(required=True)
    label = fields.String(required=True, allow_none=True)


class NotificationOut(PlainDump):
    """A NotificationView: the notification, and whether the caller has read it."""

    id = fields.String(required=True, attribute="notification.id")
    type = fields.String(
        required=True, attribute="notification.type", validate=validate.OneOf(NOTIFICATION_TYPES)
    )
    at = fields.String(required=True, attribute="notification.at")
    read = fields.Boolean(required=True)
    workspace_id = fields.String(required=True, attribute="notification.workspace_id")
    actor_id = fields.String(required=True, attribute="notification.actor_id")
    target = fields.Nested(NotificationTargetOut, required=True, attribute="target")

    def dump_one(self, view):
        notification = view.notification
        return {
            "id": notification.id,
            "type": notification.type,
            "at": notification.at,
            "read": view.read,
            "workspace_id": notification.workspace_id,
            "actor_id": notification.actor_id,
            "target": {
                "type": notification.target_type,
                "id": notification.target_id,
                "label": notification.target_label,
            },
        }


NotificationPageOut = page_schema(NotificationOut, "NotificationPage")


class NotificationListArgs(PageArgs):
    unread = fields.Boolean(
        truthy={"true"},
        falsy={"false"},
        metadata={"description": "true: only unread notifications (false: all, the default)"},
    )


class NotificationSummaryOut(ma.Schema):
    unread = fields.Integer(
        required=True, metadata={"description": "Unread notifications, at most 1000"}
    )


ULID = validate.Regexp(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$", error="Not a notification id.")


class MarkReadIn(ma.Schema):
    up_to = fields.String(
        required=True,
        validate=ULID,
        metadata={"description": "This notification and every older one become read"},
    )


EMAIL_NOTIFICATIONS = ["immediate", "daily", "off"]


class PreferencesIO(ma.Schema):
    email_notifications = fields.String(
        required=True,
        validate=validate.OneOf(EMAIL_NOTIFICATIONS),
        metadata={"description": "immediate, daily (a digest at 08:00 UTC) or off"},
    )


class UnsubscribeIn(ma.Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=512))


class UnsubscribedOut(ma.Schema):
    email_notifications = fields.String(required=True, validate=validate.OneOf(["off"]))


class ChangesArgs(ma.Schema):
    after = fields.String(
        validate=validate.Length(min=1, max=256),
        metadata={"description": "The `next` of the previous answer; none for the position now"},
    )


class ChangeTargetOut(ma.Schema):
    type = fields.String(required=True)
    id = fields.String(required=True)


class ChangeOut(ma.Schema):
    action = fields.String(required=True)
    at = fields.String(required=True)
    target = fields.Nested(ChangeTargetOut, required=True)


class ChangesOut(ma.Schema):
    changes = fields.List(fields.Nested(ChangeOut), required=True)
    next = fields.String(required=True, metadata={"description": "Pass as `after` next time"})
