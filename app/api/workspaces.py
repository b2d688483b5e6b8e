"""Workspaces: create, list, read, rename, delete."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.etags import etag, not_modified, required_if_match
from app.api.listing import list_page
from app.api.pagination import PageArgs
from app.api.schemas import WorkspaceCreate, WorkspaceOut, WorkspacePageOut, WorkspaceUpdate
from app.api.v1 import errors, v1_blueprint
from app.domain.workspaces import WorkspaceView

blp = v1_blueprint("workspaces", "Workspaces the caller belongs to")

IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": 'The ETag last read, e.g. "3", or * for any version',
    "schema": {"type": "string", "minLength": 1},
}
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "description": "The ETag last read: 304 while it is current",
    "schema": {"type": "string"},
}
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": 'The version, "<n>"'}}


def _headers(view: WorkspaceView, *, created: bool = False) -> dict[str, str]:
    headers = {"ETag": etag(view.workspace.version)}
    if created:
        headers["Location"] = url_for("workspaces.Workspace", workspace_id=view.workspace.id)
    return headers


@blp.route("/workspaces")
class WorkspaceCollection(MethodView):
    @blp.arguments(PageArgs, location="query", unknown=RAISE)
    @blp.response(200, WorkspacePageOut)
    @errors(blp, 400)
    def get(self, args):
        """The caller's workspaces, newest first, each with the caller's role."""
        return list_page(
            args,
            lambda start: services().workspaces.list_for(
                principal().user_id, limit=args["limit"], start_key=start
            ),
        )

    @blp.arguments(WorkspaceCreate)
    @blp.response(
        201, WorkspaceOut, headers={**ETAG_HEADER, "Location": {"schema": {"type": "string"}}}
    )
    @errors(blp, 400, 413, 415)
    def post(self, body):
        """Create a workspace; the caller becomes its owner."""
        view = services().workspaces.create(principal().user_id, body["name"])
        return view, 201, _headers(view, created=True)


@blp.route("/workspaces/<ulid:workspace_id>", endpoint="Workspace")
class Workspace(MethodView):
    @blp.doc(parameters=[IF_NONE_MATCH])
    @blp.response(200, WorkspaceOut, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified: If-None-Match names the current version")
    @errors(blp, 404)
    def get(self, workspace_id):
        """One workspace, with the caller's role."""
        view = services().workspaces.get(principal().user_id, workspace_id)
        return not_modified(view.workspace.version) or (view, 200, _headers(view))

    @blp.doc(parameters=[IF_MATCH])
    @blp.arguments(WorkspaceUpdate)
    @blp.response(200, WorkspaceOut, headers=ETAG_HEADER)
    @errors(blp, 400, 403, 404, 412, 413, 415, 428)
    def patch(self, body, workspace_id):
        """Rename the workspace (admin or owner). Needs If-Match."""
        view = services().workspaces.rename(
            principal().user_id, workspace_id, name=body["name"], if_match=required_if_match()
        )
        return view, 200, _headers(view)

    @blp.doc(parameters=[IF_MATCH])
    @blp.response(204)
    @errors(blp, 403, 404, 412, 428)
    def delete(self, workspace_id):
        """Delete the workspace (owner). From then on it and all in it answer 404. Needs
        If-Match."""
        services().workspaces.delete(
            principal().user_id, workspace_id, if_match=required_if_match()
        )
        return ""
