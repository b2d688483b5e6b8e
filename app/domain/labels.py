"""Labels of a workspace: list (by name), create, rename or recolour, delete.

A label's name is unique in its workspace ignoring case: its name's marker item, keyed by the
name case-folded (after NFKC, so full-width and ligature forms count as the plain letters),
is written in the same transaction as the label, on condition that it does not exist. A
workspace has at most `Limits.labels_per_workspace` labels, counted on the workspace item.

Deleting a label removes it and its marker at once; the tasks that had it lose it in the
background (the task-index function, lambdas/task_index), within a minute. A label that is
gone is never listed again, nor can it be given to a task: giving one checks, in the task's
transaction, that the label exists (app/domain/tasks.py).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime
from typing import Any

from app.domain.access import check_version, editable, explain_rejected_access, load
from app.domain.audit import AuditRecorder, changes_between
from app.domain.clock import new_id, rfc3339, utc_now
from app.domain.commits import against_any_version, commit_audited
from app.domain.errors import Conflict, LostRace, NotFound
from app.domain.limits import Limits
from app.domain.roles import Action, allowed_roles
from app.storage import keys, text_index, writes
from app.storage.records import Label
from app.storage.table import Page, Store, WriteRejected
from app.storage.writes import Write

LABEL_NOT_FOUND = "Label not found"
COLORS = ("gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown")
EDITABLE_FIELDS = ("name", "color")


def name_key(name: str) -> str:
    """What two names that differ only in case have in common."""
    return unicodedata.normalize("NFKC", name).casefold()


def name_order(label: Label) -> str:
    """Where a label stands in the list: by name ignoring case and accents, then ignoring case
    only, then by id (names are unique ignoring case, so that last never decides)."""
    return "\x00".join((text_index.fold(label.name), name_key(label.name), label.id))


class Labels:
    def __init__(self, store: Store, audit: AuditRecorder, limits: Limits):
        self._store = store
        self._audit = audit
        self._limits = limits

    def page(self, actor_id: str, workspace_id: str, *, limit: int, after: str | None) -> Page:
        """A page of the workspace's labels by name, after the position `after`. A workspace
        has few labels (at most the limit): one Query reads them all, and they are sorted
        here."""
        load(self._store, workspace_id, actor_id)
        found = self._store.query(
            partition=("PK", keys.workspace_pk(workspace_id)),
            sort_prefix=keys.LABEL_PREFIX,
            limit=None,
        )
        ordered = sorted(
            (label for label in found.records if isinstance(label, Label)), key=name_order
        )
        if after is not None:
            ordered = [label for label in ordered if name_order(label) > after]
        chosen = ordered[:limit]
        more = len(ordered) > limit
        return Page(chosen, {"name": name_order(chosen[-1])} if more else None)

    def get(self, actor_id: str, workspace_id: str, label_id: str) -> Label:
        key = keys.label_key(workspace_id, label_id)
        label = load(self._store, workspace_id, actor_id, key).get(key)
        if not isinstance(label, Label):
            raise NotFound(LABEL_NOT_FOUND)
        return label

    def create(self, actor_id: str, workspace_id: str, name: str, color: str) -> Label:
        """One transaction: the caller may edit labels, the workspace has room, the name is
        free, the label and its audit event."""
        now = utc_now()
        label = Label(
            id=new_id(),
            workspace_id=workspace_id,
            name=name,
            color=color,
            version=1,
            created_at=rfc3339(now),
        )
        self._commit(
            actor_id,
            label,
            action="label.created",
            changes={"name": [None, name], "color": [None, color]},
            now=now,
            labels=1,
            label_writes=writes.put_label(label, name_key(name)),
        )
        return label

    def update(
        self,
        actor_id: str,
        workspace_id: str,
        label_id: str,
        changes: dict[str, Any],
        *,
        if_match: frozenset[int] | None,
    ) -> Label:
        return against_any_version(
            if_match,
            lambda: self._update_once(actor_id, workspace_id, label_id, changes, if_match),
            "label",
        )

    def _update_once(
        self,
        actor_id: str,
        workspace_id: str,
        label_id: str,
        changes: dict[str, Any],
        if_match: frozenset[int] | None,
    ) -> Label:
        current = self._editable(actor_id, workspace_id, label_id)
        check_version(current.version, if_match, "label")
        updated = dataclasses.replace(
            current,
            **{name: value for name, value in changes.items() if name in EDITABLE_FIELDS},
            version=current.version + 1,
        )
        diff = changes_between(current, updated, EDITABLE_FIELDS)
        if not diff:
            return current
        self._commit(
            actor_id,
            updated,
            action="label.updated",
            changes=diff,
            now=utc_now(),
            label_writes=writes.replace_label(
                updated,
                expected_version=current.version,
                folded_name=name_key(updated.name),
                old_folded_name=name_key(current.name),
            ),
        )
        return updated

    def delete(
        self, actor_id: str, workspace_id: str, label_id: str, *, if_match: frozenset[int] | None
    ) -> None:
        current = self._editable(actor_id, workspace_id, label_id)
        check_version(current.version, if_match, "label")
        self._commit(
            actor_id,
            current,
            action="label.deleted",
            changes={},
            now=utc_now(),
            labels=-1,
            label_writes=writes.delete_label(
                current,
                expected_versions=frozenset({current.version}),
                folded_name=name_key(current.name),
            ),
        )

    def _editable(self, actor_id: str, workspace_id: str, label_id: str) -> Label:
        return editable(
            self._store,
            workspace_id,
            actor_id,
            keys.label_key(workspace_id, label_id),
            action=Action.EDIT_LABELS,
            kind=Label,
            missing=LABEL_NOT_FOUND,
        )

    def _commit(
        self,
        actor_id: str,
        label: Label,
        *,
        action: str,
        changes: dict[str, list[Any]],
        now: datetime,
        label_writes: list[Write],
        labels: int = 0,
    ) -> None:
        """One transaction: the caller may edit labels, the workspace is live (within its label
        limit, its log in commit order), the label's own writes, and the audit event. A
        cancelled one is explained in the caller's terms."""
        try:
            commit_audited(
                self._store,
                self._audit,
                actor_id=actor_id,
                workspace_id=label.workspace_id,
                allowed=allowed_roles(Action.EDIT_LABELS),
                action=action,
                target=("label", label.id),
                label=label.name,
                changes=changes,
                at=now,
                parts=label_writes,
                counts={"labels": labels, "label_limit": self._limits.labels_per_workspace},
            )
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            self._limits.refuse_if_reached(rejected.failures, labels=labels)
            if "label_name" in rejected.failures:
                raise Conflict(
                    "This workspace has a label with that name already (ignoring case)"
                ) from rejected
            if rejected.failures.get("label") is None:
                raise NotFound(LABEL_NOT_FOUND) from rejected
            raise LostRace("The label was changed by someone else") from rejected
