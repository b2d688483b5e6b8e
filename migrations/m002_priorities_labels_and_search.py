"""Migration 002: give tasks written before priorities, labels and search what they lack.

- every task item gets `priority: none`, `labels: []` and (if it has none yet) `comment_count:
  0`, its title's `search_text` and `search_terms`, the `PriorityKey`, the same on its due
  entry, and its priority entry (the copy the `-priority` sort, the priority sets in due order
  and the caller's open work read), all in one transaction under the task's version and
  comment count, so a task the service changes meanwhile is left to the service; then its
  word entries (`WORD#<term>#<task>`, which the task-index function writes for every task the
  service writes: the migration writes them itself, so that it does not depend on the function
  having run);
- a priority entry or a label entry that its task no longer stands behind (the task is gone,
  has another priority or due date, or no longer that label: an older version of the service
  still running after a first pass changed it, knowing nothing of them) is removed, on
  condition that the task is still as read.

Idempotent: a task already in the new shape is left alone, so a second run writes nothing.
Resumable and segmentable as every migration (migrations/scan_pass.py). No index is added: the
design needs none (docs/data-model.md).

    python -m migrations.m002_priorities_labels_and_search --table teamtasks-prod-tasks \\
        --checkpoint m002-prod.json [--segments 4 --segment 0] [--page-size 500] [--max-pages N]
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from typing import Any

from app.storage import keys, text_index, writes
from app.storage.records import (
    PRIORITY_ENTRY_TYPE,
    Task,
    record_from_item,
    serialize,
    word_item,
)
from app.storage.table import Store, WriteRejected
from app.storage.writes import Write
from migrations import scan_pass

_BATCH_WRITE_LIMIT = 25
_UNPROCESSED_RETRIES = 8


@dataclass
class Counts:
    pages: int = 0
    tasks_migrated: int = 0
    tasks_current: int = 0
    tasks_changed_meanwhile: int = 0
    word_entries_written: int = 0
    stale_entries_removed: int = 0


def is_current(item: dict[str, Any]) -> bool:
    """Written by this version (or migrated already): it has its priority and its terms."""
    return "priority" in item and "search_terms" in item


def migrate_task(store: Store, dynamodb: Any, table: str, item: dict[str, Any]) -> tuple[str, int]:
    """('current' | 'migrated' | 'changed', word entries written). 'changed': the service
    changed the task since the scan read it, and so wrote it in the new shape itself."""
    if is_current(item):
        return "current", 0
    task = record_from_item(item)
    if not isinstance(task, Task):
        raise TypeError(f"not a task: {item['SK']}")
    try:
        store.transact(
            [
                # The whole task anew: its new attributes with what it had, under its version
                # and comment count as read.
                writes.replace_task(task, expected_version=task.version),
                writes.put_task_due_entry(task),
                writes.put_task_priority_entry(task),
            ]
        )
    except WriteRejected:
        return "changed", 0
    terms = text_index.search_terms(task.title)
    put_word_entries(dynamodb, table, task, terms)
    return "migrated", len(terms)


def put_word_entries(dynamodb: Any, table: str, task: Task, terms: list[str]) -> None:
    """The task's word entries, 25 a call (putting one that exists changes nothing)."""
    requests = [
        {"PutRequest": {"Item": serialize(word_item(task.workspace_id, term, task.id))}}
        for term in terms
    ]
    for start in range(0, len(requests), _BATCH_WRITE_LIMIT):
        pending = requests[start : start + _BATCH_WRITE_LIMIT]
        for attempt in range(_UNPROCESSED_RETRIES + 1):
            response = dynamodb.batch_write_item(RequestItems={table: pending})
            pending = (response.get("UnprocessedItems") or {}).get(table, [])
            if not pending:
                break
            if attempt == _UNPROCESSED_RETRIES:
                raise RuntimeError(f"{len(pending)} word entries stayed unprocessed")
            time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))  # noqa: S311 -- jitter


def check_entry(store: Store, dynamodb: Any, table: str, item: dict[str, Any]) -> bool:
    """Remove a priority entry or a label entry that its task no longer stands behind; True if
    it was removed."""
    sort_key = item["SK"]["S"]
    workspace_id = item["PK"]["S"].removeprefix(keys.workspace_pk(""))
    if item.get("type", {}).get("S") == PRIORITY_ENTRY_TYPE:
        entry = record_from_item(item)
        if not isinstance(entry, Task):
            raise TypeError(f"not a task's entry: {sort_key}")
        task_id = entry.id

        def stands_behind(task: Task) -> bool:
            return (task.priority, task.due_date) == (entry.priority, entry.due_date)

    else:
        task_id = keys.task_id_of_entry(sort_key)
        label_id = sort_key.removeprefix(keys.LABELLED_PREFIX).split("#", 1)[0]

        def stands_behind(task: Task) -> bool:
            return label_id in task.labels

    task_key = keys.task_key(workspace_id, task_id)
    found = dynamodb.get_item(TableName=table, Key=serialize(task_key), ConsistentRead=True)
    task = record_from_item(found["Item"]) if "Item" in found else None
    if isinstance(task, Task) and task.priority_entry and stands_behind(task):
        return False
    # The task as read is the condition: if it changed meanwhile, its writer knew best.
    if task is None:
        condition = {"ConditionExpression": "attribute_not_exists(PK)"}
    else:
        condition = {
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": serialize({":v": task.version}),
        }
    entry_key = {"PK": item["PK"], "SK": item["SK"]}
    try:
        store.transact(
            [
                Write("task", "ConditionCheck", {"Key": serialize(task_key), **condition}),
                Write("stale", "Delete", {"Key": entry_key}),
            ]
        )
    except WriteRejected:
        return False
    return True


def run(dynamodb: Any, table: str, *, progress: Any = print, **scanning: Any) -> Counts:
    """One pass over one scan segment, from the checkpoint on (scan_pass.scan's keywords:
    checkpoint, segment, segments, page_size, max_pages)."""
    store = scan_pass.store_over(dynamodb, table)
    counts = Counts()

    def item(found: dict[str, Any]) -> None:
        kind = found.get("type", {}).get("S")
        if kind == "task":
            outcome, written = migrate_task(store, dynamodb, table, found)
            counts.word_entries_written += written
            if outcome == "migrated":
                counts.tasks_migrated += 1
            elif outcome == "current":
                counts.tasks_current += 1
            else:
                counts.tasks_changed_meanwhile += 1
        elif kind in (PRIORITY_ENTRY_TYPE, "labelled"):
            counts.stale_entries_removed += check_entry(store, dynamodb, table, found)

    return scan_pass.run_pass(dynamodb, table, item, counts, progress=progress, **scanning)


def main(argv: list[str] | None = None) -> int:
    return scan_pass.main(argv, __doc__, run)


if __name__ == "__main__":
    sys.exit(main())
