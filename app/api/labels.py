"""Labels of a workspace: list by name, create, read, rename or recolour, delete."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.etags import etag, not_modified, required_if_match
from app.api.listing import list_page
from app.api.pagination import PageArgs
from app.api.schemas import LabelCreate, LabelOut, LabelPageOut, LabelUpdate
from app.api.v1 import errors, v1_blueprint
from app.api.workspaces import ETAG_HEADER, IF_MATCH, IF_NONE_MATCH

blp = v1_blueprint("labels", "Labels of a workspace, to give tasks")


@blp.route("/workspaces/<ulid:workspace_id>/labels")
class LabelCollection(MethodView):
    @blp.arguments(PageArgs, location="query", unknown=RAISE)
    @blp.response(200, LabelPageOut)
    @errors(blp, 400, 404)
    def get(self, args, workspace_id):
        """The workspace's labels by name (any member)."""
        return list_page(
            args,
            lambda start: services().labels.page(
                principal().user_id,
                workspace_id,
                limit=args["limit"],
                after=(start or {}).get("name"),
            ),
        )

    @blp.arguments(LabelCreate)
    @blp.response(
        201, LabelOut, headers={**ETAG_HEADER, "Location": {"schema": {"type": "string"}}}
    )
    @errors(blp, 400, 403, 404, 409, 413, 415)
    def post(self, body, workspace_id):
        """Create a label (member, admin or owner). Its name is unique in the workspace,
        ignoring case (409); a workspace has at most 100 labels (409)."""
        label = services().labels.create(
            principal().user_id, workspace_id, body["name"], body["color"]
        )
        location = url_for("labels.Label", workspace_id=workspace_id, label_id=label.id)
        return label, 201, {"ETag": etag(label.version), "Location": location}


@blp.route("/workspaces/<ulid:workspace_id>/labels/<ulid:label_id>", endpoint="Label")
class Label(MethodView):
    @blp.doc(parameters=[IF_NONE_MATCH])
    @blp.response(200, LabelOut, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified: If-None-Match names the current version")
    @errors(blp, 404)
    def get(self, workspace_id, label_id):
        """One label."""
        label = services().labels.get(principal().user_id, workspace_id, label_id)
        return not_modified(label.version) or (label, 200, {"ETag": etag(label.version)})

    @blp.doc(parameters=[IF_MATCH])
    @blp.arguments(LabelUpdate)
    @blp.response(200, LabelOut, headers=ETAG_HEADER)
    @errors(blp, 400, 403, 404, 409, 412, 413, 415, 428)
    def patch(self, body, workspace_id, label_id):
        """Rename or recolour a label (member, admin or owner). Needs If-Match."""
        label = services().labels.update(
            principal().user_id, workspace_id, label_id, body, if_match=required_if_match()
        )
        return label, 200, {"ETag": etag(label.version)}

    @blp.doc(parameters=[IF_MATCH])
    @blp.response(204)
    @errors(blp, 403, 404, 412, 428)
    def delete(self, workspace_id, label_id):
        """Delete a label (member, admin or owner). Needs If-Match. The tasks that have it
        lose it in the background, within a minute; the label is never listed again."""
        services().labels.delete(
            principal().user_id, workspace_id, label_id, if_match=required_if_match()
        )
        return ""
