"""Members of a workspace: list, change role, remove. Adding is withdrawn (405): people join by
accepting an invitation (app/api/invitations.py)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.listing import list_page
from app.api.pagination import PageArgs
from app.api.schemas import MemberOut, MemberPageOut, MemberUpdate
from app.api.v1 import errors, v1_blueprint

blp = v1_blueprint("members", "Members of a workspace and their roles")


@blp.route("/workspaces/<ulid:workspace_id>/members")
class MemberCollection(MethodView):
    @blp.arguments(PageArgs, location="query", unknown=RAISE)
    @blp.response(200, MemberPageOut)
    @errors(blp, 400, 404)
    def get(self, args, workspace_id):
        """The workspace's members, in user id order. Any member may read them."""
        return list_page(
            args,
            lambda start: services().members.page(
                principal().user_id, workspace_id, limit=args["limit"], start_key=start
            ),
        )


@blp.route("/workspaces/<ulid:workspace_id>/members/<user_id:user_id>", endpoint="Member")
class Member(MethodView):
    @blp.arguments(MemberUpdate)
    @blp.response(200, MemberOut)
    @errors(blp, 400, 403, 404, 409, 413, 415)
    def patch(self, body, workspace_id, user_id):
        """Change a member's role. Admins change between member and viewer; owners change
        anyone's. A workspace keeps at least one owner (409)."""
        return services().members.change_role(
            principal().user_id, workspace_id, user_id, role=body["role"]
        )

    @blp.response(204)
    @errors(blp, 403, 404, 409)
    def delete(self, workspace_id, user_id):
        """Remove a member, or leave (any member may remove themself, the last owner
        excepted)."""
        services().members.remove(principal().user_id, workspace_id, user_id)
        return ""
