"""Members of a workspace: list, change role, remove (people join by accepting an invitation:
app/domain/invitations.py).

The role rules live in roles.py; here they meet the table. Every change carries, in its one
transaction, the caller's membership and role as a condition (also when the caller is the
target: commits.commit_in_order), the target's role as it was read, the owner count when owners
come or go (a workspace always keeps one), and the audit event.
"""

from __future__ import annotations

from app.domain.access import authorize, explain_rejected_access, load
from app.domain.audit import AuditRecorder
from app.domain.clock import utc_now
from app.domain.commits import commit_in_order
from app.domain.errors import Conflict, NotFound
from app.domain.limits import Limits
from app.domain.roles import Action, Role, allowed_roles, member_change_action
from app.storage import keys, writes
from app.storage.records import Membership, Workspace
from app.storage.table import Page, Store, WriteRejected
from app.storage.writes import Caller, Write

MEMBER_NOT_FOUND = "Member not found"
LAST_OWNER = "A workspace must keep at least one owner"


class Members:
    def __init__(self, store: Store, audit: AuditRecorder, limits: Limits):
        self._store = store
        self._audit = audit
        self._limits = limits

    def page(self, actor_id: str, workspace_id: str, *, limit: int, start_key: dict | None) -> Page:
        load(self._store, workspace_id, actor_id)
        return self._store.query(
            partition=("PK", keys.workspace_pk(workspace_id)),
            sort_prefix=keys.MEMBER_PREFIX,
            limit=limit,
            start_key=start_key,
        )

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

        def change(event_id: str) -> list[Write | None]:
            return [
                self._workspace_change(workspace_id, event_id, target.role, role),
                self._owned_change(user_id, target.role, role),
                writes.change_member_role(
                    workspace_id, user_id, expected_role=target.role, role=role, tag="target"
                ),
                self._audit.event(
                    event_id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor_id,
                    action="member.role_changed",
                    target=("member", user_id),
                    label=target.email,
                    changes={"role": [target.role, role]},
                    at=now,
                ),
            ]

        self._commit(
            change, _caller(workspace_id, actor_id, action), owner_is_caller=user_id == actor_id
        )
        return Membership(target.workspace_id, target.user_id, target.email, role, target.added_at)

    def remove(self, actor_id: str, workspace_id: str, user_id: str) -> None:
        access = load(
            self._store, workspace_id, actor_id, keys.membership_key(workspace_id, user_id)
        )
        target = access.get(keys.membership_key(workspace_id, user_id))
        if not isinstance(target, Membership):
            raise NotFound(MEMBER_NOT_FOUND)
        leaving = user_id == actor_id
        # Any member may remove themself (docs/api.md, "Roles").
        action = Action.READ if leaving else member_change_action(target.role, None)
        authorize(access, action)
        _keep_an_owner(access.workspace, target.role, None)
        now = utc_now()

        def change(event_id: str) -> list[Write | None]:
            return [
                self._workspace_change(workspace_id, event_id, target.role, None),
                self._owned_change(user_id, target.role, None),
                writes.delete_membership(
                    workspace_id, user_id, expected_role=target.role, tag="target"
                ),
                self._audit.event(
                    event_id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor_id,
                    action="member.removed",
                    target=("member", user_id),
                    label=target.email,
                    changes={"email": [target.email, None], "role": [target.role, None]},
                    at=now,
                ),
            ]

        self._commit(change, _caller(workspace_id, actor_id, action), owner_is_caller=leaving)

    def _commit(self, change, caller: Caller, *, owner_is_caller: bool) -> None:
        try:
            commit_in_order(self._store, change, caller=caller)
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            self._limits.refuse_if_reached(rejected.failures, owner_is_caller=owner_is_caller)
            if "workspace" in rejected.failures:
                raise Conflict(LAST_OWNER) from rejected
            raise Conflict("The member changed meanwhile; reload and try again") from rejected

    def _workspace_change(
        self, workspace_id: str, event_id: str, old: str | None, new: str | None
    ) -> Write:
        """The workspace keeps an owner and stays within its member limit; the change's event
        comes after the last one committed."""
        return writes.advance_workspace(
            workspace_id,
            event_id=event_id,
            owners=(new == Role.OWNER) - (old == Role.OWNER),
            members=(new is not None) - (old is not None),
            member_limit=self._limits.members_per_workspace,
        )

    def _owned_change(self, user_id: str, old: str | None, new: str | None) -> Write | None:
        """A member who becomes (or stops being) an owner owns one workspace more (or fewer)."""
        delta = (new == Role.OWNER) - (old == Role.OWNER)
        if not delta:
            return None
        return writes.count_owned_workspace(user_id, delta, limit=self._limits.owned_workspaces)


def _caller(workspace_id: str, actor_id: str, action: Action) -> Caller:
    return Caller(workspace_id, actor_id, allowed_roles(action))


def _keep_an_owner(workspace: Workspace, old: str | None, new: str | None) -> None:
    if old == Role.OWNER and new != Role.OWNER and workspace.owner_count <= 1:
        raise Conflict(LAST_OWNER)
