"""Tasks: create, list (newest first or in due order, filtered through an index), read, update,
delete; and the caller's own tasks across workspaces (app/domain/assigned.py).

Each task is two items written together: the task, and its due entry, a copy filed in due
order (docs/data-model.md)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from app.domain import assigned
from app.domain.access import check_version, editable, explain_rejected_access, load
from app.domain.audit import AuditRecorder, changes_between
from app.domain.clock import new_id, rfc3339, utc_now
from app.domain.commits import against_any_version, commit_audited
from app.domain.errors import Conflict, InvalidInput, LostRace, NotFound
from app.domain.limits import Limits
from app.domain.roles import Action, Role, allowed_roles
from app.storage import keys, task_lists, text_index, writes
from app.storage.records import Label, Membership, Task
from app.storage.table import Page, Store, WriteRejected
from app.storage.task_lists import TaskCriteria
from app.storage.writes import Write

TASK_NOT_FOUND = "Task not found"
EDITABLE_FIELDS = (
    "title",
    "description",
    "status",
    "due_date",
    "assignee_id",
    "priority",
    "labels",
)
PRIORITIES = keys.PRIORITIES
MAX_TASK_LABELS = 10
SORTS = task_lists.SORTS
DEFAULT_SORT = task_lists.CREATED
_NOT_A_MEMBER = {"assignee_id": ["Must be the user_id of a member of this workspace"]}
_UNKNOWN_LABEL = {"labels": ["Must be ids of labels of this workspace"]}
_ANY_ROLE = frozenset(Role)
_COMMENTS_MOVED_ATTEMPTS = 5


class _CommentsMoved(Exception):
    """The task's comment count changed since it was read (its version did not)."""


class Tasks:
    def __init__(self, store: Store, audit: AuditRecorder, limits: Limits):
        self._store = store
        self._audit = audit
        self._limits = limits

    def create(self, actor_id: str, workspace_id: str, fields: dict[str, Any]) -> Task:
        """One call: the caller's role, the live workspace, the assignee's membership, the task
        and its audit event are one transaction; nothing is read first."""
        now = utc_now()
        at = rfc3339(now)
        task = Task(
            id=new_id(),
            workspace_id=workspace_id,
            title=fields["title"],
            description=fields.get("description", ""),
            status=fields.get("status", "todo"),
            due_date=fields.get("due_date"),
            assignee_id=fields.get("assignee_id"),
            version=1,
            created_at=at,
            updated_at=at,
            created_by=actor_id,
            priority=fields.get("priority", "none"),
            labels=tuple(fields.get("labels", ())),
        )
        created = {
            name: [None, _audited(getattr(task, name))]
            for name in EDITABLE_FIELDS
            if getattr(task, name) not in (None, "", (), "none")
        }
        self._commit(
            actor_id,
            workspace_id,
            task.id,
            action="task.created",
            changes=created,
            now=now,
            label=task.title,
            tasks=1,
            task_writes=[
                self._assignee_is_member(task, actor_id),
                writes.put_task(task),
                writes.put_task_due_entry(task),
                writes.put_task_priority_entry(task),
                *_label_writes(None, task),
            ],
        )
        return task

    def get(self, actor_id: str, workspace_id: str, task_id: str) -> Task:
        key = keys.task_key(workspace_id, task_id)
        task = load(self._store, workspace_id, actor_id, key).get(key)
        if not isinstance(task, Task):
            raise NotFound(TASK_NOT_FOUND)
        return task

    def page(
        self,
        actor_id: str,
        workspace_id: str,
        criteria: TaskCriteria,
        *,
        limit: int,
        after: str | None,
    ) -> Page:
        """The tasks that meet every criterion, in the criteria's order, after the position
        `after` (app/storage/task_lists.py). A label that is not (or no longer) the
        workspace's has no tasks."""
        extra = [keys.label_key(workspace_id, criteria.label_id)] if criteria.label_id else []
        access = load(self._store, workspace_id, actor_id, *extra)
        if extra and not isinstance(access.get(extra[0]), Label):
            return Page([], None)
        return task_lists.page(self._store, workspace_id, criteria, limit=limit, after=after)

    def assigned_to(
        self, actor_id: str, *, statuses: frozenset[str] | None, limit: int, after: str | None
    ) -> Page:
        """The caller's tasks in the workspaces they are a member of now, in due order."""
        return assigned.page(self._store, actor_id, statuses=statuses, limit=limit, after=after)

    def update(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        changes: dict[str, Any],
        *,
        if_match: frozenset[int] | None,
    ) -> Task:
        """A partial update. Whatever it changes, the task it leaves must be valid as a new one
        would be: an assignee who is no longer a member is 422 until the task is reassigned or
        unassigned. With `If-Match: *`, an update that lost a race is applied again to the task
        as it now is (each field it sends replaces the current value)."""

        def once() -> Task:
            # A comment moves the task's count without a new version: an update that met one
            # is computed again from the task as it now is, at the same version.
            for _ in range(_COMMENTS_MOVED_ATTEMPTS):
                try:
                    return self._update_once(actor_id, workspace_id, task_id, changes, if_match)
                except _CommentsMoved:
                    continue
            raise Conflict("The task is being commented on faster than this change applies")

        return against_any_version(if_match, once, "task")

    def _update_once(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        changes: dict[str, Any],
        if_match: frozenset[int] | None,
    ) -> Task:
        current = self._editable(actor_id, workspace_id, task_id)
        check_version(current.version, if_match, "task")
        now = utc_now()
        edited = {name: value for name, value in changes.items() if name in EDITABLE_FIELDS}
        if "labels" in edited:
            edited["labels"] = tuple(edited["labels"])
        updated = dataclasses.replace(
            current,
            **edited,
            priority_entry=True,
            version=current.version + 1,
            updated_at=rfc3339(now),
        )
        diff = {
            name: [_audited(old), _audited(new)]
            for name, (old, new) in changes_between(current, updated, EDITABLE_FIELDS).items()
        }
        if not diff:
            self._refuse_a_former_member(actor_id, current)
            return current
        self._commit(
            actor_id,
            workspace_id,
            task_id,
            action="task.updated",
            changes=diff,
            now=now,
            label=updated.title,
            pinned_version=current.version,
            task_writes=[
                self._assignee_is_member(updated, actor_id),
                writes.replace_task(updated, expected_version=current.version),
                writes.delete_task_due_entry(current) if "due_date" in diff else None,
                writes.put_task_due_entry(updated),
                _moved_priority_entry(current, updated),
                writes.put_task_priority_entry(updated),
                *_label_writes(current, updated),
            ],
        )
        return updated

    def delete(
        self, actor_id: str, workspace_id: str, task_id: str, *, if_match: frozenset[int] | None
    ) -> None:
        """Reads the task first: its due entry's key and the event's label come from it. The
        transaction pins the version read, so a task changed meanwhile is never half deleted;
        it is read again and, if it still matches If-Match (`*` always does), deleted, as an
        update is applied again (commits.against_any_version)."""

        def attempt() -> None:
            current = self._editable(actor_id, workspace_id, task_id)
            check_version(current.version, if_match, "task")
            self._commit(
                actor_id,
                workspace_id,
                task_id,
                action="task.deleted",
                changes={},
                now=utc_now(),
                label=current.title,
                tasks=-1,
                task_writes=[
                    writes.delete_task(
                        workspace_id, task_id, expected_versions=frozenset({current.version})
                    ),
                    writes.delete_task_due_entry(current),
                    writes.delete_task_priority_entry(current),
                    *_label_writes(current, None),
                ],
            )

        against_any_version(if_match, attempt, "task")

    def _editable(self, actor_id: str, workspace_id: str, task_id: str) -> Task:
        """The task, read with the caller's membership; the caller may edit tasks."""
        return editable(
            self._store,
            workspace_id,
            actor_id,
            keys.task_key(workspace_id, task_id),
            action=Action.EDIT_TASKS,
            kind=Task,
            missing=TASK_NOT_FOUND,
        )

    def _commit(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        *,
        action: str,
        changes: dict[str, list[Any]],
        now: datetime,
        label: str,
        task_writes: list[Write | None],
        tasks: int = 0,
        pinned_version: int | None = None,
    ) -> None:
        """One transaction: the caller may edit tasks, the workspace is live (within its task
        limit, its log in commit order), the task's own writes, and the audit event. A
        cancelled one is explained in the caller's terms."""
        try:
            commit_audited(
                self._store,
                self._audit,
                actor_id=actor_id,
                workspace_id=workspace_id,
                allowed=allowed_roles(Action.EDIT_TASKS),
                action=action,
                target=("task", task_id),
                label=label,
                changes=changes,
                at=now,
                parts=task_writes,
                counts={"tasks": tasks, "task_limit": self._limits.tasks_per_workspace},
            )
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            self._limits.refuse_if_reached(rejected.failures, tasks=tasks)
            if "assignee" in rejected.failures:
                raise InvalidInput(_NOT_A_MEMBER) from rejected
            if any(tag.startswith("label:") for tag in rejected.failures):
                raise InvalidInput(_UNKNOWN_LABEL) from rejected
            found = rejected.failures.get("task")
            if found is None:
                raise NotFound(TASK_NOT_FOUND) from rejected
            if isinstance(found, Task) and found.version == pinned_version:
                raise _CommentsMoved from rejected
            raise LostRace("The task was changed by someone else") from rejected

    def assignee_errors(
        self, actor_id: str, workspace_id: str, assignee_id: str
    ) -> dict[str, list[str]]:
        """For a request whose other fields are invalid too: whether `assignee_id` would be
        refused as well, so that one 422 names every offending field. Only a member may ask;
        to anyone else the workspace does not exist."""
        key = keys.membership_key(workspace_id, assignee_id)
        try:
            access = load(self._store, workspace_id, actor_id, key)
        except NotFound:
            return {}
        return {} if isinstance(access.get(key), Membership) else dict(_NOT_A_MEMBER)

    def _refuse_a_former_member(self, actor_id: str, task: Task) -> None:
        """An update that changes nothing still may not leave a task assigned to someone who
        is no longer a member."""
        if task.assignee_id is None or task.assignee_id == actor_id:
            return
        key = keys.membership_key(task.workspace_id, task.assignee_id)
        if not isinstance(self._store.get_many([key]).get((key["PK"], key["SK"])), Membership):
            raise InvalidInput(_NOT_A_MEMBER)

    @staticmethod
    def _assignee_is_member(task: Task, actor_id: str) -> Write | None:
        if task.assignee_id is None or task.assignee_id == actor_id:
            # Unassigned, or assigned to the caller, whose membership is checked already.
            return None
        return writes.require_member(task.workspace_id, task.assignee_id, _ANY_ROLE, "assignee")


def _audited(value: Any) -> Any:
    """A field's value as the audit event keeps it (labels as a list, like the representation)."""
    return list(value) if isinstance(value, tuple) else value


def _moved_priority_entry(current: Task, updated: Task) -> Write | None:
    """The old priority entry, when the new one is filed elsewhere."""
    moved = (current.priority, current.due_date) != (updated.priority, updated.due_date)
    return writes.delete_task_priority_entry(current) if moved else None


def _label_writes(current: Task | None, updated: Task | None) -> list[Write]:
    """A change of a task's labels: each added label must exist (it is checked in the same
    transaction) and gets the task's entry; each removed one loses it. Labels kept are not
    checked again: one deleted meanwhile leaves the task in the background."""
    before = set(current.labels) if current else set()
    after = set(updated.labels) if updated else set()
    workspace_id, task_id = next((t.workspace_id, t.id) for t in (updated, current) if t)
    parts: list[Write] = []
    for label_id in sorted(after - before):
        parts += [
            writes.require_label(workspace_id, label_id),
            writes.put_labelled(workspace_id, label_id, task_id),
        ]
    parts += [
        writes.delete_labelled(workspace_id, label_id, task_id)
        for label_id in sorted(before - after)
    ]
    return parts


def criteria(
    *,
    statuses: frozenset[str] | None = None,
    priorities: frozenset[str] | None = None,
    assignee_id: str | None = None,
    label_id: str | None = None,
    query: str | None = None,
    sort: str | None = None,
) -> TaskCriteria:
    """A list's criteria from its parameters; `query` is q, searched by word starts."""
    return TaskCriteria(
        statuses=statuses,
        priorities=priorities,
        assignee_id=assignee_id,
        label_id=label_id,
        needles=tuple(text_index.needles(query)) if query else (),
        sort=sort or DEFAULT_SORT,
    )
