"""Request and response bodies, as the OpenAPI document shows them (docs/api.md).

Request schemas refuse unknown fields (marshmallow's default), integers are strict, and a
response has exactly the fields the contract lists.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.api.pagination import page_schema


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("Must not be blank.")


class MeOut(ma.Schema):
    id = fields.String(required=True, metadata={"description": "The caller's user id (sub)"})
    username = fields.String(required=True)


class HealthOut(ma.Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class WorkspaceCreate(ma.Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), _not_blank])


class WorkspaceUpdate(ma.Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), _not_blank])


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
