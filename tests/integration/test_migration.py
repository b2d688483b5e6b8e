"""Migration 001 against the emulator: a table as the previous version left it (no AssignedByDue
index, no due entries, no DueKey or AssignedKey, audit events without labels) becomes what this
version writes, item for item; the run is resumable and idempotent, and leaves alone what the
service changes meanwhile.

The "before" table is made by writing through this version's API and then taking away exactly
what the previous version did not write: so the labels this version wrote are the truth the
migration's inferred labels must match."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from app.storage import keys
from app.storage.records import DUE_ENTRY_TYPE, serialize
from devstack.templates import ROOT
from migrations import m001_due_order_and_labels as m001
from migrations import scan_pass
from tests.support.http import ApiClient

STATUSES = ("todo", "in_progress", "done")


def scan_all(stack) -> list[dict[str, Any]]:
    items, start = [], None
    while True:
        arguments = {"TableName": stack.table, "ConsistentRead": True}
        if start:
            arguments["ExclusiveStartKey"] = start
        page = stack.dynamodb.scan(**arguments)
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def as_before_this_version(stack) -> None:
    """Take away what the previous version did not write."""
    dynamodb, table = stack.dynamodb, stack.table
    dynamodb.update_table(
        TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "AssignedByDue"}}]
    )
    for item in scan_all(stack):
        key = {"PK": item["PK"], "SK": item["SK"]}
        kind = item.get("type", {}).get("S")
        if kind == DUE_ENTRY_TYPE:
            dynamodb.delete_item(TableName=table, Key=key)
        elif kind == "task":
            dynamodb.update_item(
                TableName=table, Key=key, UpdateExpression="REMOVE DueKey, AssignedKey"
            )
        elif kind == "audit" and item["target_type"]["S"] in OLD_TARGET_TYPES:
            dynamodb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE target_label")


# The targets of the events the previous version wrote (invitations and comments came later,
# with their labels).
OLD_TARGET_TYPES = ("workspace", "member", "task")


def labels(stack, target_types: tuple[str, ...] = OLD_TARGET_TYPES) -> dict[str, str | None]:
    return {
        i["SK"]["S"]: i.get("target_label", {}).get("S")
        for i in scan_all(stack)
        if i["type"]["S"] == "audit" and i["target_type"]["S"] in target_types
    }


def run_migration(
    stack, *arguments: str, module: str = "migrations.m001_due_order_and_labels"
) -> dict[str, int]:
    """As an operator runs it: the module, in its own process, against the table."""
    environment = {**os.environ, **stack.environment, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            module,
            "--table",
            stack.table,
            *arguments,
        ],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def lists(client: ApiClient, workspaces: list[str], member: str) -> dict[str, list]:
    """The lists this version serves from the new items, as the API answers them. (That every
    item is as this version writes it is checked item by item; this checks what users see.)"""
    seen: dict[str, list] = {
        "me": client.all_items("/me/tasks", limit=2),
        "me?todo": client.all_items("/me/tasks?status=todo"),
    }
    for wid in workspaces:
        base = f"/workspaces/{wid}/tasks?sort=due_date"
        for query in (
            "",
            "&status=todo",
            f"&assignee_id={member}",
            f"&assignee_id={member}&status=todo",
        ):
            seen[base + query] = client.all_items(base + query, limit=2)
    return seen


@pytest.fixture(scope="module")
def history(stack):
    """The table before the migration, with the local stream functions held back: the deleted
    workspace's items stay, as they do in AWS until the purge has removed them."""
    with stack.stack.streams.paused():
        yield made_history(stack)


def made_history(stack):
    """Two users, three workspaces (one deleted), renames, role changes, tasks created,
    renamed, moved and deleted, a member added and removed."""
    owner, colleague = stack.new_user("owner"), stack.new_user("colleague")
    passer = stack.new_user("passer")
    a = ApiClient(stack.api, owner.access_token)
    b = ApiClient(stack.api, colleague.access_token)
    plans = a.create_workspace("Plans")["id"]
    a.patch(f"/workspaces/{plans}", json={"name": "Roadmap"}, headers={"If-Match": '"1"'})
    a.add_member(plans, colleague, "viewer")
    a.patch(f"/workspaces/{plans}/members/{colleague.user_id}", json={"role": "owner"})
    # A role change of the creator: no member.added event names their email.
    b.patch(f"/workspaces/{plans}/members/{owner.user_id}", json={"role": "admin"})
    a.add_member(plans, passer, "member")
    a.delete(f"/workspaces/{plans}/members/{passer.user_id}")
    me, them = owner.user_id, colleague.user_id
    spec = a.create_task(plans, title="Draft", due_date="2026-12-01", assignee_id=me)
    a.patch(
        f"/workspaces/{plans}/tasks/{spec['id']}",
        json={"title": "Spec"},
        headers={"If-Match": '"1"'},
    )
    a.patch(
        f"/workspaces/{plans}/tasks/{spec['id']}",
        json={"status": "in_progress", "due_date": "2026-11-30"},
        headers={"If-Match": '"2"'},
    )
    a.create_task(plans, title="Theirs", status="done", assignee_id=them, due_date="2026-12-01")
    a.create_task(plans, title="Someday")
    a.create_task(plans, title="Mine, undated", assignee_id=me)
    temp = a.create_task(plans, title="Temp", assignee_id=me)
    a.patch(
        f"/workspaces/{plans}/tasks/{temp['id']}",
        json={"title": "Temp 2"},
        headers={"If-Match": '"1"'},
    )
    a.delete(f"/workspaces/{plans}/tasks/{temp['id']}", headers={"If-Match": '"2"'})
    # A status change before a rename, whose creation has since expired (TTL): only the
    # rename's old value names the task at the status change.
    early = a.create_task(plans, title="One")
    a.patch(
        f"/workspaces/{plans}/tasks/{early['id']}",
        json={"status": "done"},
        headers={"If-Match": '"1"'},
    )
    a.patch(
        f"/workspaces/{plans}/tasks/{early['id']}",
        json={"title": "Two"},
        headers={"If-Match": '"2"'},
    )
    (created,) = [
        e
        for e in a.all_items(f"/workspaces/{plans}/audit")
        if e["target"]["id"] == early["id"] and e["action"] == "task.created"
    ]
    stack.dynamodb.delete_item(
        TableName=stack.table, Key=serialize(keys.audit_key(plans, created["id"]))
    )
    gone = a.create_workspace("Gone")["id"]
    a.create_task(gone, title="In a deleted workspace", assignee_id=me, due_date="2026-01-01")
    a.patch(f"/workspaces/{gone}", json={"name": "Gone soon"}, headers={"If-Match": '"1"'})
    a.delete(f"/workspaces/{gone}", headers={"If-Match": '"2"'})
    theirs = b.create_workspace("Theirs")["id"]
    b.add_member(theirs, owner, "member")
    b.create_task(theirs, title="Shared", assignee_id=me, due_date="2026-12-01")
    b.create_task(theirs, title="Shared, theirs", assignee_id=them, status="in_progress")
    return {
        "client": a,
        "other": b,
        "workspaces": [plans, theirs],
        "members": [me, them],
    }


def test_the_migration_makes_the_old_table_what_this_version_writes(stack, history, tmp_path):
    a, b = history["client"], history["other"]
    workspaces, members = history["workspaces"], history["members"]
    items_then = scan_all(stack)
    labels_then = labels(stack)
    assert all(labels_then.values())
    lists_then = (lists(a, workspaces, members[0]), lists(b, workspaces, members[1]))
    assert lists_then[0]["me"] and lists_then[1]["me"]

    as_before_this_version(stack)
    assert set(labels(stack).values()) == {None}

    checkpoint = tmp_path / "m001.json"
    first = run_migration(
        stack,
        "--create-index",
        "--checkpoint",
        str(checkpoint),
        "--page-size",
        "5",
        "--max-pages",
        "3",
    )
    assert first["pages"] == 3
    state = json.loads(checkpoint.read_text())
    assert state["complete"] is False and state["start_key"]
    rest = run_migration(stack, "--checkpoint", str(checkpoint), "--page-size", "5")
    assert json.loads(checkpoint.read_text())["complete"] is True
    assert first["tasks_migrated"] + rest["tasks_migrated"] == 8
    assert first["events_unlabellable"] + rest["events_unlabellable"] == 0

    assert scan_all(stack) == items_then
    assert labels(stack) == labels_then
    assert (lists(a, workspaces, members[0]), lists(b, workspaces, members[1])) == lists_then

    # Idempotent: a complete checkpoint does nothing, and a fresh run finds nothing to do.
    done = m001.run(stack.dynamodb, stack.table, checkpoint=checkpoint, progress=lambda _l: None)
    assert done == m001.Counts()
    again = run_migration(stack)
    assert again["tasks_current"] == 8
    assert sum(v for k, v in again.items() if k not in ("pages", "tasks_current")) == 0
    assert scan_all(stack) == items_then


def test_what_the_service_writes_meanwhile_wins(stack, history):
    """A task the service changed since the scan read it is left as the service wrote it; due
    entries an older version of the service left behind (it ran after a first pass) go."""
    a = history["client"]
    plans = history["workspaces"][0]
    store = scan_pass.store_over(stack.dynamodb, stack.table)
    task = a.create_task(plans, title="Raced", due_date="2026-10-01")
    path = f"/workspaces/{plans}/tasks/{task['id']}"
    key = serialize(keys.task_key(plans, task["id"]))
    stack.dynamodb.update_item(TableName=stack.table, Key=key, UpdateExpression="REMOVE DueKey")
    seen_by_scan = stack.dynamodb.get_item(TableName=stack.table, Key=key)["Item"]
    a.patch(path, json={"title": "Raced, then renamed"}, headers={"If-Match": '"1"'})
    assert m001.migrate_task(store, seen_by_scan) == "changed"
    assert a.get(path).json()["title"] == "Raced, then renamed"

    # An older service renames and moves a task (its Put drops DueKey and keeps the old
    # entry), and deletes another (its entry stays).
    moved = a.create_task(plans, title="Moved", due_date="2026-09-01")
    deleted = a.create_task(plans, title="Deleted", due_date="2026-09-02")
    moved_key = serialize(keys.task_key(plans, moved["id"]))
    old_item = stack.dynamodb.get_item(TableName=stack.table, Key=moved_key)["Item"]
    old_item = {k: v for k, v in old_item.items() if k not in ("DueKey", "AssignedKey")}
    stack.dynamodb.put_item(
        TableName=stack.table,
        Item={**old_item, "due_date": {"S": "2026-12-31"}, "version": {"N": "2"}},
    )
    stack.dynamodb.delete_item(
        TableName=stack.table, Key=serialize(keys.task_key(plans, deleted["id"]))
    )
    counts = m001.run(stack.dynamodb, stack.table, progress=lambda _line: None)
    assert counts.orphan_entries_removed == 2
    assert counts.tasks_migrated == 1
    listed = a.all_items(f"/workspaces/{plans}/tasks?sort=due_date")
    titles = [t["title"] for t in listed]
    assert titles.count("Moved") == 1 and "Deleted" not in titles
    assert next(t for t in listed if t["title"] == "Moved")["due_date"] == "2026-12-31"


def test_an_event_whose_target_left_no_name_stays_unlabelled(stack, history):
    a = history["client"]
    plans = history["workspaces"][0]
    lost = a.create_task(plans, title="Lost")
    path = f"/workspaces/{plans}/tasks/{lost['id']}"
    a.patch(path, json={"status": "done"}, headers={"If-Match": '"1"'})
    a.delete(path, headers={"If-Match": '"2"'})
    events = a.all_items(f"/workspaces/{plans}/audit")
    mine = [e for e in events if e["target"]["id"] == lost["id"]]
    created = next(e for e in mine if e["action"] == "task.created")
    # Its creation expired (TTL), and the older version wrote no labels.
    stack.dynamodb.delete_item(
        TableName=stack.table, Key=serialize(keys.audit_key(plans, created["id"]))
    )
    for event in mine:
        if event is created:
            continue
        stack.dynamodb.update_item(
            TableName=stack.table,
            Key=serialize(keys.audit_key(plans, event["id"])),
            UpdateExpression="REMOVE target_label",
        )
    counts = m001.run(stack.dynamodb, stack.table, progress=lambda _line: None)
    assert counts.events_unlabellable == 2
    after = {e["id"]: e["target"]["label"] for e in a.all_items(f"/workspaces/{plans}/audit")}
    assert [after[e["id"]] for e in mine if e["action"] != "task.created"] == [None, None]
