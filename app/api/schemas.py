"""Request and response bodies, as the OpenAPI document shows them (docs/api.md).

Request schemas refuse unknown fields (marshmallow's default), integers are strict, and a
response has exactly the fields the contract lists.
"""

from __future__ import annotations

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
from app.auth.verifier import USER_ID_PATTERN

# Names and titles: one line of text, not blank (app/api/text.py, docs/api.md "Input rules").
_NAME = [validate.Length(min=1, max=100), line_of_text, not_blank]
_TITLE = [validate.Length(min=1, max=200), line_of_text, not_blank]
_DESCRIPTION = [validate.Length(max=10000), block_of_text]


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


class MemberCreate(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class MemberUpdate(ma.Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class MemberOut(ma.Schema):
    user_id = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    added_at = fields.String(required=True)


MemberPageOut = page_schema(MemberOut, "MemberPage")


class TaskCreate(ma.Schema):
    title = fields.String(required=True, validate=_TITLE, metadata={"description": LINE_OF_TEXT})
    description = fields.String(validate=_DESCRIPTION, metadata={"description": BLOCK_OF_TEXT})
    status = fields.String(validate=validate.OneOf(STATUSES))
    due_date = CalendarDate(allow_none=True)
    assignee_id = fields.String(allow_none=True, validate=_USER_ID)


class TaskUpdate(ma.Schema):
    """A partial update: only the fields present change."""

    title = fields.String(validate=_TITLE, metadata={"description": LINE_OF_TEXT})
    description = fields.String(validate=_DESCRIPTION, metadata={"description": BLOCK_OF_TEXT})
    status = fields.String(validate=validate.OneOf(STATUSES))
    due_date = CalendarDate(allow_none=True)
    assignee_id = fields.String(allow_none=True, validate=_USER_ID)


class TaskOut(PlainDump):
    id = fields.String(required=True)
    workspace_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    # Stored and served as YYYY-MM-DD text; the input side parses it as a date.
    due_date = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    assignee_id = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    created_by = fields.String(required=True)

    def dump_one(self, task):
        return {
            "id": task.id,
            "workspace_id": task.workspace_id,
            "title": task.title,
            "description": task.description,
            "status": task.status,
            "due_date": task.due_date,
            "assignee_id": task.assignee_id,
            "version": task.version,
            "created_at": task.created_at,
            "updated_at": task.updated_at,
            "created_by": task.created_by,
        }


TaskPageOut = page_schema(TaskOut, "TaskPage")


SORTS = ["-created_at", "due_date"]


class TaskListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))
    assignee_id = fields.String(validate=_USER_ID)
    # No load_default: an unsorted list keeps the cursors it always had.
    sort = fields.String(
        validate=validate.OneOf(SORTS),
        metadata={
            "description": "-created_at (the default): newest first. due_date: earliest due "
            "first, tasks without a due date after all others, ties newest first."
        },
    )


class MyTaskListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))


class AuditTargetOut(ma.Schema):
    type = fields.String(required=True, validate=validate.OneOf(["workspace", "member", "task"]))
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
