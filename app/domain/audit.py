"""Audit events: built beside every change and written in the same transaction, and read back
by admins. Events are immutable; DynamoDB's TTL removes them after the retention period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.access import authorize, load
from app.domain.clock import epoch_after, rfc3339
from app.domain.roles import Action
from app.storage import keys, writes
from app.storage.records import AuditEvent
from app.storage.table import Page, Store
from app.storage.writes import Write


def changes_between(old: Any, new: Any, fields: Iterable[str]) -> dict[str, list[Any]]:
    """The fields whose value differs, as {field: [old, new]}."""
    return {
        name: [getattr(old, name), getattr(new, name)]
        for name in fields
        if getattr(old, name) != getattr(new, name)
    }


@dataclass(frozen=True)
class AuditRecorder:
    retention_days: int

    def event(
        self,
        *,
        event_id: str,
        workspace_id: str,
        actor_id: str,
        action: str,
        target: tuple[str, str],
        label: str,
        changes: dict[str, list[Any]],
        at: datetime,
        task_id: str | None = None,
    ) -> Write:
        """`label` is the target's name as the event is written (workspace name, member
        email, task title; after a rename, the new one): the event stays readable once the
        target is gone. `event_id` orders the log (app/domain/commits.py)."""
        target_type, target_id = target
        event = AuditEvent(
            id=event_id,
            workspace_id=workspace_id,
            at=rfc3339(at),
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=label,
            changes=changes,
            task_id=task_id,
        )
        return writes.put_audit_event(event, expires_at=epoch_after(at, self.retention_days))


class AuditLog:
    def __init__(self, store: Store):
        self._store = store

    def page(self, actor_id: str, workspace_id: str, *, limit: int, start_key: dict | None) -> Page:
        access = load(self._store, workspace_id, actor_id)
        authorize(access, Action.READ_AUDIT)
        return self._store.query(
            partition=("PK", keys.audit_pk(workspace_id)),
            limit=limit,
            start_key=start_key,
            newest_first=True,
        )
