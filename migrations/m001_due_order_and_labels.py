"""Migration 001: give items written before due order and audit labels what they lack.

- every task item gets its `DueKey` (and, when assigned, its `AssignedKey`), and its due entry,
  the copy that the lists in due order read (written together, under the task's version, so a
  task the service changes meanwhile is left to the service);
- a due entry whose task is gone or has another due date (left by an older version of the
  service still running after a first pass) is removed;
- every audit event without `target_label` gets the target's name when it was written,
  inferred from the workspace's own log (each name change is an event: `[old, new]`) or, failing
  that, from the target as it is now; an event that cannot be labelled stays without one.

Idempotent: an item already in the new shape is left alone, so a second run writes nothing.
Resumable: with --checkpoint, the scan position is saved after every page and a later run goes
on from there (migrations/scan_pass.py).

    python -m migrations.m001_due_order_and_labels --table teamtasks-prod-tasks \\
        --checkpoint m001-prod.json [--segments 4 --segment 0] [--page-size 500] [--max-pages N]

The table must already have the AssignedByDue index, ACTIVE: in AWS, deploy the environment
first (CloudFormation adds it). --create-index adds it from addons/environment/table.yml, for a
table that CloudFormation does not manage (the local emulator's, whose CloudFormation ignores
index changes on update).
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from app.storage import keys, writes
from app.storage.records import (
    DUE_ENTRY_TYPE,
    AuditEvent,
    Membership,
    Task,
    Workspace,
    record_from_item,
    serialize,
)
from app.storage.table import Store, WriteRejected
from app.storage.writes import Write
from migrations import scan_pass

# The attribute that names each kind of target, as its events record it in `changes`.
LABEL_FIELD = {"workspace": "name", "member": "email", "task": "title"}
_INDEX_WAIT_S = 900


@dataclass
class Counts:
    pages: int = 0
    tasks_migrated: int = 0
    tasks_current: int = 0
    tasks_changed_meanwhile: int = 0
    orphan_entries_removed: int = 0
    events_labelled: int = 0
    events_unlabellable: int = 0


# -- the index ----------------------------------------------------------------------------------


def index_status(dynamodb: Any, table: str) -> str | None:
    """ACTIVE, CREATING, ... (with backfilling as CREATING), or None if the table lacks it."""
    description = dynamodb.describe_table(TableName=table)["Table"]
    for index in description.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] == keys.ASSIGNED_BY_DUE:
            if index.get("Backfilling"):
                return "CREATING"
            return index.get("IndexStatus", "ACTIVE")
    return None


def create_index(dynamodb: Any, table: str) -> None:
    """Add AssignedByDue as the template declares it: one index, one UpdateTable (DynamoDB
    refuses more in one call)."""
    from devstack import templates  # noqa: PLC0415 -- only this local path reads the template

    template = templates.load(templates.ENVIRONMENT_ADDONS / "table.yml")
    properties = template["Resources"]["TasksTable"]["Properties"]
    (index,) = [
        i for i in properties["GlobalSecondaryIndexes"] if i["IndexName"] == keys.ASSIGNED_BY_DUE
    ]
    names = {k["AttributeName"] for k in index["KeySchema"]}
    dynamodb.update_table(
        TableName=table,
        AttributeDefinitions=[
            d for d in properties["AttributeDefinitions"] if d["AttributeName"] in names
        ],
        GlobalSecondaryIndexUpdates=[{"Create": index}],
    )


def wait_for_index(dynamodb: Any, table: str, timeout_s: float = _INDEX_WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while (status := index_status(dynamodb, table)) != "ACTIVE":
        if status is None:
            raise SystemExit(
                f"{table} has no {keys.ASSIGNED_BY_DUE} index: deploy the environment first "
                "(copilot env deploy), or pass --create-index for a table CloudFormation does "
                "not manage"
            )
        if time.monotonic() > deadline:
            raise SystemExit(f"{keys.ASSIGNED_BY_DUE} is still {status}; run again later")
        time.sleep(5)


# -- tasks and their due entries ----------------------------------------------------------------


def migrate_task(store: Store, item: dict[str, Any]) -> str:
    """'current' if the item is already in the new shape, 'migrated' if it was rewritten now,
    'changed' if the service changed the task meanwhile (and so wrote it in the new shape)."""
    if "DueKey" in item:
        return "current"
    task = record_from_item(item)
    assert isinstance(task, Task)
    try:
        store.transact(
            [
                writes.replace_task(task, expected_version=task.version),
                writes.put_task_due_entry(task),
            ]
        )
    except WriteRejected:
        return "changed"
    return "migrated"


def check_due_entry(store: Store, dynamodb: Any, table: str, item: dict[str, Any]) -> bool:
    """Remove a due entry that its task no longer stands behind (the task is gone, or is due
    on another date); True if it was removed. An entry of the task's own date stays: if its
    content is stale, the task lacks its DueKey and migrate_task rewrites both."""
    entry = record_from_item(item)
    assert isinstance(entry, Task)
    task_key = keys.task_key(entry.workspace_id, entry.id)
    found = dynamodb.get_item(TableName=table, Key=serialize(task_key), ConsistentRead=True)
    task = record_from_item(found["Item"]) if "Item" in found else None
    if isinstance(task, Task) and task.due_date == entry.due_date:
        return False
    # The task as read is the condition: if it changed meanwhile, its writer knew best.
    if task is None:
        condition = {"ConditionExpression": "attribute_not_exists(PK)"}
    else:
        condition = {
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": serialize({":v": task.version}),
        }
    try:
        store.transact(
            [
                Write("task", "ConditionCheck", {"Key": serialize(task_key), **condition}),
                writes.delete_task_due_entry(entry, tag="orphan"),
            ]
        )
    except WriteRejected:
        return False
    return True


# -- audit labels ---------------------------------------------------------------------------------


def infer_labels(events: list[AuditEvent], now: dict[tuple[str, str], str]) -> dict[str, Any]:
    """The label of each event without one: the target's name once the event was written.

    Every change of a name is an event with `[old, new]`, so the name at an event is the new
    value of its own change, else the old value of the next change, else the new value of the
    last change before it, else the target's name now. `now` maps (type, id) to that.
    """
    by_target: dict[tuple[str, str], list[AuditEvent]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.id):
        by_target[(event.target_type, event.target_id)].append(event)
    labels: dict[str, Any] = {}
    for target, history in by_target.items():
        name_field = LABEL_FIELD.get(target[0])
        for position, event in enumerate(history):
            if event.target_label is not None or name_field is None:
                continue
            labels[event.id] = _name_at(history, position, name_field, now.get(target))
    return labels


def _name_at(history: list[AuditEvent], position: int, name_field: str, now: str | None) -> Any:
    own = history[position].changes.get(name_field)
    if own:
        old, new = own
        return new if new is not None else old
    for later in history[position + 1 :]:
        change = later.changes.get(name_field)
        if change:
            old, new = change
            return old if old is not None else new
    for earlier in reversed(history[:position]):
        change = earlier.changes.get(name_field)
        if change:
            old, new = change
            return new if new is not None else old
    return now


def label_workspace(store: Store, dynamodb: Any, table: str, workspace_id: str) -> tuple[int, int]:
    """Label the events of one workspace's log that lack a label: (labelled, unlabellable)."""
    events: list[AuditEvent] = []
    start = None
    while True:
        page = store.query(
            partition=("PK", keys.audit_pk(workspace_id)), limit=1000, start_key=start
        )
        events += [e for e in page.records if isinstance(e, AuditEvent)]
        if page.next_key is None:
            break
        start = page.next_key
    unlabelled = [e for e in events if e.target_label is None]
    if not unlabelled:
        return 0, 0
    labels = infer_labels(events, _names_now(store, workspace_id, unlabelled))
    labelled = missing = 0
    for event in unlabelled:
        label = labels.get(event.id)
        if label is None:
            missing += 1
            continue
        try:
            dynamodb.update_item(
                TableName=table,
                Key=serialize(keys.audit_key(workspace_id, event.id)),
                UpdateExpression="SET target_label = :label",
                # Only ever fills the label in: nothing else of an event changes.
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(target_label)",
                ExpressionAttributeValues=serialize({":label": label}),
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            continue
        labelled += 1
    return labelled, missing


def _names_now(
    store: Store, workspace_id: str, events: list[AuditEvent]
) -> dict[tuple[str, str], str]:
    """The current name of each target still in the table (workspace, membership, task)."""
    wanted: dict[tuple[str, str], keys.Key] = {}
    for event in events:
        target = (event.target_type, event.target_id)
        if event.target_type == "workspace":
            wanted[target] = keys.workspace_key(workspace_id)
        elif event.target_type == "member":
            wanted[target] = keys.membership_key(workspace_id, event.target_id)
        elif event.target_type == "task":
            wanted[target] = keys.task_key(workspace_id, event.target_id)
    found: dict[tuple[str, str], Any] = {}
    targets = list(wanted.items())
    for start in range(0, len(targets), 100):
        chunk = targets[start : start + 100]
        unique = {(k["PK"], k["SK"]): k for _, k in chunk}
        found.update(store.get_many(list(unique.values())))
    names: dict[tuple[str, str], str] = {}
    for target, key in wanted.items():
        record = found.get((key["PK"], key["SK"]))
        if isinstance(record, Workspace):
            names[target] = record.name
        elif isinstance(record, Membership):
            names[target] = record.email
        elif isinstance(record, Task):
            names[target] = record.title
    return names


# -- the pass -------------------------------------------------------------------------------------


def run(dynamodb: Any, table: str, *, progress: Any = print, **scanning: Any) -> Counts:
    """One pass over one scan segment, from the checkpoint on (scan_pass.scan's keywords:
    checkpoint, segment, segments, page_size, max_pages)."""
    migration = _Pass(dynamodb, table)
    return scan_pass.run_pass(
        dynamodb, table, migration.item, migration.counts, progress=progress, **scanning
    )


class _Pass:
    def __init__(self, dynamodb: Any, table: str):
        self._dynamodb = dynamodb
        self._table = table
        self._store = scan_pass.store_over(dynamodb, table)
        self._labelled: set[str] = set()
        self.counts = Counts()

    def item(self, item: dict[str, Any]) -> None:
        kind = item.get("type", {}).get("S")
        if kind == "task":
            outcome = migrate_task(self._store, item)
            if outcome == "migrated":
                self.counts.tasks_migrated += 1
            elif outcome == "current":
                self.counts.tasks_current += 1
            else:
                self.counts.tasks_changed_meanwhile += 1
        elif kind == DUE_ENTRY_TYPE:
            removed = check_due_entry(self._store, self._dynamodb, self._table, item)
            self.counts.orphan_entries_removed += removed
        elif kind == "audit" and "target_label" not in item:
            workspace_id = item["workspace_id"]["S"]
            if workspace_id not in self._labelled:
                self._labelled.add(workspace_id)
                done, missing = label_workspace(
                    self._store, self._dynamodb, self._table, workspace_id
                )
                self.counts.events_labelled += done
                self.counts.events_unlabellable += missing


def main(argv: list[str] | None = None) -> int:
    def configure(parser: Any) -> None:
        parser.add_argument("--create-index", action="store_true")

    def prepare(dynamodb: Any, args: Any) -> None:
        if args.create_index and index_status(dynamodb, args.table) is None:
            create_index(dynamodb, args.table)
        wait_for_index(dynamodb, args.table)

    return scan_pass.main(argv, __doc__, run, configure=configure, prepare=prepare)


if __name__ == "__main__":
    sys.exit(main())
