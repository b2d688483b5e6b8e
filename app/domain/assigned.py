"""The caller's own tasks across workspaces (GET /me/tasks), in due order.

The AssignedByDue index holds every task assigned to a user, whatever became of the workspace:
a task keeps its assignee when the member leaves, and a deleted workspace's items stay until
they are removed in the background. So each page checks, strongly consistently, that the
caller is a member of each task's workspace now and that the workspace is live, and leaves out
the tasks that fail.

A page costs at most three calls. A status set is read from one partition of the index where it
can be (no set or all three statuses: the task items; one status: its due entries; `todo` and
`in_progress`, the open work: the priority entries), from two merged otherwise; the Query (or
two) reads up to SKIP_ALLOWANCE tasks more than the page needs, then at most two BatchGetItem
(one when two partitions were read) check memberships and workspaces, 50 workspaces each. So
a page is full unless it is the last or more than that many of the caller's tasks in its
stretch of the list had to be left out (or they spread over more than 100 workspaces, 50 when
two partitions were read); a short page still has a cursor (docs/api.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.storage import keys
from app.storage.records import TASK_ATTRIBUTES, Membership, Task, Workspace
from app.storage.table import Page, Store

SKIP_ALLOWANCE = 100
_WORKSPACES_PER_READ = 50
_CALLS = 3
_STATUSES = ("todo", "in_progress", "done")


def partitions(actor_id: str, statuses: frozenset[str] | None) -> list[str]:
    """The AssignedByDue partitions that hold the caller's tasks with these statuses."""
    if statuses is None or statuses >= set(_STATUSES):
        return [keys.assigned_key(actor_id)]
    if statuses == keys.OPEN_STATUSES:
        return [keys.assigned_key(actor_id, keys.OPEN)]
    return [keys.assigned_key(actor_id, status) for status in _STATUSES if status in statuses]


def page(
    store: Store,
    actor_id: str,
    *,
    statuses: frozenset[str] | None,
    limit: int,
    after: str | None,
) -> Page:
    """`after` is the DueKey of the last task the previous page considered."""
    wanted = limit + SKIP_ALLOWANCE
    reads = [
        store.query(
            partition=("AssignedKey", partition),
            index=keys.ASSIGNED_BY_DUE,
            sort_between=(after, keys.AFTER_EVERY_ID) if after else None,
            sort_key="DueKey",
            # The range starts with the position itself: one more, for that task.
            limit=wanted + (1 if after else 0),
            only=TASK_ATTRIBUTES,
        )
        for partition in partitions(actor_id, statuses)
    ]
    # Merged, the tasks are in order only up to where the shortest-read partition stopped.
    ends = [_due_key(read.records[-1]) for read in reads if read.next_key and read.records]
    boundary = min(ends) if ends else None
    tasks = sorted(
        (
            t
            for read in reads
            for t in read.records
            if isinstance(t, Task)
            and _due_key(t) != after
            and (boundary is None or _due_key(t) <= boundary)
        ),
        key=_due_key,
    )
    if not tasks:
        return Page([], {"DueKey": boundary} if boundary else None)
    membership = _Membership(store, actor_id, tasks, reads=_CALLS - len(reads))
    items: list[Task] = []
    last_seen = -1
    for position, task in enumerate(tasks):
        visible = membership.visible(task.workspace_id)
        if visible is None:
            break  # its workspace is past what this page may read
        last_seen = position
        if visible:
            items.append(task)
            if len(items) == limit:
                break
    more = last_seen < len(tasks) - 1 or boundary is not None
    if not more:
        return Page(items, None)
    # The first task always gets its workspace read, so last_seen is a real position here.
    return Page(items, {"DueKey": _due_key(tasks[last_seen])})


def _due_key(task: Task) -> str:
    return keys.due_order(task.due_date, task.id)


class _Membership:
    """Whether the caller is a member of a live workspace, read in batches in list order."""

    def __init__(self, store: Store, actor_id: str, tasks: Iterable[Task], *, reads: int):
        self._store = store
        self._actor_id = actor_id
        self._order = list(dict.fromkeys(t.workspace_id for t in tasks))
        self._known: dict[str, bool] = {}
        self._reads = 0
        self._budget = reads

    def visible(self, workspace_id: str) -> bool | None:
        """True or False; None when finding out would take a read beyond the page's budget."""
        if workspace_id not in self._known:
            if self._reads == self._budget:
                return None
            self._read_from(workspace_id)
        return self._known[workspace_id]

    def _read_from(self, workspace_id: str) -> None:
        start = self._order.index(workspace_id)
        batch = self._order[start : start + _WORKSPACES_PER_READ]
        wanted = []
        for wid in batch:
            wanted += [keys.membership_key(wid, self._actor_id), keys.workspace_key(wid)]
        found = self._store.get_many(wanted)
        self._reads += 1
        for wid in batch:
            member_key = keys.membership_key(wid, self._actor_id)
            workspace_key = keys.workspace_key(wid)
            membership = found.get((member_key["PK"], member_key["SK"]))
            workspace = found.get((workspace_key["PK"], workspace_key["SK"]))
            self._known[wid] = (
                isinstance(membership, Membership)
                and isinstance(workspace, Workspace)
                and not workspace.deleted
            )
