"""Task lists read only what a Task is made of (a ProjectionExpression), against the table
(moto in-process): the same tasks as from whole items, in fewer bytes."""

from __future__ import annotations

import pytest

from app.storage import keys
from app.storage.records import (
    TASK_ATTRIBUTES,
    Task,
    record_from_item,
    serialize,
    task_due_entry_item,
    task_item,
)
from app.storage.table import Store

WORKSPACE = "01M8TCC7C207YVCP8TP581ZCW7"


def a_task(number: int) -> Task:
    # Every field set, none left to a default: a field missing from the projection shows.
    return Task(
        id=f"01M8TCDC9YJNA6XQ0M92KA3{number:03d}",
        workspace_id=WORKSPACE,
        title=f"Task {number}",
        description="Every field set",
        status="in_progress",
        due_date="2026-12-24",
        assignee_id="945dd758-f760-4e29-9387-0e7d3c1307f8",
        version=3,
        created_at="2026-12-02T03:22:46.459Z",
        updated_at="2026-12-02T04:00:00.000Z",
        created_by="alice",
    )


@pytest.mark.parametrize("item_of", [task_item, task_due_entry_item])
def test_a_task_reads_back_whole_from_its_attributes_alone(item_of):
    task = a_task(1)
    item = serialize(item_of(task))
    projected = {name: value for name, value in item.items() if name in TASK_ATTRIBUTES}
    assert set(projected) == set(TASK_ATTRIBUTES)
    assert record_from_item(projected) == task
    # The keys and index keys are what the projection leaves out.
    assert set(item) - set(projected) >= {"PK", "SK", "StatusKey", "AssignedKey"}


def test_a_page_of_tasks_asks_for_their_attributes_only(clients, settings, monkeypatch):
    store = Store(clients, settings.tasks_table_name)
    tasks = [a_task(number) for number in range(3)]
    for task in tasks:
        clients.dynamodb.call(
            "PutItem", {"TableName": settings.tasks_table_name, "Item": serialize(task_item(task))}
        )
    answered = []
    call = clients.dynamodb.call

    def recording(operation, params):
        response = call(operation, params)
        answered.append(response)
        return response

    monkeypatch.setattr(clients.dynamodb, "call", recording)
    first = store.query(
        partition=("PK", keys.workspace_pk(WORKSPACE)),
        sort_prefix="TASK#",
        limit=2,
        only=TASK_ATTRIBUTES,
    )
    rest = store.query(
        partition=("PK", keys.workspace_pk(WORKSPACE)),
        sort_prefix="TASK#",
        limit=2,
        start_key=first.next_key,
        only=TASK_ATTRIBUTES,
    )
    assert [*first.records, *rest.records] == tasks
    assert rest.next_key is None
    assert len(answered) == 2
    for response in answered:
        for item in response["Items"]:
            assert set(item) == set(TASK_ATTRIBUTES)
