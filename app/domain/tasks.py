"""Tasks: create, list (newest first or in due order, filtered through an index), read, update,
delete; and the caller's own tasks across workspaces (app/domain/assigned.py).

Each task is two items written together: the task, and its due entry, a copy filed in due
order (docs/data-model.md)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from app.domain import assigned
from app.domain.access import authorize, check_version, explain_rejected_access, load
from app.domain.audit import AuditRecorder, changes_between
from app.domain.clock import new_id, rfc3339, utc_now
from app.domain.commits import against_any_version, commit_in_order
from app.domain.errors import InvalidInput, LostRace, NotFound
from app.domain.limits import Limits
from app.domain.roles import Action, Role, allowed_roles
from app.storage import keys, writes
from app.storage.records import TASK_ATTRIBUTES, Membership, Task
from app.storage.table import Page, Store, WriteRejected
from app.storage.writes import Caller, Write

TASK_NOT_FOUND = "Task not found"
EDITABLE_FIELDS = ("title", "description", "status", "due_date", "assignee_id")
_NOT_A_MEMBER = {"assignee_id": ["Must be the user_id of a member of this workspace"]}
_ANY_ROLE = frozenset(Role)
# A list's sort: the SK prefix that gives it, and whether the read runs backwards.
SORTS = {"-created_at": (keys.TASK_PREFIX, True), "due_date": (keys.DUE_PREFIX, False)}
DEFAULT_SORT = "-created_at"


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
        )
        created = {
            name: [None, getattr(task, name)]
            for name in EDITABLE_FIELDS
            if getattr(task, name) not in (None, "")
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
        *,
        status: str | None,
        assignee_id: str | None,
        sort: str | None = None,
        limit: int,
        start_key: dict | None,
    ) -> Page:
        """Every filter and both sorts read one index partition: the task items (SK TASK#,
        newest first) or their due entries (SK DUE#, in due order)."""
        load(self._store, workspace_id, actor_id)
        sort_prefix, newest_first = SORTS[sort or DEFAULT_SORT]
        if status and assignee_id:
            partition = (
                "AssigneeStatusKey",
                keys.assignee_status_key(workspace_id, assignee_id, status),
            )
            index: str | None = keys.BY_ASSIGNEE_STATUS
        elif status:
            partition, index = ("StatusKey", keys.status_key(workspace_id, status)), keys.BY_STATUS
        elif assignee_id:
            partition = ("AssigneeKey", keys.assignee_key(workspace_id, assignee_id))
            index = keys.BY_ASSIGNEE
        else:
            partition, index = ("PK", keys.workspace_pk(workspace_id)), None
        return self._store.query(
            partition=partition,
            index=index,
            sort_prefix=sort_prefix,
            limit=limit,
            start_key=start_key,
            newest_first=newest_first,
            only=TASK_ATTRIBUTES,
        )

    def assigned_to(
        self, actor_id: str, *, status: str | None, limit: int, start_key: dict | None
    ) -> Page:
        """The caller's tasks in the workspaces they are a member of now, in due order."""
        return assigned.page(self._store, actor_id, status=status, limit=limit, start_key=start_key)

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
        return against_any_version(
            if_match,
            lambda: self._update_once(actor_id, workspace_id, task_id, changes, if_match),
            "task",
        )

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
        updated = dataclasses.replace(
            current,
            **{name: value for name, value in changes.items() if name in EDITABLE_FIELDS},
            version=current.version + 1,
            updated_at=rfc3339(now),
        )
        diff = changes_between(current, updated, EDITABLE_FIELDS)
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
            task_writes=[
                self._assignee_is_member(updated, actor_id),
                writes.replace_task(updated, expected_version=current.version),
                writes.delete_task_due_entry(current) if "due_date" in diff else None,
                writes.put_task_due_entry(updated),
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
                ],
            )

        against_any_version(if_match, attempt, "task")

    def _editable(self, actor_id: str, workspace_id: str, task_id: str) -> Task:
        """The task, read with the caller's membership; the caller may edit tasks."""
        key = keys.task_key(workspace_id, task_id)
        access = load(self._store, workspace_id, actor_id, key)
        authorize(access, Action.EDIT_TASKS)
        current = access.get(key)
        if not isinstance(current, Task):
            raise NotFound(TASK_NOT_FOUND)
        return current

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
    ) -> None:
        """One transaction: the caller may edit tasks, the workspace is live (within its task
        limit, its log in commit order), the task's own writes, and the audit event. A
        cancelled one is explained in the caller's terms."""

        def change(event_id: str) -> list[Write | None]:
            return [
                writes.advance_workspace(
                    workspace_id,
                    event_id=event_id,
                    tasks=tasks,
                    task_limit=self._limits.tasks_per_workspace,
                ),
                *task_writes,
                self._audit.event(
                    event_id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor_id,
                    action=action,
                    target=("task", task_id),
                    label=label,
                    changes=changes,
                    at=now,
                ),
            ]

        caller = Caller(workspace_id, actor_id, allowed_roles(Action.EDIT_TASKS))
        try:
            commit_in_order(self._store, change, caller=caller)
        except WriteRejected as rejected:
            explain_rejected_access(rejected.failures)
            self._limits.refuse_if_reached(rejected.failures, tasks=tasks)
            if "assignee" in rejected.failures:
                raise InvalidInput(_NOT_A_MEMBER) from rejected
            if rejected.failures.get("task") is None:
                raise NotFound(TASK_NOT_FOUND) from rejected
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
