"""Workspace use cases: create, list, read, rename, delete."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from app.domain.access import (
    WORKSPACE_NOT_FOUND,
    authorize,
    check_version,
    explain_rejected_access,
    load,
)
from app.domain.audit import AuditRecorder
from app.domain.clock import new_id, rfc3339, utc_now
from app.domain.commits import against_any_version, commit_in_order
from app.domain.errors import LostRace, NotFound, PreconditionFailed
from app.domain.limits import Limits
from app.domain.ports import UserDirectory
from app.domain.roles import Action, Role, allowed_roles
from app.storage import keys, writes
from app.storage.records import Membership, Workspace
from app.storage.table import Store, WriteRejected
from app.storage.writes import Caller, Write

# A page of workspaces may meet memberships of deleted workspaces (their removal runs in the
# background); it reads this many more pages to fill itself before giving a short one.
_REFILL_ROUNDS = 3


@dataclass(frozen=True)
class WorkspaceView:
    """A workspace as one member sees it: with their role."""

    workspace: Workspace
    role: str


@dataclass(frozen=True)
class WorkspacePage:
    records: list[WorkspaceView]
    next_key: dict | None


class Workspaces:
    def __init__(
        self, store: Store, directory: UserDirectory, audit: AuditRecorder, limits: Limits
    ):
        self._store = store
        self._directory = directory
        self._audit = audit
        self._limits = limits

    def create(self, actor_id: str, name: str) -> WorkspaceView:
        """One transaction: the workspace, its owner's membership, the audit event, and one more
        workspace counted against the owner's limit."""
        now = utc_now()
        at = rfc3339(now)
        workspace_id = new_id()
        owner = Membership(
            workspace_id=workspace_id,
            user_id=actor_id,
            email=self._directory.email_of(actor_id),
            role=Role.OWNER,
            added_at=at,
        )

        def change(event_id: str) -> list[Write]:
            workspace = self._new_workspace(workspace_id, name, at, event_id)
            return [
                writes.put_workspace(workspace),
                writes.put_membership(owner),
                writes.count_owned_workspace(actor_id, 1, limit=self._limits.owned_workspaces),
                self._audit.event(
                    event_id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor_id,
                    action="workspace.created",
                    target=("workspace", workspace_id),
                    label=name,
                    changes={"name": [None, name]},
                    at=now,
                ),
            ]

        try:
            # No caller condition: the workspace is new, and its caller becomes its owner here.
            event_id = commit_in_order(self._store, change, caller=None)
        except WriteRejected as rejected:
            self._limits.refuse_if_reached(rejected.failures)
            raise
        return WorkspaceView(self._new_workspace(workspace_id, name, at, event_id), Role.OWNER)

    @staticmethod
    def _new_workspace(workspace_id: str, name: str, at: str, event_id: str) -> Workspace:
        return Workspace(
            id=workspace_id,
            name=name,
            version=1,
            created_at=at,
            updated_at=at,
            owner_count=1,
            member_count=1,
            last_event=event_id,
        )

    def get(self, actor_id: str, workspace_id: str) -> WorkspaceView:
        access = load(self._store, workspace_id, actor_id)
        return WorkspaceView(access.workspace, access.role)

    def list_for(self, actor_id: str, *, limit: int, start_key: dict | None) -> WorkspacePage:
        views: list[WorkspaceView] = []
        next_key = start_key
        for _ in range(_REFILL_ROUNDS):
            page = self._store.query(
                partition=("UserKey", keys.user_key(actor_id)),
                index=keys.BY_USER,
                limit=limit - len(views),
                start_key=next_key,
                newest_first=True,
            )
            memberships = [m for m in page.records if isinstance(m, Membership)]
            views.extend(self._live_views(memberships))
            next_key = page.next_key
            if len(views) >= limit or next_key is None:
                break
        return WorkspacePage(views, next_key)

    def _live_views(self, memberships: list[Membership]) -> list[WorkspaceView]:
        if not memberships:
            return []
        found = self._store.get_many([keys.workspace_key(m.workspace_id) for m in memberships])
        views = []
        for membership in memberships:
            key = keys.workspace_key(membership.workspace_id)
            workspace = found.get((key["PK"], key["SK"]))
            if isinstance(workspace, Workspace) and not workspace.deleted:
                views.append(WorkspaceView(workspace, membership.role))
            else:
                # The workspace was deleted: this membership is left for the background
                # removal; take it away now so later pages need not skip it again (and an
                # owner gets back the workspace it counted against their limit).
                self._store.transact_quietly(
                    [
                        writes.delete_membership(
                            membership.workspace_id,
                            membership.user_id,
                            expected_role=membership.role,
                        ),
                        writes.count_owned_workspace(membership.user_id, -1, limit=0)
                        if membership.role == Role.OWNER
                        else None,
                    ]
                )
        return views

    def rename(
        self, actor_id: str, workspace_id: str, *, name: str, if_match: frozenset[int] | None
    ) -> WorkspaceView:
        """With `If-Match: *`, a rename that lost a race to another change is read again and
        applied to the current version; with a version, it is 412."""

        def attempt() -> WorkspaceView:
            access = load(self._store, workspace_id, actor_id)
            authorize(access, Action.RENAME_WORKSPACE)
            current = access.workspace
            check_version(current.version, if_match, "workspace")
            if name == current.name:
                return WorkspaceView(current, access.role)
            return WorkspaceView(self._rename(actor_id, current, name), access.role)

        return against_any_version(if_match, attempt, "workspace")

    def _rename(self, actor_id: str, current: Workspace, name: str) -> Workspace:
        now = utc_now()

        def change(event_id: str) -> list[Write]:
            return [
                writes.update_workspace(
                    current.id,
                    expected_version=current.version,
                    name=name,
                    updated_at=rfc3339(now),
                    event_id=event_id,
                ),
                self._audit.event(
                    event_id=event_id,
                    workspace_id=current.id,
                    actor_id=actor_id,
                    action="workspace.updated",
                    target=("workspace", current.id),
                    label=name,
                    changes={"name": [current.name, name]},
                    at=now,
                ),
            ]

        caller = Caller(current.id, actor_id, allowed_roles(Action.RENAME_WORKSPACE))
        try:
            event_id = commit_in_order(self._store, change, caller=caller)
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            raise LostRace("The workspace was changed by someone else") from rejected
        return dataclasses.replace(
            current,
            name=name,
            version=current.version + 1,
            updated_at=rfc3339(now),
            last_event=event_id,
        )

    def delete(self, actor_id: str, workspace_id: str, *, if_match: frozenset[int] | None) -> None:
        """The workspace is read for its name (the audit event's label); then who may delete,
        which version, the audit event, and the owner's count of workspaces all ride in the one
        transaction. Other owners get theirs back as their memberships are cleaned up."""
        name = load(self._store, workspace_id, actor_id).workspace.name
        now = utc_now()

        def change(event_id: str) -> list[Write]:
            return [
                # Only an owner may delete (Action.DELETE_WORKSPACE, the caller's condition);
                # their own membership goes with the workspace, so that it is counted back
                # exactly once.
                writes.delete_membership(workspace_id, actor_id, expected_role=Role.OWNER),
                writes.mark_workspace_deleted(
                    workspace_id,
                    expected_versions=if_match,
                    deleted_at=rfc3339(now),
                    event_id=event_id,
                ),
                writes.count_owned_workspace(actor_id, -1, limit=0),
                self._audit.event(
                    event_id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor_id,
                    action="workspace.deleted",
                    target=("workspace", workspace_id),
                    label=name,
                    changes={},
                    at=now,
                ),
            ]

        caller = Caller(workspace_id, actor_id, allowed_roles(Action.DELETE_WORKSPACE))
        try:
            commit_in_order(self._store, change, caller=caller)
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            if "workspace" in rejected.failures:
                raise PreconditionFailed("The workspace was changed by someone else") from rejected
            raise NotFound(WORKSPACE_NOT_FOUND) from rejected
