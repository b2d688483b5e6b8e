"""Workspace use cases: create, list, read, rename, delete."""

from __future__ import annotations

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
from app.domain.errors import NotFound, PreconditionFailed
from app.domain.ports import UserDirectory
from app.domain.roles import Action, Role, allowed_roles
from app.storage import keys, writes
from app.storage.records import Membership, Workspace
from app.storage.table import Store, WriteRejected

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
    def __init__(self, store: Store, directory: UserDirectory, audit: AuditRecorder):
        self._store = store
        self._directory = directory
        self._audit = audit

    def create(self, actor_id: str, name: str) -> WorkspaceView:
        now = utc_now()
        at = rfc3339(now)
        workspace = Workspace(
            id=new_id(), name=name, version=1, created_at=at, updated_at=at, owner_count=1
        )
        owner = Membership(
            workspace_id=workspace.id,
            user_id=actor_id,
            email=self._directory.email_of(actor_id),
            role=Role.OWNER,
            added_at=at,
        )
        self._store.transact(
            [
                writes.put_workspace(workspace),
                writes.put_membership(owner),
                self._audit.event(
                    workspace_id=workspace.id,
                    actor_id=actor_id,
                    action="workspace.created",
                    target=("workspace", workspace.id),
                    label=name,
                    changes={"name": [None, name]},
                    at=now,
                ),
            ]
        )
        return WorkspaceView(workspace, Role.OWNER)

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
                # removal; take it away now so later pages need not skip it again.
                self._store.delete_quietly(
                    keys.membership_key(membership.workspace_id, membership.user_id)
                )
        return views

    def rename(
        self, actor_id: str, workspace_id: str, *, name: str, if_match: frozenset[int] | None
    ) -> WorkspaceView:
        access = load(self._store, workspace_id, actor_id)
        authorize(access, Action.RENAME_WORKSPACE)
        current = access.workspace
        check_version(current.version, if_match, "workspace")
        if name == current.name:
            return WorkspaceView(current, access.role)
        now = utc_now()
        try:
            self._store.transact(
                [
                    writes.require_member(
                        workspace_id, actor_id, allowed_roles(Action.RENAME_WORKSPACE), "caller"
                    ),
                    writes.update_workspace(
                        workspace_id,
                        expected_version=current.version,
                        name=name,
                        updated_at=rfc3339(now),
                    ),
                    self._audit.event(
                        workspace_id=workspace_id,
                        actor_id=actor_id,
                        action="workspace.updated",
                        target=("workspace", workspace_id),
                        label=name,
                        changes={"name": [current.name, name]},
                        at=now,
                    ),
                ]
            )
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            raise PreconditionFailed("The workspace was changed by someone else") from rejected
        renamed = Workspace(
            id=current.id,
            name=name,
            version=current.version + 1,
            created_at=current.created_at,
            updated_at=rfc3339(now),
            owner_count=current.owner_count,
        )
        return WorkspaceView(renamed, access.role)

    def delete(self, actor_id: str, workspace_id: str, *, if_match: frozenset[int] | None) -> None:
        """The workspace is read for its name (the audit event's label); then who may delete,
        which version, and the audit event all ride in the one transaction."""
        name = load(self._store, workspace_id, actor_id).workspace.name
        now = utc_now()
        try:
            self._store.transact(
                [
                    writes.require_member(
                        workspace_id, actor_id, allowed_roles(Action.DELETE_WORKSPACE), "caller"
                    ),
                    writes.mark_workspace_deleted(
                        workspace_id, expected_versions=if_match, deleted_at=rfc3339(now)
                    ),
                    self._audit.event(
                        workspace_id=workspace_id,
                        actor_id=actor_id,
                        action="workspace.deleted",
                        target=("workspace", workspace_id),
                        label=name,
                        changes={},
                        at=now,
                    ),
                ]
            )
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            if "workspace" in rejected.failures:
                raise PreconditionFailed("The workspace was changed by someone else") from rejected
            raise NotFound(WORKSPACE_NOT_FOUND) from rejected
