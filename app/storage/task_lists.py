"""Reading a page of a workspace's tasks under any combination of filters and sorts
(docs/data-model.md, "Filters, search and their cost").

Two ways, the cheaper one for the request:

- **From the sorted copies.** Each of a task's three items (the task, its due entry, its
  priority entry) lies in the workspace's partition and in the partitions of its status, its
  assignee, and both; within each partition its SK sorts it in one of the three orders. The
  status set and the assignee choose the partitions (one per status), the sort and the
  priority set choose SK ranges (one per priority under `due_date`, one per run of adjacent
  priorities under `-priority`); each partition and range is one sorted stream, and the page
  is those streams merged. What no partition or range can say (a label, the words of `q`, a
  priority set under `-created_at`) is a FilterExpression on each stream's reads, which
  DynamoDB applies after reading: each stream is read on, in reads sized by the filter's
  rate so far, until it has enough.
- **From the entries of a label or a word**, when there are few: a label's entries and a
  word's entries (`LABELLED#<label>#<task>`, `WORD#<term>#<task>`) name the tasks that have
  it. When at most ENTRY_LIMIT entries answer, those tasks are read whole (BatchGetItem),
  checked against every criterion in memory, and sorted; a selective label or word so costs a
  few calls whatever the workspace's size, where a filtered stream would read all of it.

Both give the same page and the same position (the sort's key of the last task: its SK in
that order), so a cursor from one is good for the other.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.storage import keys, text_index
from app.storage.records import TASK_ATTRIBUTES, Task
from app.storage.table import Filter, Page, Store

CREATED = "-created_at"
DUE = "due_date"
PRIORITY = "-priority"
SORTS = (CREATED, DUE, PRIORITY)
STATUSES = ("todo", "in_progress", "done")

# A label or a word with at most this many entries is read from its entries (docs/data-model.md
# has the measurements behind the figure).
ENTRY_LIMIT = 100
# A filtered stream reads what the filter's rate so far says the rest of a page needs, with
# this margin; while it has let nothing through, this many times more at each step; never
# more than DynamoDB returns in one read of tasks anyway (1 MB: about 900 tasks of 1 KB).
_MARGIN = 1.25
_GROWTH = 4
_MOST_READ = 1000
# The end of every SK range: sorts after all that the ranges hold (digits, dates, ids, '#').
_END = keys.AFTER_EVERY_ID


@dataclass(frozen=True)
class TaskCriteria:
    """What a list asks for. A set of None means any; `needles` are q's words as the title's
    search_text must contain them (app/storage/text_index.py)."""

    statuses: frozenset[str] | None = None
    priorities: frozenset[str] | None = None
    assignee_id: str | None = None
    label_id: str | None = None
    needles: tuple[str, ...] = ()
    sort: str = CREATED

    def matches(self, task: Task) -> bool:
        return (
            (self.statuses is None or task.status in self.statuses)
            and (self.priorities is None or task.priority in self.priorities)
            and (self.assignee_id is None or task.assignee_id == self.assignee_id)
            and (self.label_id is None or self.label_id in task.labels)
            and text_index.matches(text_index.search_text(task.title), list(self.needles))
        )


def order_key(task: Task, sort: str) -> str:
    """Where a task stands in a sort: the SK of its item in that order."""
    if sort == CREATED:
        return keys.TASK_PREFIX + task.id
    if sort == DUE:
        return keys.DUE_PREFIX + keys.due_order(task.due_date, task.id)
    return keys.PRIORITY_PREFIX + keys.priority_order(task.priority, task.due_date, task.id)


def page(
    store: Store,
    workspace_id: str,
    criteria: TaskCriteria,
    *,
    limit: int,
    after: str | None,
) -> Page:
    """One page of the tasks that meet `criteria`, after the position `after` (an order key),
    and the position of its last task when more may follow."""
    found = _from_entries(store, workspace_id, criteria, limit=limit, after=after)
    if found is not None:
        return found
    return _from_streams(store, workspace_id, criteria, limit=limit, after=after)


# -- from the entries of a label or a word -----------------------------------------------------


def _from_entries(
    store: Store, workspace_id: str, criteria: TaskCriteria, *, limit: int, after: str | None
) -> Page | None:
    """The page, if a label or a word of the criteria has at most ENTRY_LIMIT entries."""
    task_ids = _few_tasks(store, workspace_id, criteria)
    if task_ids is None:
        return None
    wanted = [keys.task_key(workspace_id, task_id) for task_id in task_ids]
    tasks = [t for t in store.get_many(wanted, only=TASK_ATTRIBUTES).values()]
    descending = criteria.sort == CREATED
    ordered = sorted(
        (
            (order_key(task, criteria.sort), task)
            for task in tasks
            if isinstance(task, Task) and criteria.matches(task)
        ),
        key=lambda pair: pair[0],
        reverse=descending,
    )
    if after is not None:
        ordered = [(k, t) for k, t in ordered if (k < after if descending else k > after)]
    chosen = ordered[:limit]
    more = len(ordered) > limit
    return Page(
        records=[task for _, task in chosen],
        next_key={"SK": chosen[-1][0]} if more else None,
        scanned=len(task_ids),
    )


def _few_tasks(store: Store, workspace_id: str, criteria: TaskCriteria) -> list[str] | None:
    """The ids of the tasks that some label or word of the criteria names, if one of them has
    at most ENTRY_LIMIT entries (each is asked for one more, to know)."""
    prefixes = []
    if criteria.label_id is not None:
        prefixes.append(keys.labelled_prefix(criteria.label_id))
    if criteria.needles:
        longest = max((text_index.lookup_term(n) for n in criteria.needles), key=len)
        prefixes.append(keys.word_prefix(longest))
    partition = ("PK", keys.workspace_pk(workspace_id))
    for prefix in prefixes:
        entries = store.sort_keys(partition=partition, sort_prefix=prefix, limit=ENTRY_LIMIT + 1)
        if entries.complete and len(entries.values) <= ENTRY_LIMIT:
            return list(dict.fromkeys(keys.task_id_of_entry(sk) for sk in entries.values))
    return None


# -- from the sorted copies --------------------------------------------------------------------


@dataclass(frozen=True)
class _Stream:
    """One partition (of the table or an index) and one SK range of it, in the list's order.
    `prefix` is what the range's SKs begin with in place of the order's own prefix (a
    priority's range under due order: `PRI#<rank>#` for `DUE#`)."""

    partition: tuple[str, str]
    index: str | None
    low: str
    high: str
    descending: bool
    order_prefix: str
    prefix: str

    def bounds_after(self, after: str | None) -> tuple[str, str] | None:
        """The SK range left after the position `after`; None if nothing is."""
        if after is None:
            return self.low, self.high
        start = self.prefix + after[len(self.order_prefix) :]
        if self.descending:
            return (self.low, min(self.high, start)) if start >= self.low else None
        return (max(self.low, start), self.high) if start <= self.high else None


def _streams(workspace_id: str, criteria: TaskCriteria) -> list[_Stream]:
    descending = criteria.sort == CREATED
    order_prefix = {
        CREATED: keys.TASK_PREFIX,
        DUE: keys.DUE_PREFIX,
        PRIORITY: keys.PRIORITY_PREFIX,
    }[criteria.sort]
    return [
        _Stream(partition, index, low, high, descending, order_prefix, prefix)
        for partition, index in _partitions(workspace_id, criteria)
        for low, high, prefix in _ranges(criteria, order_prefix)
    ]


def _partitions(
    workspace_id: str, criteria: TaskCriteria
) -> list[tuple[tuple[str, str], str | None]]:
    statuses = criteria.statuses
    assignee = criteria.assignee_id
    if statuses is None or statuses >= set(STATUSES):
        if assignee is None:
            return [(("PK", keys.workspace_pk(workspace_id)), None)]
        return [(("AssigneeKey", keys.assignee_key(workspace_id, assignee)), keys.BY_ASSIGNEE)]
    if assignee is None:
        return [
            (("StatusKey", keys.status_key(workspace_id, status)), keys.BY_STATUS)
            for status in STATUSES
            if status in statuses
        ]
    return [
        (
            ("AssigneeStatusKey", keys.assignee_status_key(workspace_id, assignee, status)),
            keys.BY_ASSIGNEE_STATUS,
        )
        for status in STATUSES
        if status in statuses
    ]


def _ranges(criteria: TaskCriteria, order_prefix: str) -> list[tuple[str, str, str]]:
    """(low, high, prefix) of each SK range the order and the priority set read."""
    chosen = _priority_ranks(criteria.priorities)
    if criteria.sort == CREATED or chosen is None:
        return [(order_prefix, order_prefix + _END, order_prefix)]
    if criteria.sort == DUE:
        # A priority's tasks in due order: its range of the priority entries.
        return [
            (
                f"{keys.PRIORITY_PREFIX}{rank}#",
                f"{keys.PRIORITY_PREFIX}{rank}#{_END}",
                f"{keys.PRIORITY_PREFIX}{rank}#",
            )
            for rank in chosen
        ]
    # Highest first, then due order: adjacent priorities are one range.
    runs: list[list[int]] = []
    for rank in chosen:
        if runs and runs[-1][-1] == rank - 1:
            runs[-1].append(rank)
        else:
            runs.append([rank])
    prefix = keys.PRIORITY_PREFIX
    return [(f"{prefix}{run[0]}#", f"{prefix}{run[-1]}#{_END}", prefix) for run in runs]


def _priority_ranks(priorities: frozenset[str] | None) -> list[int] | None:
    """The ranks of a priority set, highest first; None when it leaves nothing out."""
    if priorities is None or priorities >= set(keys.PRIORITIES):
        return None
    return [rank for rank, name in enumerate(keys.PRIORITIES) if name in priorities]


def _filter(criteria: TaskCriteria) -> Filter | None:
    """What the streams' partitions and ranges cannot say, as a FilterExpression."""
    parts: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if criteria.sort == CREATED and _priority_ranks(criteria.priorities) is not None:
        chosen = sorted(criteria.priorities or ())
        names["#priority"] = "priority"
        placeholders = []
        for number, priority in enumerate(chosen):
            placeholders.append(f":priority{number}")
            values[f":priority{number}"] = priority
        condition = f"#priority IN ({', '.join(placeholders)})"
        if "none" in chosen:
            # Tasks the priorities migration has not reached have none.
            condition = f"(attribute_not_exists(#priority) OR {condition})"
        parts.append(condition)
    if criteria.label_id is not None:
        names["#labels"] = "labels"
        values[":label"] = criteria.label_id
        parts.append("contains(#labels, :label)")
    if criteria.needles:
        names["#search_text"] = "search_text"
        for number, needle in enumerate(criteria.needles):
            values[f":needle{number}"] = needle
            parts.append(f"contains(#search_text, :needle{number})")
    if not parts:
        return None
    return Filter(" AND ".join(parts), names, values)


@dataclass
class _Reader:
    """A stream read lazily: a first read of what one page needs, then, while a filter keeps
    it short, reads sized by what the filter has let through so far (the rest of a page at
    that rate, and a quarter more), or four times the last while it has let nothing through."""

    store: Store
    stream: _Stream
    sort: str
    after: str | None
    where: Filter | None
    page: int
    buffered: list[Task] = field(default_factory=list)
    next_key: dict[str, Any] | None = None
    bounds: tuple[str, str] | None = None
    started: bool = False
    scanned: int = 0
    matched: int = 0
    last_read: int = 0

    def head(self) -> Task | None:
        while not self.buffered and self._more():
            self._read()
        return self.buffered[0] if self.buffered else None

    def pop(self) -> Task:
        return self.buffered.pop(0)

    def exhausted(self) -> bool:
        return not self.buffered and not self._more()

    def _more(self) -> bool:
        return not self.started or self.next_key is not None

    def _read(self) -> None:
        if not self.started:
            self.started = True
            self.bounds = self.stream.bounds_after(self.after)
            if self.bounds is None:
                return
            # The range includes the position itself: one more, for the task already shown.
            limit = self.page + (1 if self.after is not None else 0)
        else:
            limit = self._next_read()
        self.last_read = limit
        found = self.store.query(
            partition=self.stream.partition,
            index=self.stream.index,
            sort_between=self.bounds,
            limit=limit,
            start_key=self.next_key,
            newest_first=self.stream.descending,
            only=TASK_ATTRIBUTES,
            where=self.where,
        )
        self.scanned += found.scanned
        self.matched += len(found.records)
        self.next_key = found.next_key
        after = self.after
        for task in found.records:
            if not isinstance(task, Task):
                continue
            if after is not None and order_key(task, self.sort) == after:
                continue
            self.buffered.append(task)

    def _next_read(self) -> int:
        if self.matched == 0 or self.scanned == 0:
            return min(self.last_read * _GROWTH, _MOST_READ)
        wanted = max(1, self.page - self.matched)
        at_this_rate = math.ceil(wanted * self.scanned / self.matched * _MARGIN)
        return max(self.page, min(at_this_rate, _MOST_READ))


def _from_streams(
    store: Store, workspace_id: str, criteria: TaskCriteria, *, limit: int, after: str | None
) -> Page:
    where = _filter(criteria)
    readers = [
        _Reader(store, stream, criteria.sort, after, where, page=limit)
        for stream in _streams(workspace_id, criteria)
    ]
    chosen = list(_merged(readers, criteria.sort, limit))
    more = len(chosen) == limit and not all(reader.exhausted() for reader in readers)
    return Page(
        records=chosen,
        next_key={"SK": order_key(chosen[-1], criteria.sort)} if more else None,
        scanned=sum(reader.scanned for reader in readers),
    )


def _merged(readers: list[_Reader], sort: str, limit: int) -> Iterator[Task]:
    """The streams' tasks in the list's order, up to `limit`."""
    if len(readers) == 1:
        (reader,) = readers
        for _ in range(limit):
            if reader.head() is None:
                return
            yield reader.pop()
        return
    descending = sort == CREATED
    heap: list[tuple[Any, int]] = []

    def push(number: int) -> None:
        task = readers[number].head()
        if task is not None:
            key = order_key(task, sort)
            heapq.heappush(heap, (_Descending(key) if descending else key, number))

    for number in range(len(readers)):
        push(number)
    for _ in range(limit):
        if not heap:
            return
        _, number = heapq.heappop(heap)
        yield readers[number].pop()
        push(number)


@dataclass(frozen=True, order=False)
class _Descending:
    """A string that sorts backwards (for the newest-first merge on a min-heap)."""

    key: str

    def __lt__(self, other: _Descending) -> bool:
        return self.key > other.key
