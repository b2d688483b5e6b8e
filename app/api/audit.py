"""The audit log of a workspace: read-only, newest first, for admins and owners."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.listing import list_page
from app.api.pagination import PageArgs
from app.api.schemas import AuditPageOut
from app.api.v1 import errors, v1_blueprint

blp = v1_blueprint("audit", "The audit trail of every change")


@blp.route("/workspaces/<ulid:workspace_id>/audit")
class AuditLog(MethodView):
    @blp.arguments(PageArgs, location="query", unknown=RAISE)
    @blp.response(200, AuditPageOut)
    @errors(blp, 400, 403, 404)
    def get(self, args, workspace_id):
        """Every change to the workspace, its members and tasks, newest first (admin or
        owner). Events cannot be changed; they expire after the retention period."""
        return list_page(
            args,
            lambda start: services().audit.page(
                principal().user_id, workspace_id, limit=args["limit"], start_key=start
            ),
        )
