"""Invitations: sent, listed and revoked by a workspace's admins and owners; listed, accepted and
declined by the holder of the invited address."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE

from app.api.context import principal, services
from app.api.http import takes_no_body
from app.api.listing import list_page
from app.api.pagination import PageArgs
from app.api.schemas import (
    InvitationCreate,
    InvitationOut,
    InvitationPageOut,
    MemberOut,
    MyInvitationPageOut,
)
from app.api.v1 import errors, v1_blueprint

blp = v1_blueprint("invitations", "Invitations: the only way into a workspace")

LOCATION = {"Location": {"schema": {"type": "string"}}}
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "string"}, "description": "Seconds to the next UTC day"}
}


@blp.route("/workspaces/<ulid:workspace_id>/invitations")
class InvitationCollection(MethodView):
    @blp.arguments(PageArgs, location="query", unknown=RAISE)
    @blp.response(200, InvitationPageOut)
    @errors(blp, 400, 403, 404)
    def get(self, args, workspace_id):
        """The workspace's pending, unexpired invitations, newest first (admin or owner)."""
        return list_page(
            args,
            lambda start: services().invitations.page(
                principal().user_id, workspace_id, limit=args["limit"], start_key=start
            ),
        )

    @blp.arguments(InvitationCreate)
    @blp.response(201, InvitationOut, headers=LOCATION)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", headers=RETRY_AFTER)
    @errors(blp, 400, 403, 404, 409, 413, 415)
    def post(self, body, workspace_id):
        """Invite an email address, with or without an account: admins invite members and
        viewers, owners anyone. The answer is the same whether or not the address has an
        account; an email with a link to the app reaches it within a minute."""
        invitation = services().invitations.create(
            principal().user_id, workspace_id, email=body["email"], role=body["role"]
        )
        location = url_for(
            "invitations.Invitation", workspace_id=workspace_id, invitation_id=invitation.id
        )
        return invitation, 201, {"Location": location}


@blp.route(
    "/workspaces/<ulid:workspace_id>/invitations/<ulid:invitation_id>", endpoint="Invitation"
)
class Invitation(MethodView):
    @blp.response(204)
    @errors(blp, 403, 404)
    def delete(self, workspace_id, invitation_id):
        """Revoke a pending invitation (admins those as member or viewer, owners any)."""
        services().invitations.revoke(principal().user_id, workspace_id, invitation_id)
        return ""


@blp.route("/me/invitations")
class MyInvitations(MethodView):
    @blp.arguments(PageArgs, location="query", unknown=RAISE)
    @blp.response(200, MyInvitationPageOut)
    @errors(blp, 400)
    def get(self, args):
        """The pending, unexpired invitations to the caller's verified email, newest first.

        Empty while the caller's email is not verified. A page may be short and still have a
        next_cursor when invitations of deleted workspaces were left out."""
        return list_page(
            args,
            lambda start: services().invitations.mine(
                principal().user_id, limit=args["limit"], start_key=start
            ),
        )


@blp.route("/me/invitations/<ulid:invitation_id>/accept")
@takes_no_body
class AcceptInvitation(MethodView):
    @blp.response(201, MemberOut, headers=LOCATION)
    @errors(blp, 404, 409)
    def post(self, invitation_id):
        """Join the workspace: only the holder of the invited, verified email may. 404 for
        anyone else, and for an invitation expired, revoked or withdrawn (its inviter may no
        longer invite that role)."""
        member = services().invitations.accept(principal().user_id, invitation_id)
        location = url_for(
            "members.Member", workspace_id=member.workspace_id, user_id=member.user_id
        )
        return member, 201, {"Location": location}


@blp.route("/me/invitations/<ulid:invitation_id>/decline")
@takes_no_body
class DeclineInvitation(MethodView):
    @blp.response(204)
    @errors(blp, 404)
    def post(self, invitation_id):
        """Decline an invitation to the caller's verified email."""
        services().invitations.decline(principal().user_id, invitation_id)
        return ""
