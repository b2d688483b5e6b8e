"""Members of a workspace: list, add by email, change role, remove.

The role rules live in roles.py; here they meet the table. Every change carries, in its one
transaction, the caller's role as a condition, the target's role as it was read, the owner
count when owners come or go (a workspace always keeps one), and the audit event.
"""

from __future__ import annotations

from app.domain.access import authorize, explain_rejected_access, load
from app.domain.audit import AuditRecorder
from app.domain.clock import rfc3339, utc_now
from app.domain.errors import Conflict, NotFound
from app.domain.ports import UserDirectory
from app.domain.roles import Action, Role, allowed_roles, member_change_action
from app.storage import keys, writes
from app.storage.records import Membership, Workspace
from app.storage.table import Page, Store, WriteRejected
from app.storage.writes import Write

MEMBER_NOT_FOUND = "Member not found"
LAST_OWNER = "A workspace must keep at least one owner"


class Members:
    def __init__(self, store: Store, directory: UserDirectory, audit: AuditRecorder):
        self._store = store
        self._directory = directory
        self._audit = audit

    def page(self, actor_id: str, workspace_id: str, *, limit: int, start_key: dict | None) -> Page:
        load(self._store, workspace_id, actor_id)
        return self._store.query(
            partition=("PK", keys.workspace_pk(workspace_id)),
            sort_prefix=keys.MEMBER_PREFIX,
            limit=limit,
            start_key=start_key,
        )

    def add(self, actor_id: str, workspace_id: str, *, email: str, role: str) -> Membership:
        access = load(self._store, workspace_id, actor_id)
        action = member_change_action(None, role)
        authorize(access, action)
        # Only after the caller proved a right to manage members: no probing who has an account.
        user = self._directory.find_confirmed(email)
        if user is None:
            raise NotFound("No confirmed user has this email address")
        now = utc_now()
        member = Membership(
            workspace_id=workspace_id,
            user_id=user.user_id,
            email=user.email,
            role=role,
            added_at=rfc3339(now),
        )
        parts = [
            self._caller_may(workspace_id, actor_id, action, target=user.user_id),
            self._owner_count_change(workspace_id, None, role),
            writes.put_membership(member, tag="target"),
            self._audit.event(
                workspace_id=workspace_id,
                actor_id=actor_id,
                action="member.added",
                target=("member", member.user_id),
                label=member.email,
                changes={"email": [None, member.email], "role": [None, role]},
                at=now,
            ),
        ]
        try:
            self._store.transact([p for p in parts if p is not None])
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            raise Conflict("This user is already a member of the workspace") from rejected
        return member

    def change_role(
        self, actor_id: str, workspace_id: str, user_id: str, *, role: str
    ) -> Membership:
        access = load(
            self._store, workspace_id, actor_id, keys.membership_key(workspace_id, user_id)
        )
        target = access.get(keys.membership_key(workspace_id, user_id))
        if not isinstance(target, Membership):
            raise NotFound(MEMBER_NOT_FOUND)
        action = member_change_action(target.role, role)
        authorize(access, action)
        if target.role == role:
            return target
        _keep_an_owner(access.workspace, target.role, role)
        now = utc_now()
        parts = [
            self._caller_may(workspace_id, actor_id, action, target=user_id),
            self._owner_count_change(workspace_id, target.role, role),
            writes.change_member_role(
                workspace_id, user_id, expected_role=target.role, role=role, tag="target"
            ),
            self._audit.event(
                workspace_id=workspace_id,
                actor_id=actor_id,
                action="member.role_changed",
                target=("member", user_id),
                label=target.email,
                changes={"role": [target.role, role]},
                at=now,
            ),
        ]
        self._commit(parts)
        return Membership(target.workspace_id, target.user_id, target.email, role, target.added_at)

    def remove(self, actor_id: str, workspace_id: str, user_id: str) -> None:
        access = load(
            self._store, workspace_id, actor_id, keys.membership_key(workspace_id, user_id)
        )
        target = access.get(keys.membership_key(workspace_id, user_id))
        if not isinstance(target, Membership):
            raise NotFound(MEMBER_NOT_FOUND)
        leaving = user_id == actor_id
        action = member_change_action(target.role, None)
        if not leaving:
            authorize(access, action)
        _keep_an_owner(access.workspace, target.role, None)
        now = utc_now()
        parts = [
            None if leaving else self._caller_may(workspace_id, actor_id, action, target=user_id),
            self._owner_count_change(workspace_id, target.role, None),
            writes.delete_membership(
                workspace_id, user_id, expected_role=target.role, tag="target"
            ),
            self._audit.event(
                workspace_id=workspace_id,
                actor_id=actor_id,
                action="member.removed",
                target=("member", user_id),
                label=target.email,
                changes={"email": [target.email, None], "role": [target.role, None]},
                at=now,
            ),
        ]
        self._commit(parts)

    def _commit(self, parts: list[Write | None]) -> None:
        try:
            self._store.transact([p for p in parts if p is not None])
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            if "workspace" in rejected.failures:
                raise Conflict(LAST_OWNER) from rejected
            raise Conflict("The member changed meanwhile; reload and try again") from rejected

    @staticmethod
    def _caller_may(
        workspace_id: str, actor_id: str, action: Action, *, target: str
    ) -> Write | None:
        if target == actor_id:
            # The target's own condition (its role as read) already pins the caller's role;
            # one transaction cannot name the same item twice.
            return None
        return writes.require_member(workspace_id, actor_id, allowed_roles(action), "caller")

    @staticmethod
    def _owner_count_change(workspace_id: str, old: str | None, new: str | None) -> Write:
        delta = (new == Role.OWNER) - (old == Role.OWNER)
        if delta:
            return writes.change_owner_count(workspace_id, delta)
        return writes.require_live_workspace(workspace_id)


def _keep_an_owner(workspace: Workspace, old: str | None, new: str | None) -> None:
    if old == Role.OWNER and new != Role.OWNER and workspace.owner_count <= 1:
        raise Conflict(LAST_OWNER)
