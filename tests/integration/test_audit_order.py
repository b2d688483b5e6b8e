"""The audit log's order is the order of the commits (issue 9, item 16).

An event's id is minted before its transaction is sent, so by ids alone a change minted late
but committed early (another process, a clock ahead) would sort after one committed after
it: a task.created listed after workspace.deleted. Every change therefore writes the
workspace's last event id, on condition that its own is greater, and takes a later id when it
is not (app/domain/commits.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from ulid import ULID

from tests.support.http import ApiClient


def _clock_ahead_committed_last(stack, workspace_id: str) -> str:
    """As if a process whose clock runs a minute ahead had just committed a change here."""
    ahead = str(ULID.from_datetime(datetime.now(UTC) + timedelta(minutes=1)))
    stack.dynamodb.update_item(
        TableName=stack.table,
        Key={"PK": {"S": f"WS#{workspace_id}"}, "SK": {"S": "META"}},
        UpdateExpression="SET last_event = :ahead",
        ExpressionAttributeValues={":ahead": {"S": ahead}},
    )
    return ahead


def test_a_change_sorts_after_an_event_committed_before_it_with_a_later_clock(stack, client):
    workspace = client.create_workspace("Ordered")
    audit = f"/workspaces/{workspace['id']}/audit"
    ahead = _clock_ahead_committed_last(stack, workspace["id"])
    task = client.create_task(workspace["id"], title="After")
    newest = client.get(audit).json()["items"][0]
    assert (newest["action"], newest["target"]["id"]) == ("task.created", task["id"])
    assert newest["id"] > ahead

    ahead = _clock_ahead_committed_last(stack, workspace["id"])
    renamed = client.patch(
        f"/workspaces/{workspace['id']}", json={"name": "Renamed"}, headers={"If-Match": "*"}
    )
    assert renamed.status_code == 200
    newest = client.get(audit).json()["items"][0]
    assert newest["action"] == "workspace.updated" and newest["id"] > ahead

    ahead = _clock_ahead_committed_last(stack, workspace["id"])
    assert (
        client.delete(f"/workspaces/{workspace['id']}", headers={"If-Match": "*"}).status_code
        == 204
    )
    events = [
        item
        for item in stack.dynamodb.query(
            TableName=stack.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"AUDIT#{workspace['id']}"}},
        )["Items"]
    ]
    last = max(events, key=lambda e: e["SK"]["S"])
    assert last["action"]["S"] == "workspace.deleted" and last["SK"]["S"] > ahead


def _audit_items(stack, workspace_id: str) -> list[dict]:
    return stack.dynamodb.query(
        TableName=stack.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"AUDIT#{workspace_id}"}},
    )["Items"]


def _creates_racing_a_delete(stack, token: str, workspace_id: str, creates: int) -> list[int]:
    tasks = f"/workspaces/{workspace_id}/tasks"
    barrier = threading.Barrier(creates + 1)
    statuses: list[int] = []

    def create(n: int) -> None:
        own = ApiClient(stack.api, token)
        barrier.wait()
        statuses.append(own.post(tasks, json={"title": f"t{n}"}).status_code)

    def delete() -> None:
        own = ApiClient(stack.api, token)
        barrier.wait()
        own.delete(f"/workspaces/{workspace_id}", headers={"If-Match": "*"})

    threads = [threading.Thread(target=create, args=(n,)) for n in range(creates)]
    threads.append(threading.Thread(target=delete))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_nothing_sorts_after_the_workspace_was_deleted(stack, user):
    """Task creations racing a delete: whatever committed before the delete sorts before it."""
    client = ApiClient(stack.api, user.access_token)
    for round_ in range(3):
        workspace = client.create_workspace(f"Race {round_}")
        statuses = _creates_racing_a_delete(stack, user.access_token, workspace["id"], 8)
        items = _audit_items(stack, workspace["id"])
        ordered = sorted(items, key=lambda e: e["SK"]["S"])
        assert ordered[-1]["action"]["S"] == "workspace.deleted"
        assert sum(e["action"]["S"] == "task.created" for e in items) == statuses.count(201)
