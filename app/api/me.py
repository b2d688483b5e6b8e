"""The caller, as the access token names them, and the tasks assigned to them."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.listing import list_page
from app.api.schemas import MeOut, MyTaskListArgs, TaskPageOut
from app.api.v1 import errors, v1_blueprint

blp = v1_blueprint("me", "The signed-in user")


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeOut)
    @errors(blp)
    def get(self):
        """Who the bearer token belongs to."""
        caller = principal()
        return {"id": caller.user_id, "username": caller.username}


@blp.route("/me/tasks")
class MyTasks(MethodView):
    @blp.arguments(MyTaskListArgs, location="query", unknown=RAISE)
    @blp.response(200, TaskPageOut)
    @errors(blp, 400)
    def get(self, args):
        """The caller's tasks across workspaces, earliest due first.

        The tasks assigned to the caller in every workspace they are a member of now, earliest
        due first, those without a due date after all others, ties newest first. A page may
        hold fewer than `limit` tasks and still have a `next_cursor` when tasks of workspaces
        the caller left (or that were deleted) were left out; the list ends when `next_cursor`
        is null."""
        return list_page(
            args,
            lambda start: services().tasks.assigned_to(
                principal().user_id,
                statuses=args.get("status"),
                limit=args["limit"],
                after=(start or {}).get("DueKey"),
            ),
        )
