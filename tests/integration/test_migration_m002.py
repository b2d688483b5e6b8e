"""Migration 002 against the emulator: a table as the previous version left it (tasks without
priority, labels, search text and terms, some without a comment count; no priority entries, no
word entries) becomes what this version writes, item for item; the run is resumable and
idempotent, leaves alone what the service changes meanwhile, and removes the priority and label
entries an older service left behind.

The "before" table is made by writing through this version's API and then taking away exactly
what the previous version did not write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.storage import keys, text_index
from app.storage.records import DUE_ENTRY_TYPE, PRIORITY_ENTRY_TYPE, serialize
from migrations import m002_priorities_labels_and_search as m002
from migrations import scan_pass
from tests.integration.test_migration import run_migration, scan_all
from tests.support.http import ApiClient

NEW_ATTRIBUTES = ("priority", "labels", "search_text", "search_terms", "PriorityKey")
MODULE = "migrations.m002_priorities_labels_and_search"


def without_word_entries(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if not i["SK"]["S"].startswith(keys.WORD_PREFIX)]


def as_before_this_version(stack, *, uncounted: set[str]) -> None:
    """Take away what the previous version did not write; the tasks in `uncounted` lose their
    comment count too (written before comments)."""
    dynamodb, table = stack.dynamodb, stack.table
    for item in scan_all(stack):
        key = {"PK": item["PK"], "SK": item["SK"]}
        kind = item.get("type", {}).get("S")
        if kind in (PRIORITY_ENTRY_TYPE, "word"):
            dynamodb.delete_item(TableName=table, Key=key)
        elif kind in ("task", DUE_ENTRY_TYPE):
            removed = [n for n in NEW_ATTRIBUTES if n in item]
            if item["id"]["S"] in uncounted:
                removed.append("comment_count")
            dynamodb.update_item(
                TableName=table, Key=key, UpdateExpression="REMOVE " + ", ".join(removed)
            )


def word_entries(stack) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for item in scan_all(stack):
        sort_key = item["SK"]["S"]
        if sort_key.startswith(keys.WORD_PREFIX):
            term, task_id = sort_key.removeprefix(keys.WORD_PREFIX).rsplit("#", 1)
            found.setdefault(task_id, set()).add(term)
    return found


def lists(client: ApiClient, workspace: str) -> dict[str, list]:
    return {
        "open": [t["title"] for t in client.all_items("/me/tasks?status=todo,in_progress")],
        "priority": [
            t["title"] for t in client.all_items(f"/workspaces/{workspace}/tasks?sort=-priority")
        ],
        "search": [t["title"] for t in client.all_items(f"/workspaces/{workspace}/tasks?q=weekly")],
        "none": [
            t["title"] for t in client.all_items(f"/workspaces/{workspace}/tasks?priority=none")
        ],
    }


@pytest.fixture(scope="module")
def history(stack):
    """Tasks as the previous version wrote them: assigned and not, each status, a due date or
    none, one with comments; the stream functions held back throughout, so that no word entry
    is written but by the migration (it must not depend on the task-index function)."""
    owner = stack.new_user("owner")
    client = ApiClient(stack.api, owner.access_token)
    with stack.stack.streams.paused():
        workspace = client.create_workspace("Plans")["id"]
        me = owner.user_id
        made = [
            client.create_task(workspace, title="Weekly review", assignee_id=me),
            client.create_task(
                workspace, title="Weekly réunion", status="in_progress", due_date="2026-12-01"
            ),
            client.create_task(workspace, title="定例会議", status="done", assignee_id=me),
            client.create_task(workspace, title="Plan Q1", assignee_id=me, due_date="2026-11-01"),
        ]
        commented = made[3]
        response = client.post(
            f"/workspaces/{workspace}/tasks/{commented['id']}/comments", json={"body": "hi"}
        )
        assert response.status_code == 201, response.text
        yield {"client": client, "workspace": workspace, "tasks": made, "uncounted": made[0]}


def test_the_migration_makes_the_old_table_what_this_version_writes(stack, history, tmp_path):
    client, workspace = history["client"], history["workspace"]
    items_then = scan_all(stack)
    lists_then = lists(client, workspace)
    assert lists_then["open"] == ["Plan Q1", "Weekly review"]
    # The stream functions are held back: no word entries but those the migration writes.
    assert lists_then.pop("search") == []

    as_before_this_version(stack, uncounted={history["uncounted"]["id"]})
    before = lists(client, workspace)
    assert before["search"] == [] and before["priority"] == [] and before["open"] == []
    # Old tasks read as this version's: priority none, no labels, a comment count of 0.
    old = client.get(f"/workspaces/{workspace}/tasks/{history['uncounted']['id']}").json()
    assert (old["priority"], old["labels"], old["comment_count"]) == ("none", [], 0)
    assert len(client.all_items(f"/workspaces/{workspace}/tasks?priority=none")) == 4

    checkpoint = tmp_path / "m002.json"
    first = run_migration(
        stack,
        "--checkpoint",
        str(checkpoint),
        "--page-size",
        "4",
        "--max-pages",
        "2",
        module=MODULE,
    )
    assert first["pages"] == 2
    assert json.loads(checkpoint.read_text())["complete"] is False
    rest = run_migration(stack, "--checkpoint", str(checkpoint), "--page-size", "4", module=MODULE)
    assert json.loads(checkpoint.read_text())["complete"] is True
    assert first["tasks_migrated"] + rest["tasks_migrated"] == 4

    assert without_word_entries(scan_all(stack)) == without_word_entries(items_then)
    assert word_entries(stack) == {
        t["id"]: set(text_index.search_terms(t["title"])) for t in history["tasks"]
    }
    after = lists(client, workspace)
    assert after.pop("search") == ["Weekly réunion", "Weekly review"]
    assert after == lists_then

    # Idempotent: a complete checkpoint does nothing, and a fresh run finds nothing to do.
    done = m002.run(stack.dynamodb, stack.table, checkpoint=checkpoint, progress=lambda _l: None)
    assert done == m002.Counts()
    again = run_migration(stack, module=MODULE)
    assert again["tasks_current"] == 4
    assert sum(v for k, v in again.items() if k not in ("pages", "tasks_current")) == 0


def test_what_the_service_writes_meanwhile_wins_and_old_entries_go(stack, history):
    client, workspace = history["client"], history["workspace"]
    store = scan_pass.store_over(stack.dynamodb, stack.table)
    task = client.create_task(workspace, title="Raced")
    path = f"/workspaces/{workspace}/tasks/{task['id']}"
    key = serialize(keys.task_key(workspace, task["id"]))
    stack.dynamodb.update_item(
        TableName=stack.table, Key=key, UpdateExpression="REMOVE priority, search_terms"
    )
    seen_by_scan = stack.dynamodb.get_item(TableName=stack.table, Key=key)["Item"]
    client.patch(path, json={"title": "Raced, then renamed"}, headers={"If-Match": '"1"'})
    assert m002.migrate_task(store, stack.dynamodb, stack.table, seen_by_scan) == ("changed", 0)
    assert client.get(path).json()["title"] == "Raced, then renamed"
    # The service wrote it in the new shape: in the priority order, found by its new title.
    assert task["id"] in [
        t["id"] for t in client.all_items(f"/workspaces/{workspace}/tasks?sort=-priority")
    ]

    # An older service moves a task to another date (its Put drops the priority and labels and
    # keeps the old priority entry), and deletes another (its priority and label entries stay).
    label = client.post(
        f"/workspaces/{workspace}/labels", json={"name": "bug", "color": "red"}
    ).json()["id"]
    moved = client.create_task(workspace, title="Moved", due_date="2026-09-01", labels=[label])
    deleted = client.create_task(workspace, title="Deleted", priority="urgent", labels=[label])
    moved_key = serialize(keys.task_key(workspace, moved["id"]))
    old_item = stack.dynamodb.get_item(TableName=stack.table, Key=moved_key)["Item"]
    old_item = {k: v for k, v in old_item.items() if k not in NEW_ATTRIBUTES}
    stack.dynamodb.put_item(
        TableName=stack.table,
        Item={**old_item, "due_date": {"S": "2026-12-31"}, "version": {"N": "2"}},
    )
    stack.dynamodb.delete_item(
        TableName=stack.table, Key=serialize(keys.task_key(workspace, deleted["id"]))
    )
    counts = m002.run(stack.dynamodb, stack.table, progress=lambda _line: None)
    # Moved: its old priority entry and its label entry; deleted: both of its.
    assert counts.stale_entries_removed == 4
    assert counts.tasks_migrated == 1
    listed = client.all_items(f"/workspaces/{workspace}/tasks?sort=-priority")
    titles = [t["title"] for t in listed]
    assert titles.count("Moved") == 1 and "Deleted" not in titles
    assert next(t for t in listed if t["title"] == "Moved")["due_date"] == "2026-12-31"
    assert client.all_items(f"/workspaces/{workspace}/tasks?label={label}") == []
