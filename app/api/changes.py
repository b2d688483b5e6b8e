"""A workspace's changes feed, polled by the browser app: what changed after a position."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.schemas import ChangesArgs, ChangesOut
from app.api.v1 import errors, v1_blueprint
from app.api.workspaces import ETAG_HEADER, IF_NONE_MATCH

blp = v1_blueprint("changes", "A workspace's changes, as they happen")


@blp.route("/workspaces/<ulid:workspace_id>/changes")
class Changes(MethodView):
    @blp.arguments(ChangesArgs, location="query", unknown=RAISE)
    @blp.doc(parameters=[IF_NONE_MATCH])
    @blp.response(200, ChangesOut, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified: nothing changed since that ETag")
    @errors(blp, 400, 404)
    def get(self, args, workspace_id):
        """The workspace's changes after `after`, oldest first, at most 100 (any member).

        Without `after`, none: only `next`, the position now. The ETag names the workspace's
        last change: with If-None-Match a poll that finds nothing new is a 304 and costs one
        DynamoDB read."""
        caller = principal().user_id
        positions = services().positions
        scope = request.path
        after = (
            positions.decode(args["after"], scope=scope, caller=caller)
            if args.get("after")
            else None
        )
        feed = services().changes
        last_change = feed.current(caller, workspace_id)
        etag = f'"{last_change}"'
        # If-None-Match compares weakly (RFC 9110 13.1.2).
        if request.if_none_match.contains_weak(last_change) or request.if_none_match.star_tag:
            response = Response(status=304)
            response.headers["ETag"] = etag
            return response
        found = feed.since(workspace_id, after, last_change)
        body = {
            "changes": [
                {
                    "action": c.action,
                    "at": c.at,
                    "target": {"type": c.target_type, "id": c.target_id},
                }
                for c in found.changes
            ],
            "next": positions.encode(found.next_position, scope=scope, caller=caller),
        }
        return body, 200, {"ETag": etag}
