"""The caller's own tasks across workspaces (GET /me/tasks), in due order.

The AssignedByDue index holds every task assigned to a user, whatever became of the workspace:
a task keeps its assignee when the member leaves, and a deleted workspace's items stay until
they are removed in the background. So each page checks, strongly consistently, that the
caller is a member of each task's workspace now and that the workspace is live, and leaves out
the tasks that fail.

A page costs at most three calls: one Query of the index and at most two BatchGetItem of
memberships and workspaces (100 keys each: 50 workspaces). The Query reads up to
SKIP_ALLOWANCE tasks more than the page needs, so a page is full unless it is the last or more
than that many of the caller's tasks in its stretch of the list had to be left out (or they
spread over more than 100 workspaces); a short page still has a cursor (docs/api.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.storage import keys
from app.storage.records import TASK_ATTRIBUTES, Membership, Task, Workspace
from app.storage.table import Page, Store

SKIP_ALLOWANCE = 100
_WORKSPACES_PER_READ = 50
_READS = 2


def page(
    store: Store, actor_id: str, *, status: str | None, limit: int, start_key: dict | None
) -> Page:
    found = store.query(
        partition=("AssignedKey", keys.assigned_key(actor_id, status)),
        index=keys.ASSIGNED_BY_DUE,
        limit=limit + SKIP_ALLOWANCE,
        start_key=start_key,
        only=TASK_ATTRIBUTES,
    )
    tasks = [t for t in found.records if isinstance(t, Task)]
    if not tasks:
        return Page([], found.next_key)
    membership = _Membership(store, actor_id, tasks)
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
    more = last_seen < len(tasks) - 1 or found.next_key is not None
    if not more:
        return Page(items, None)
    # The first task always gets its workspace read, so last_seen is a real position here.
    last = tasks[last_seen]
    position = keys.assigned_position(actor_id, status, last.workspace_id, last.id, last.due_date)
    return Page(items, position)


class _Membership:
    """Whether the caller is a member of a live workspace, read in batches in list order."""

    def __init__(self, store: Store, actor_id: str, tasks: Iterable[Task]):
        self._store = store
        self._actor_id = actor_id
        self._order = list(dict.fromkeys(t.workspace_id for t in tasks))
        self._known: dict[str, bool] = {}
        self._reads = 0

    def visible(self, workspace_id: str) -> bool | None:
        """True or False; None when finding out would take a read beyond the page's budget."""
        if workspace_id not in self._known:
            if self._reads == _READS:
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
