"""The caller's notifications, their summary, marking them read, and email preferences."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.listing import list_page
from app.api.schemas import (
    MarkReadIn,
    NotificationListArgs,
    NotificationPageOut,
    NotificationSummaryOut,
    PreferencesIO,
)
from app.api.v1 import errors, v1_blueprint

blp = v1_blueprint("notifications", "The caller's notifications and email preferences")


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @blp.arguments(NotificationListArgs, location="query", unknown=RAISE)
    @blp.response(200, NotificationPageOut)
    @errors(blp, 400)
    def get(self, args):
        """The caller's notifications, newest first; `unread=true` for the unread ones only.

        Never one of a workspace the caller no longer belongs to. A page may hold fewer than
        `limit` and still have a next_cursor when such notifications were left out; the list
        ends when next_cursor is null."""
        return list_page(
            args,
            lambda start: services().notifications.page(
                principal().user_id,
                unread=bool(args.get("unread")),
                limit=args["limit"],
                start_key=start,
            ),
        )


@blp.route("/me/notifications/summary")
class NotificationSummary(MethodView):
    @blp.response(200, NotificationSummaryOut)
    @errors(blp)
    def get(self):
        """How many unread notifications the caller has, at most 1000."""
        return {"unread": services().notifications.unread_count(principal().user_id)}


@blp.route("/me/notifications/read")
class MarkRead(MethodView):
    @blp.arguments(MarkReadIn)
    @blp.response(204)
    @errors(blp, 400, 404, 413, 415)
    def post(self, body):
        """Mark a notification and every older one read."""
        services().notifications.mark_read(principal().user_id, body["up_to"])
        return ""


@blp.route("/me/preferences")
class MyPreferences(MethodView):
    @blp.response(200, PreferencesIO)
    @errors(blp)
    def get(self):
        """The caller's email preference: immediate (the default), daily or off."""
        return services().notifications.preferences(principal().user_id)

    @blp.arguments(PreferencesIO)
    @blp.response(200, PreferencesIO)
    @errors(blp, 400, 413, 415)
    def put(self, body):
        """Set the email preference. Invitations are emailed whatever it is."""
        return services().notifications.set_email_preference(
            principal().user_id, body["email_notifications"]
        )
