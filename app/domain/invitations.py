"""Invitations: the only way into a workspace (docs/api.md, "Invitations").

An invitation is three items written and removed together (docs/data-model.md): the workspace's
(its admins list and revoke it), the address's copy (/me/invitations, accept, decline) and the
address's marker in the workspace, which keeps one pending invitation per address. Ids are
minted at the invitation's own millisecond, so "unexpired" is a range of ids: every read is a
key condition, and expired items need no filter (DynamoDB's TTL removes them later).

Who may accept is decided by the user pool, never by the caller: the verified email of the
caller's account (`directory.verified_email_of`). Accepting holds, in its one transaction, that
the inviter is still a member allowed to invite that role (otherwise the invitation is
withdrawn), that the workspace is live and has room, and that the invitee is not a member yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.access import authorize, explain_rejected_access, load
from app.domain.audit import AuditRecorder
from app.domain.clock import (
    epoch,
    first_id_at,
    id_at,
    new_id,
    new_id_after,
    rfc3339,
    seconds_until_next_day,
    utc_now,
)
from app.domain.commits import commit_in_order
from app.domain.errors import Conflict, LimitReached, NotFound, TooManyRequests
from app.domain.limits import Limits
from app.domain.ports import UserDirectory
from app.domain.roles import Action, Role, allowed_roles, invitation_action
from app.storage import keys, writes
from app.storage.records import Invitation, InvitedAddress, Membership, Workspace
from app.storage.table import Page, Store, WriteRejected
from app.storage.writes import Caller, Write, on_behalf_of

INVITATION_DAYS = 14
INVITATION_NOT_FOUND = "Invitation not found"
ALREADY_INVITED = "This address has a pending invitation to the workspace"
ALREADY_A_MEMBER = "A member of the workspace has this email"
# A create counts the pending invitations and commits only if nothing changed in the workspace
# meanwhile; one that lost that race counts again, this often at most.
_CREATE_ATTEMPTS = 6
# The daily counter outlives its day by one, then DynamoDB's TTL removes it.
_COUNTER_DAYS = 2


@dataclass(frozen=True)
class InvitationView:
    """An invitation as its address sees it: with the workspace's name (now, not then)."""

    invitation: Invitation
    workspace_name: str


@dataclass(frozen=True)
class InvitationPage:
    records: list[InvitationView]
    next_key: dict | None


def unexpired_range(now: datetime, prefix: str = "") -> tuple[str, str]:
    """The SKs of the invitations made within the last INVITATION_DAYS days."""
    oldest = first_id_at(now - timedelta(days=INVITATION_DAYS))
    return prefix + oldest, prefix + keys.AFTER_EVERY_ID


class Invitations:
    def __init__(
        self, store: Store, directory: UserDirectory, audit: AuditRecorder, limits: Limits
    ):
        self._store = store
        self._directory = directory
        self._audit = audit
        self._limits = limits

    # -- the workspace's side --------------------------------------------------------------

    def create(self, actor_id: str, workspace_id: str, *, email: str, role: str) -> Invitation:
        """One transaction: the caller may invite that role, the workspace is live and unchanged
        since its pending invitations were counted, the invitee (if the address has an
        account) is not a member, the caller's count of the day, the three items, the event."""
        email = email.lower()
        action = invitation_action(role)
        marker_key = keys.invited_key(workspace_id, email)
        invitee = None
        for attempt in range(_CREATE_ATTEMPTS):
            access = load(self._store, workspace_id, actor_id, marker_key)
            authorize(access, action)
            now = utc_now()
            marker = access.get(marker_key)
            if isinstance(marker, InvitedAddress) and marker.expires_epoch > epoch(now):
                raise Conflict(ALREADY_INVITED)
            if attempt == 0:
                # Only after the caller proved they may invite: the pool is asked for a member
                # with this address, and whatever it says, the answer is a 201 (or that 409).
                invitee = self._directory.find_confirmed(email)
            pending = self._store.count(
                partition=("PK", keys.workspace_pk(workspace_id)),
                sort_between=unexpired_range(now, keys.INVITE_PREFIX),
                at_most=self._limits.pending_invitations,
            )
            if pending >= self._limits.pending_invitations:
                raise LimitReached(
                    f"This workspace has {self._limits.pending_invitations} pending "
                    "invitations, the most it may have; revoke some to send more"
                )
            invitation = Invitation(
                id=id_at(now),
                workspace_id=workspace_id,
                email=email,
                role=role,
                invited_by=actor_id,
                invited_by_email=access.membership.email,
                created_at=rfc3339(now),
                expires_at=rfc3339(now + timedelta(days=INVITATION_DAYS)),
            )
            seen = access.workspace.last_event
            event_id = new_id_after(seen) if seen else new_id()
            parts: list[Write | None] = [
                writes.advance_workspace(workspace_id, event_id=event_id, unchanged_since=seen),
                writes.require_no_member(workspace_id, invitee.user_id) if invitee else None,
                writes.count_invitation_sent(
                    actor_id,
                    now.date().isoformat(),
                    limit=self._limits.invitations_per_day,
                    expires_epoch=epoch(now + timedelta(days=_COUNTER_DAYS)),
                ),
                *writes.put_invitation(
                    invitation,
                    expires_epoch=epoch(now + timedelta(days=INVITATION_DAYS)),
                    now_epoch=epoch(now),
                ),
                self._audit.event(
                    event_id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor_id,
                    action="invitation.created",
                    target=("invitation", invitation.id),
                    label=email,
                    changes={"email": [None, email], "role": [None, role]},
                    at=now,
                ),
            ]
            try:
                # Not commit_in_order: a create that lost a race counts the pending again.
                self._store.transact(
                    on_behalf_of(
                        Caller(workspace_id, actor_id, allowed_roles(action)),
                        [part for part in parts if part is not None],
                    )
                )
                return invitation
            except WriteRejected as rejected:
                failures = rejected.failures
                explain_rejected_access(failures)
                if "not_member" in failures:
                    raise Conflict(ALREADY_A_MEMBER) from rejected
                if "daily_limit" in failures:
                    raise TooManyRequests(
                        f"You have sent {self._limits.invitations_per_day} invitations today, "
                        "the most one person may send in a day (UTC)",
                        retry_after=seconds_until_next_day(now),
                    ) from rejected
                if "invited" in failures:
                    raise Conflict(ALREADY_INVITED) from rejected
                if "workspace" not in failures:
                    raise
                # Something else changed in the workspace since the count: count again.
        raise Conflict("The workspace is changing too fast to invite now; try again")

    def page(self, actor_id: str, workspace_id: str, *, limit: int, start_key: dict | None) -> Page:
        """The pending, unexpired invitations, newest first (admins and owners)."""
        access = load(self._store, workspace_id, actor_id)
        authorize(access, Action.MANAGE_MEMBERS)
        return self._store.query(
            partition=("PK", keys.workspace_pk(workspace_id)),
            sort_between=unexpired_range(utc_now(), keys.INVITE_PREFIX),
            limit=limit,
            start_key=start_key,
            newest_first=True,
        )

    def revoke(self, actor_id: str, workspace_id: str, invitation_id: str) -> None:
        key = keys.invitation_key(workspace_id, invitation_id)
        access = load(self._store, workspace_id, actor_id, key)
        authorize(access, Action.MANAGE_MEMBERS)
        invitation = access.get(key)
        now = utc_now()
        if not isinstance(invitation, Invitation) or invitation.expired(rfc3339(now)):
            raise NotFound(INVITATION_NOT_FOUND)
        action = invitation_action(invitation.role)
        authorize(access, action)

        def change(event_id: str) -> list[Write | None]:
            return [
                writes.advance_workspace(workspace_id, event_id=event_id),
                *writes.delete_invitation(invitation),
                self._ended(invitation, "invitation.revoked", actor_id, event_id, now),
            ]

        self._end(change, caller=Caller(workspace_id, actor_id, allowed_roles(action)))

    # -- the invitee's side ----------------------------------------------------------------

    def mine(self, actor_id: str, *, limit: int, start_key: dict | None) -> InvitationPage:
        """The pending, unexpired invitations to the caller's verified email, newest first,
        each with its workspace's name; those of deleted workspaces are left out (so a page
        can be short and still have a cursor)."""
        email = self._directory.verified_email_of(actor_id)
        if email is None:
            return InvitationPage([], None)
        page = self._store.query(
            partition=("PK", keys.invitee_pk(email)),
            sort_between=unexpired_range(utc_now()),
            limit=limit,
            start_key=start_key,
            newest_first=True,
        )
        invitations = [i for i in page.records if isinstance(i, Invitation)]
        found = (
            self._store.get_many(
                list(
                    {
                        i.workspace_id: keys.workspace_key(i.workspace_id) for i in invitations
                    }.values()
                )
            )
            if invitations
            else {}
        )
        views = []
        for invitation in invitations:
            key = keys.workspace_key(invitation.workspace_id)
            workspace = found.get((key["PK"], key["SK"]))
            if isinstance(workspace, Workspace) and not workspace.deleted:
                views.append(InvitationView(invitation, workspace.name))
        return InvitationPage(views, page.next_key)

    def accept(self, actor_id: str, invitation_id: str) -> Membership:
        invitation, email = self._own(actor_id, invitation_id)
        if invitation.invited_by == actor_id:
            # Only possible if the inviter later took the invited address for their own: while
            # a member they cannot join again, and once they left, it was withdrawn.
            raise NotFound(INVITATION_NOT_FOUND)
        now = utc_now()
        role = invitation.role
        workspace_id = invitation.workspace_id
        member = Membership(
            workspace_id=workspace_id,
            user_id=actor_id,
            email=email,
            role=role,
            added_at=rfc3339(now),
        )

        def change(event_id: str) -> list[Write | None]:
            owner = role == Role.OWNER
            return [
                # Withdrawn unless the inviter may still invite this role.
                writes.require_member(
                    workspace_id,
                    invitation.invited_by,
                    allowed_roles(invitation_action(role)),
                    "inviter",
                ),
                writes.advance_workspace(
                    workspace_id,
                    event_id=event_id,
                    owners=int(owner),
                    members=1,
                    member_limit=self._limits.members_per_workspace,
                ),
                writes.count_owned_workspace(actor_id, 1, limit=self._limits.owned_workspaces)
                if owner
                else None,
                writes.put_membership(member, tag="target"),
                *writes.delete_invitation(invitation),
                self._audit.event(
                    event_id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor_id,
                    action="member.added",
                    target=("member", actor_id),
                    label=email,
                    changes={"email": [None, email], "role": [None, role]},
                    at=now,
                ),
            ]

        try:
            # The caller joins: they are no member yet, and the inviter's membership and role
            # stand in for theirs (the "inviter" condition above), as the caller's own do in
            # every other change to a workspace. An invitation is found only under the caller's
            # verified email, and one the caller sent is refused above; so a member removed a
            # moment ago gets back in only by an invitation someone who may still invite made.
            commit_in_order(self._store, change, caller=None)
        except WriteRejected as rejected:
            failures = rejected.failures
            self._refuse_gone(failures)
            self._limits.refuse_if_reached(failures, members=1)
            if "target" in failures:
                raise Conflict("You are a member of this workspace already") from rejected
            raise
        return member

    def decline(self, actor_id: str, invitation_id: str) -> None:
        invitation, _email = self._own(actor_id, invitation_id)
        now = utc_now()

        def change(event_id: str) -> list[Write | None]:
            return [
                writes.advance_workspace(invitation.workspace_id, event_id=event_id),
                *writes.delete_invitation(invitation),
                self._ended(invitation, "invitation.declined", actor_id, event_id, now),
            ]

        # The invitee's own decision: no member's rights are used.
        self._end(change, caller=None)

    # -- shared ------------------------------------------------------------------------------

    def _own(self, actor_id: str, invitation_id: str) -> tuple[Invitation, str]:
        """The caller's pending invitation: found under their verified email only."""
        email = self._directory.verified_email_of(actor_id)
        if email is None:
            raise NotFound(INVITATION_NOT_FOUND)
        key = keys.invitee_key(email, invitation_id)
        invitation = self._store.get_many([key]).get((key["PK"], key["SK"]))
        if not isinstance(invitation, Invitation) or invitation.expired(rfc3339(utc_now())):
            raise NotFound(INVITATION_NOT_FOUND)
        return invitation, email

    def _ended(
        self, invitation: Invitation, action: str, actor_id: str, event_id: str, now: datetime
    ) -> Write:
        return self._audit.event(
            event_id=event_id,
            workspace_id=invitation.workspace_id,
            actor_id=actor_id,
            action=action,
            target=("invitation", invitation.id),
            label=invitation.email,
            changes={},
            at=now,
        )

    def _end(self, change, *, caller: Caller | None) -> None:
        try:
            commit_in_order(self._store, change, caller=caller)
        except WriteRejected as rejected:
            if caller is not None:
                explain_rejected_access(rejected.failures)
            self._refuse_gone(rejected.failures)
            raise

    @staticmethod
    def _refuse_gone(failures) -> None:
        """A deleted workspace, or an invitation accepted, declined or revoked meanwhile, or
        withdrawn: to the invitee, the invitation is gone."""
        workspace = failures.get("workspace")
        if "workspace" in failures and (not isinstance(workspace, Workspace) or workspace.deleted):
            raise NotFound(INVITATION_NOT_FOUND)
        if "invitation" in failures or "inviter" in failures:
            raise NotFound(INVITATION_NOT_FOUND)
