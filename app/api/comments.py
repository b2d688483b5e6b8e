"""Comments on a task: list (oldest first), create, edit (the author), delete (the author, or an
admin or owner)."""

from __future__ import annotations

import re
from typing import Any

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.etags import etag, required_if_match
from app.api.listing import list_page
from app.api.pagination import PageArgs
from app.api.schemas import CommentCreate, CommentOut, CommentPageOut, CommentUpdate
from app.api.v1 import USER_ID_PATTERN, also_when_invalid, errors, v1_blueprint
from app.api.workspaces import ETAG_HEADER, IF_MATCH

blp = v1_blueprint("comments", "Comments on a task")


@also_when_invalid(CommentCreate, CommentUpdate)
def _mention_errors(body: dict[str, Any], path: dict[str, Any]) -> dict[str, list[str]]:
    """When other fields are invalid, whether the mentions would be refused too."""
    mentions = body.get("mentions")
    if not isinstance(mentions, list) or not all(
        isinstance(m, str) and re.fullmatch(USER_ID_PATTERN, m) for m in mentions
    ):
        return {}
    if not mentions or len(set(mentions)) != len(mentions) or len(mentions) > 20:
        return {}
    return services().comments.mention_errors(principal().user_id, path["workspace_id"], mentions)


@blp.route("/workspaces/<ulid:workspace_id>/tasks/<ulid:task_id>/comments")
class CommentCollection(MethodView):
    @blp.arguments(PageArgs, location="query", unknown=RAISE)
    @blp.response(200, CommentPageOut)
    @errors(blp, 400, 404)
    def get(self, args, workspace_id, task_id):
        """The task's comments, oldest first (any member)."""
        return list_page(
            args,
            lambda start: services().comments.page(
                principal().user_id, workspace_id, task_id, limit=args["limit"], start_key=start
            ),
        )

    @blp.arguments(CommentCreate)
    @blp.response(
        201, CommentOut, headers={**ETAG_HEADER, "Location": {"schema": {"type": "string"}}}
    )
    @errors(blp, 400, 403, 404, 409, 413, 415)
    def post(self, body, workspace_id, task_id):
        """Comment on a task (member, admin or owner), mentioning current members."""
        comment = services().comments.create(
            principal().user_id,
            workspace_id,
            task_id,
            body=body["body"],
            mentions=body.get("mentions", []),
        )
        location = url_for(
            "comments.Comment", workspace_id=workspace_id, task_id=task_id, comment_id=comment.id
        )
        return comment, 201, {"ETag": etag(comment.version), "Location": location}


@blp.route(
    "/workspaces/<ulid:workspace_id>/tasks/<ulid:task_id>/comments/<ulid:comment_id>",
    endpoint="Comment",
)
class Comment(MethodView):
    @blp.doc(parameters=[IF_MATCH])
    @blp.arguments(CommentUpdate)
    @blp.response(200, CommentOut, headers=ETAG_HEADER)
    @errors(blp, 400, 403, 404, 409, 412, 413, 415, 428)
    def patch(self, body, workspace_id, task_id, comment_id):
        """Edit a comment: its author only. Needs If-Match."""
        comment = services().comments.update(
            principal().user_id,
            workspace_id,
            task_id,
            comment_id,
            body,
            if_match=required_if_match(),
        )
        return comment, 200, {"ETag": etag(comment.version)}

    @blp.doc(parameters=[IF_MATCH])
    @blp.response(204)
    @errors(blp, 403, 404, 409, 412, 428)
    def delete(self, workspace_id, task_id, comment_id):
        """Delete a comment: its author, or an admin or owner. Needs If-Match."""
        services().comments.delete(
            principal().user_id, workspace_id, task_id, comment_id, if_match=required_if_match()
        )
        return ""
