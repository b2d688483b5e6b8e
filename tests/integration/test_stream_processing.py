"""The stream functions on the local stack: the service under gunicorn over HTTP, the emulator's
stream read by the devstack's poller, the handlers the templates name. Deleting a workspace
really empties it, its audit events really land in the Object Lock bucket, and
`make audit-verify` checks the chain."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from app.storage import keys
from app.storage.records import (
    Task,
    serialize,
    task_due_entry_item,
    task_item,
    task_priority_entry_item,
)
from devstack.templates import ROOT
from tests.support.http import ApiClient
from tests.support.stack import localstack_host

pytestmark = pytest.mark.integration

BOUND_S = 60


def eventually(check: Callable[[], bool], bound_s: float = BOUND_S) -> float:
    """Seconds until `check` holds; fails past the bound."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < bound_s, f"not within {bound_s} s"
        time.sleep(0.2)
    return time.monotonic() - started


def partition(stack, pk: str) -> list[dict]:
    """Every item of a partition, by key query (strongly consistent), never a Scan."""
    items = []
    for page in stack.dynamodb.get_paginator("query").paginate(
        TableName=stack.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    ):
        items.extend(page["Items"])
    return items


def count(stack, pk: str, *, but_words: bool = False) -> int:
    """How many items a partition holds (a key query that returns only the count); with
    `but_words`, leaving out the word entries the task index writes in the background."""
    total = 0
    arguments = {
        "TableName": stack.table,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ConsistentRead": True,
        "Select": "COUNT",
    }
    if but_words:
        arguments["FilterExpression"] = "NOT begins_with(SK, :word)"
        arguments["ExpressionAttributeValues"][":word"] = {"S": keys.WORD_PREFIX}
    for page in stack.dynamodb.get_paginator("query").paginate(**arguments):
        total += page["Count"]
    return total


def listed_for(stack, user_id: str, workspace_id: str) -> list[dict]:
    """The user's entry for the workspace in the ByUser index (a key query)."""
    return stack.dynamodb.query(
        TableName=stack.table,
        IndexName=keys.BY_USER,
        KeyConditionExpression="UserKey = :user AND PK = :pk",
        ExpressionAttributeValues={
            ":user": {"S": keys.user_key(user_id)},
            ":pk": {"S": keys.workspace_pk(workspace_id)},
        },
    )["Items"]


def delete_workspace(client: ApiClient, workspace_id: str) -> None:
    response = client.delete(f"/workspaces/{workspace_id}", headers={"If-Match": "*"})
    assert response.status_code == 204, response.text


def audit_verify(stack, *variables: str) -> subprocess.CompletedProcess[str]:
    """`make audit-verify` on this test's environment of the local stack."""
    _host, port = localstack_host()
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "audit-verify",
            f"AUDIT_ENV={stack.stack.options.env}",
            *variables,
        ],
        cwd=ROOT,
        env={**os.environ, "AWS_EMULATOR_PORT": str(port)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def archived_ids(stack, workspace_id: str) -> set[str]:
    s3 = stack.session.client("s3")
    (bucket,) = stack.stack.stream_setup.buckets.values()
    ids = set()
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"audit/workspace={workspace_id}/")
    for entry in listing.get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read().decode()
        ids |= {json.loads(line)["id"] for line in body.splitlines()[1:]}
    return ids


def test_a_deleted_workspace_is_emptied_and_its_events_are_archived(stack, client, user):
    member = stack.new_user("member")
    workspace = client.create_workspace("Doomed")
    workspace_id = workspace["id"]
    client.add_member(workspace_id, member, "member")
    for title in ("one", "two", "three"):
        ApiClient(stack.api, member.access_token).create_task(workspace_id, title=title)
    pk = keys.workspace_pk(workspace_id)
    assert len(partition(stack, pk)) > 1 + 2 + 3
    delete_workspace(client, workspace_id)

    seconds = eventually(lambda: partition(stack, pk) == [])
    assert listed_for(stack, user.user_id, workspace_id) == []
    assert listed_for(stack, member.user_id, workspace_id) == []
    # The audit events stay in the table until their TTL, and every one is in the archive.
    events = {item["SK"]["S"] for item in partition(stack, keys.audit_pk(workspace_id))}
    # Created; the member invited and joined; three tasks; deleted.
    assert len(events) == 1 + 2 + 3 + 1
    eventually(lambda: archived_ids(stack, workspace_id) == events)
    print(f"\npurged in {seconds:.1f} s; archive statistics {stack.stack.streams.stats()}")

    result = audit_verify(stack)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The chain is intact" in result.stdout


def test_altering_an_archived_object_makes_audit_verify_fail(stack, client):
    workspace = client.create_workspace("Audited")
    client.create_task(workspace["id"], title="evidence")
    eventually(lambda: len(archived_ids(stack, workspace["id"])) == 2)
    s3 = stack.session.client("s3")
    (bucket,) = stack.stack.stream_setup.buckets.values()
    (entry,) = s3.list_objects_v2(Bucket=bucket, Prefix=f"audit/workspace={workspace['id']}/")[
        "Contents"
    ]
    body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
    # Object Lock keeps the original version; an altered one on top is still detected.
    s3.put_object(Bucket=bucket, Key=entry["Key"], Body=body.replace(b"evidence", b"innocent"))

    result = audit_verify(stack)
    assert result.returncode != 0, result.stdout + result.stderr
    assert f"{entry['Key']}: overwritten (2 versions)" in result.stderr
    assert "The chain is broken" in result.stderr


def test_tasks_created_while_the_workspace_is_deleted_leave_nothing_behind(stack, client):
    member = stack.new_user("racer")
    workspace = client.create_workspace("Race")
    workspace_id = workspace["id"]
    client.add_member(workspace_id, member, "member")
    racer = ApiClient(stack.api, member.access_token)
    statuses: list[int] = []
    deleted = threading.Event()

    def create_until_refused() -> None:
        # Creates tasks as fast as it can, until well after the deletion.
        stop_after = None
        while stop_after is None or time.monotonic() < stop_after:
            response = racer.post(f"/workspaces/{workspace_id}/tasks", json={"title": "racing"})
            statuses.append(response.status_code)
            if deleted.is_set() and stop_after is None:
                stop_after = time.monotonic() + 1.0

    threads = [threading.Thread(target=create_until_refused) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    delete_workspace(client, workspace_id)
    deleted.set()
    for thread in threads:
        thread.join()

    assert set(statuses) == {201, 404}, statuses
    eventually(lambda: partition(stack, keys.workspace_pk(workspace_id)) == [])
    # And it stays empty: nothing was let in after the purge read the partition.
    time.sleep(1)
    assert partition(stack, keys.workspace_pk(workspace_id)) == []


def seed_tasks(stack, workspace_id: str, count: int) -> None:
    """Tasks as the service stores them (an item, a due entry and a priority entry each),
    written straight into the table: a thousand POSTs would take the suite a minute. The task
    index's stream function adds their titles' word entries afterwards."""
    tasks = [
        Task(
            id=f"01SEEDED{n:018d}",
            workspace_id=workspace_id,
            title=f"seeded {n}",
            description="",
            status="todo",
            due_date=None,
            assignee_id=None,
            version=1,
            created_at="2026-11-26T08:00:00.000Z",
            updated_at="2026-11-26T08:00:00.000Z",
            created_by="seed",
        )
        for n in range(count)
    ]
    requests = [
        {"PutRequest": {"Item": serialize(item(task))}}
        for task in tasks
        for item in (task_item, task_due_entry_item, task_priority_entry_item)
    ]
    for start in range(0, len(requests), 25):
        stack.dynamodb.batch_write_item(RequestItems={stack.table: requests[start : start + 25]})


def test_a_workspace_of_a_thousand_items_is_purged_in_bounded_time(stack, client):
    workspace = client.create_workspace("Big")
    seed_tasks(stack, workspace["id"], 500)
    pk = keys.workspace_pk(workspace["id"])
    # The workspace, its owner, three items per task; and, as the task index follows, the
    # titles' word entries (how many by now depends on its pace: the purge may overtake it).
    assert count(stack, pk, but_words=True) == 2 + 3 * 500
    delete_workspace(client, workspace["id"])
    # The purge removes the workspace item last; watching it is cheap (a query of a thousand
    # items holds the emulator, which serves one request at a time, for about a second).
    key = serialize(keys.workspace_key(workspace["id"]))
    seconds = eventually(
        lambda: "Item" not in stack.dynamodb.get_item(TableName=stack.table, Key=key),
        bound_s=120,
    )
    # Word entries the index wrote after the purge passed go with the task's REMOVE record,
    # which reaches the index after the record that wrote them (one key's records in order).
    emptied = eventually(lambda: count(stack, pk) == 0, bound_s=60)
    print(
        f"\n1,502 items and the word entries purged {seconds:.1f} s after the DELETE answered,"
        f" the last word entry {emptied:.1f} s later"
    )
