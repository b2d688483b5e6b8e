"""Loading a workspace as one caller sees it: the caller's membership, the workspace and any
other items, in one strongly consistent BatchGetItem. A caller who is not a member of a live
workspace learns nothing about it (NotFound), whatever they asked for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from app.domain.errors import Forbidden, NotFound, PreconditionFailed
from app.domain.roles import Action, may
from app.storage import keys
from app.storage.records import Membership, Record, Workspace
from app.storage.table import Store

WORKSPACE_NOT_FOUND = "Workspace not found"


@dataclass(frozen=True)
class Access:
    membership: Membership
    workspace: Workspace
    # Everything the BatchGetItem returned, keyed by (PK, SK).
    found: dict[tuple[str, str], Record]

    @property
    def role(self) -> str:
        return self.membership.role

    def get(self, key: keys.Key) -> Record | None:
        return self.found.get((key["PK"], key["SK"]))


def load(store: Store, workspace_id: str, actor_id: str, *extra: keys.Key) -> Access:
    member_key = keys.membership_key(workspace_id, actor_id)
    workspace_key = keys.workspace_key(workspace_id)
    # BatchGetItem refuses duplicate keys (the caller may also be the member asked about).
    wanted = {(k["PK"], k["SK"]): k for k in (member_key, workspace_key, *extra)}
    found = store.get_many(list(wanted.values()))
    membership = found.get((member_key["PK"], member_key["SK"]))
    workspace = found.get((workspace_key["PK"], workspace_key["SK"]))
    if not isinstance(membership, Membership) or not isinstance(workspace, Workspace):
        raise NotFound(WORKSPACE_NOT_FOUND)
    if workspace.deleted:
        raise NotFound(WORKSPACE_NOT_FOUND)
    return Access(membership, workspace, found)


R = TypeVar("R")


def editable(
    store: Store,
    workspace_id: str,
    actor_id: str,
    key: keys.Key,
    *,
    action: Action,
    kind: type[R],
    missing: str,
) -> R:
    """The item at `key` of a workspace, read with the caller's membership (one
    BatchGetItem): the caller's role allows `action`, and the item is a `kind` (NotFound with
    `missing` otherwise)."""
    access = load(store, workspace_id, actor_id, key)
    authorize(access, action)
    found = access.get(key)
    if not isinstance(found, kind):
        raise NotFound(missing)
    return found


def authorize(access: Access, action: Action) -> None:
    if not may(access.role, action):
        raise Forbidden(f"Your role ({access.role}) does not allow this")


def explain_rejected_access(failures: dict[str, Record | None]) -> None:
    """Raise the error a cancelled write owes the caller for its membership and workspace
    conditions, most fundamental first: gone (404), then not allowed (403)."""
    if "workspace" in failures:
        workspace = failures["workspace"]
        if not isinstance(workspace, Workspace) or workspace.deleted:
            raise NotFound(WORKSPACE_NOT_FOUND)
    if "caller" in failures:
        caller = failures["caller"]
        if not isinstance(caller, Membership):
            raise NotFound(WORKSPACE_NOT_FOUND)
        raise Forbidden(f"Your role ({caller.role}) does not allow this")


def check_version(current: int, if_match: frozenset[int] | None, what: str) -> None:
    """`if_match` holds the versions the caller's If-Match names; None stands for `*`."""
    if if_match is not None and current not in if_match:
        raise PreconditionFailed(f"The {what} is at version {current}; reload it and try again")
