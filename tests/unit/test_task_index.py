"""The task-index function against moto in-process, with the records the table's stream really
carries: the service's domain code writes tasks and labels, the stream is read with GetRecords,
each mapping's filter from the template picks its records, and the handler is the file the
template names, called as Lambda calls it (as tests/unit/test_stream_purge.py does for the
purge)."""

from __future__ import annotations

import dataclasses

import pytest

from app.storage import keys, text_index
from app.storage.records import Task, record_from_item, serialize, word_item
from tests.unit.test_stream_purge import function, local_stack, partition, service_for


@pytest.fixture(scope="module")
def local():
    with local_stack() as stack:
        yield stack


@pytest.fixture
def service(local):
    return service_for(local)


@pytest.fixture
def words(local):
    return function(local, "TaskIndexWordsMapping")


@pytest.fixture
def unlabel(local):
    return function(local, "TaskIndexLabelsMapping")


def word_entries(service, workspace_id: str) -> dict[str, set[str]]:
    """Each task's terms, as its word entries say."""
    found: dict[str, set[str]] = {}
    for item in partition(service, keys.workspace_pk(workspace_id)):
        sort_key = item["SK"]["S"]
        if sort_key.startswith(keys.WORD_PREFIX):
            term, task_id = sort_key.removeprefix(keys.WORD_PREFIX).rsplit("#", 1)
            found.setdefault(task_id, set()).add(term)
    return found


def task_items(service, workspace_id: str, task_id: str) -> list[Task]:
    """The task and its entries, as stored."""
    return [
        record_from_item(item)
        for item in partition(service, keys.workspace_pk(workspace_id))
        if item.get("id", {}).get("S") == task_id
    ]


def test_the_key_layout_is_the_services(words):
    module = words.module
    assert keys.workspace_pk("W") == module.WORKSPACE_PREFIX + "W"
    assert module.WORKSPACE_SK == keys.WORKSPACE_SK
    assert {**module.word_key("W", "term", "T"), **module._word_type()} == serialize(
        word_item("W", "term", "T")
    )
    assert module.labelled_prefix("L") == keys.labelled_prefix("L")
    assert module.TASK_PREFIX == keys.TASK_PREFIX
    assert module.DUE_PREFIX == keys.DUE_PREFIX
    assert module.PRIORITY_PREFIX == keys.PRIORITY_PREFIX
    assert module.LABEL_PREFIX == keys.LABEL_PREFIX
    assert module.labelled_prefix("L") + "T" == keys.labelled_key("W", "L", "T")["SK"]


def test_word_entries_follow_a_title_through_create_rename_and_delete(service, words):
    words.read_from_now_on()
    workspace_id = service.workspaces.create("alice", "Plans").workspace.id
    task = service.tasks.create("alice", workspace_id, {"title": "Weekly réunion notes"})
    words.invoke(words.records())
    assert word_entries(service, workspace_id) == {task.id: {"weekly", "reunion", "notes"}}

    service.tasks.update(
        "alice", workspace_id, task.id, {"title": "Monthly réunion"}, if_match=None
    )
    # A change that keeps the title writes and deletes nothing.
    service.tasks.update("alice", workspace_id, task.id, {"status": "done"}, if_match=None)
    words.invoke(words.records())
    assert word_entries(service, workspace_id) == {task.id: {"monthly", "reunion"}}

    service.tasks.delete("alice", workspace_id, task.id, if_match=None)
    words.invoke(words.records())
    assert word_entries(service, workspace_id) == {}


def test_a_title_with_more_terms_than_a_transaction_holds_gets_every_entry(service, words):
    """200 characters of Chinese: every character starts a word, so 200 terms (the service's
    transaction could hold at most 100 items, all its parts included)."""
    words.read_from_now_on()
    workspace_id = service.workspaces.create("alice", "Plans").workspace.id
    han = "".join(chr(0x4E00 + (n * 37) % 3000) for n in range(200))
    task = service.tasks.create("alice", workspace_id, {"title": han})
    expected = set(text_index.search_terms(han))
    assert len(expected) > 100
    words.invoke(words.records())
    assert word_entries(service, workspace_id) == {task.id: expected}


def test_a_replayed_record_changes_nothing(service, words):
    words.read_from_now_on()
    workspace_id = service.workspaces.create("alice", "Plans").workspace.id
    task = service.tasks.create("alice", workspace_id, {"title": "Plan the offsite"})
    records = words.records()
    words.invoke(records)
    words.invoke(records)
    assert word_entries(service, workspace_id) == {task.id: {"plan", "the", "offsite"}}


def test_a_deleted_label_leaves_every_task_that_had_it(service, unlabel):
    unlabel.read_from_now_on()
    workspace_id = service.workspaces.create("alice", "Plans").workspace.id
    bug = service.labels.create("alice", workspace_id, "bug", "red")
    ux = service.labels.create("alice", workspace_id, "ux", "blue")
    tagged = [
        service.tasks.create(
            "alice",
            workspace_id,
            {"title": f"task {n}", "labels": [ux.id, bug.id], "priority": "high"},
        )
        for n in range(12)
    ]
    other = service.tasks.create("alice", workspace_id, {"title": "other", "labels": [ux.id]})
    # Read the label records the mapping lets through: the deletion only (not the creations).
    assert unlabel.records() == []
    service.labels.delete("alice", workspace_id, bug.id, if_match=None)
    records = unlabel.records()
    assert len(records) == 1
    unlabel.invoke(records)
    for task in tagged:
        copies = task_items(service, workspace_id, task.id)
        assert len(copies) == 3  # the task, its due entry and its priority entry
        assert {(c.labels, c.version) for c in copies} == {((ux.id,), task.version + 1)}
    assert {c.labels for c in task_items(service, workspace_id, other.id)} == {(ux.id,)}
    remaining = [
        item["SK"]["S"]
        for item in partition(service, keys.workspace_pk(workspace_id))
        if item["SK"]["S"].startswith(keys.LABELLED_PREFIX)
    ]
    assert sorted(remaining) == sorted(
        keys.labelled_key(workspace_id, ux.id, t.id)["SK"] for t in [*tagged, other]
    )
    # Again (a replay): nothing more changes.
    unlabel.invoke(records)
    assert {c.version for c in task_items(service, workspace_id, tagged[0].id)} == {2}


def test_a_task_changed_while_its_label_goes_is_read_again(service, unlabel):
    unlabel.read_from_now_on()
    workspace_id = service.workspaces.create("alice", "Plans").workspace.id
    bug = service.labels.create("alice", workspace_id, "bug", "red")
    ux = service.labels.create("alice", workspace_id, "ux", "blue")
    task = service.tasks.create("alice", workspace_id, {"title": "t", "labels": [bug.id]})
    service.labels.delete("alice", workspace_id, bug.id, if_match=None)
    records = unlabel.records()
    runtime = unlabel.runtime
    original = runtime.dynamodb

    class ChangesTheTaskOnce:
        """Between the function's read of the task and its transaction, someone renames it and
        gives it another label."""

        def __init__(self):
            self.done = False

        def __getattr__(self, name):
            return getattr(original, name)

        def transact_write_items(self, **kwargs):
            if not self.done:
                self.done = True
                service.tasks.update(
                    "alice",
                    workspace_id,
                    task.id,
                    {"title": "renamed", "labels": [bug.id, ux.id]},
                    if_match=None,
                )
            return original.transact_write_items(**kwargs)

    unlabel.invoke(records, runtime=dataclasses.replace(runtime, dynamodb=ChangesTheTaskOnce()))
    copies = task_items(service, workspace_id, task.id)
    # The label given meanwhile is kept: the removal was computed again from the new version.
    assert {(c.title, c.labels, c.version) for c in copies} == {("renamed", (ux.id,), 3)}


def test_a_deleted_workspaces_labels_are_left_to_the_purge(service, unlabel):
    unlabel.read_from_now_on()
    workspace_id = service.workspaces.create("alice", "Plans").workspace.id
    bug = service.labels.create("alice", workspace_id, "bug", "red")
    task = service.tasks.create("alice", workspace_id, {"title": "t", "labels": [bug.id]})
    service.labels.delete("alice", workspace_id, bug.id, if_match=None)
    records = unlabel.records()
    service.workspaces.delete("alice", workspace_id, if_match=None)
    unlabel.invoke(records)
    assert {c.version for c in task_items(service, workspace_id, task.id)} == {1}
