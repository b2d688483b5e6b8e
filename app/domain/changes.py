"""A workspace's changes feed (docs/api.md, "Changes feed"): its audit actions after a position,
oldest first, without their details.

The position is an audit event's id. Every change to a workspace sets the workspace item's
`last_event` in its own transaction (app/domain/commits.py), and the log's id order is the order
of the commits, so "what changed after X" is the log's key range after X, and "did anything
change" is the one workspace item that every read of the workspace reads anyway: a poll that
finds nothing new costs that one BatchGetItem.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.access import load
from app.domain.clock import first_id_at, utc_now
from app.storage import keys
from app.storage.records import AuditEvent
from app.storage.table import Store

MAX_CHANGES = 100
# What an audit event is read as here: all but its `changes` (and its label), which can be
# large and the feed leaves out.
_CHANGE_ATTRIBUTES = (
    "type",
    "id",
    "workspace_id",
    "at",
    "actor_id",
    "action",
    "target_type",
    "target_id",
)


@dataclass(frozen=True)
class Change:
    action: str
    at: str
    target_type: str
    target_id: str


@dataclass(frozen=True)
class Changes:
    changes: list[Change]
    # The position to ask after next time.
    next_position: str
    # What changed last in the workspace (its ETag): the same while nothing changes.
    last_change: str


class ChangesFeed:
    def __init__(self, store: Store):
        self._store = store

    def current(self, actor_id: str, workspace_id: str) -> str:
        """The workspace's last change as the caller, a member, may see it (404 otherwise):
        one BatchGetItem. A workspace older than the log's order has none yet: the feed then
        starts at this moment."""
        workspace = load(self._store, workspace_id, actor_id).workspace
        return workspace.last_event or first_id_at(utc_now())

    def since(self, workspace_id: str, position: str | None, last_change: str) -> Changes:
        """The changes after `position`, the caller's access and `last_change` already read
        (`current`); one Query, and none when nothing changed since."""
        if position is None or position >= last_change:
            return Changes([], position or last_change, last_change)
        page = self._store.query(
            partition=("PK", keys.audit_pk(workspace_id)),
            sort_after=position,
            limit=MAX_CHANGES,
            only=_CHANGE_ATTRIBUTES,
        )
        events = [e for e in page.records if isinstance(e, AuditEvent)]
        changes = [Change(e.action, e.at, e.target_type, e.target_id) for e in events]
        return Changes(changes, events[-1].id if events else position, last_change)
