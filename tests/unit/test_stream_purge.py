"""The purge function against moto in-process, with the records the table's stream really
carries: the service's own domain code writes (and deletes) the workspaces, the stream is read
with GetRecords, the mapping's filter from the template picks the records, and the handler is
the file the template names, called as Lambda calls it (devstack/stream_poller.py)."""

from __future__ import annotations

import dataclasses
import json
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb import models as dynamodb_models

from app.aws.clients import AwsClients
from app.aws.directory import DirectoryUser
from app.config import Settings
from app.domain import errors
from app.domain.assigned import SKIP_ALLOWANCE
from app.domain.audit import AuditRecorder
from app.domain.comments import Comments
from app.domain.invitations import Invitations
from app.domain.labels import Labels
from app.domain.limits import Limits
from app.domain.members import Members
from app.domain.tasks import Tasks
from app.domain.workspaces import Workspaces
from app.storage import keys, writes
from app.storage.records import (
    Task,
    serialize,
    task_due_entry_item,
    task_item,
    task_priority_entry_item,
)
from app.storage.table import Store
from app.storage.task_lists import TaskCriteria
from devstack import stream_poller
from devstack.moto_server import _conditions_first
from devstack.stack import LocalStack, StackOptions
from tests.support.domain import email_of, join

REGION = "us-east-1"


class Directory:
    """The user pool is not what these tests are about: every user exists, with this email."""

    def email_of(self, user_id: str) -> str:
        return f"{user_id}@example.com"

    def find_confirmed(self, email: str) -> DirectoryUser:
        return DirectoryUser(user_id=email.split("@", maxsplit=1)[0], email=email)

    def verified_email_of(self, user_id: str) -> str:
        return email_of(user_id)


@contextmanager
def local_stack():
    """moto in-process, provisioned by the local stack from the templates."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        # The local emulator's transactions (devstack/moto_server.py): stock moto copies the
        # whole table for every part of a transaction, which a thousand items make slow.
        patch.setattr(dynamodb_models.DynamoDBBackend, "transact_write_items", _conditions_first)
        with mock_aws():
            session = boto3.session.Session(region_name=REGION)
            stack = LocalStack(
                StackOptions(app="unit", env="t", region=REGION),
                session=session,
                progress=lambda _message: None,
            )
            stack.provision()
            yield stack


def service_for(local: LocalStack) -> SimpleNamespace:
    """The service's domain code, writing to the local stack's table."""
    settings = Settings.from_env({**local.provisioned.service_environment, "AWS_REGION": REGION})
    store = Store(AwsClients(settings), settings.tasks_table_name)
    audit = AuditRecorder(retention_days=30)
    limits = Limits(
        settings.max_owned_workspaces,
        settings.max_members_per_workspace,
        settings.max_tasks_per_workspace,
    )
    return SimpleNamespace(
        table=settings.tasks_table_name,
        dynamodb=local.session.client("dynamodb"),
        workspaces=Workspaces(store, Directory(), audit, limits),
        members=Members(store, audit, limits),
        invitations=Invitations(store, Directory(), audit, limits),
        tasks=Tasks(store, audit, limits),
        comments=Comments(store, audit, limits),
        labels=Labels(store, audit, limits),
    )


@pytest.fixture(scope="module")
def local():
    # One per module: each test makes its own workspaces and reads the stream from its start.
    with local_stack() as stack:
        yield stack


@pytest.fixture
def service(local):
    return service_for(local)


@dataclass
class Function:
    """A stream function as its mapping delivers to it."""

    mapping: stream_poller.StreamMapping
    module: Any
    handler: Any
    runtime: Any
    reader: stream_poller.StreamReader

    def records(self) -> list[dict[str, Any]]:
        """The records the stream has now that the mapping's filter lets through."""
        return [r for r in self.reader.read() if self.mapping.matches(r)]

    def deletions(self) -> list[dict[str, Any]]:
        """Of those, the workspace deletions (the others are memberships ending or beginning)."""
        return [r for r in self.records() if r["dynamodb"]["Keys"]["SK"]["S"] == "META"]

    def read_from_now_on(self) -> None:
        # Skips what the stream holds (moto takes seconds to serialise a thousand records).
        self.reader = stream_poller.StreamReader(self.reader._streams, self.mapping.stream_arn)

    def invoke(self, records, *, runtime=None, timeout_s=None) -> dict:
        context = stream_poller.LocalContext(
            self.mapping.function_name,
            self.mapping.memory_mb,
            timeout_s if timeout_s is not None else self.mapping.timeout_s,
        )
        event = stream_poller.lambda_event(records)
        return self.handler(event, context, runtime=runtime or self.runtime)


def function(local, name: str) -> Function:
    (mapping,) = [m for m in local.stream_setup.mappings if m.name == name]
    module, handler = stream_poller.load_handler(mapping)
    runtime = module.from_environment({**mapping.environment, "AWS_REGION": REGION}, local.session)
    reader = stream_poller.StreamReader(
        stream_poller.streams_client(local.session), mapping.stream_arn
    )
    return Function(mapping, module, handler, runtime, reader)


@pytest.fixture
def purge(local) -> Function:
    return function(local, "PurgeEventSourceMapping")


def partition(service, pk: str) -> list[dict]:
    """Every item of a partition, by key query (strongly consistent)."""
    paginator = service.dynamodb.get_paginator("query")
    items = []
    for page in paginator.paginate(
        TableName=service.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    ):
        items.extend(page["Items"])
    return items


def workspace_with_items(service, tasks: int = 3, seeded: int = 0) -> str:
    """A workspace made through the service's domain code: an owner, two members, tasks; and
    `seeded` more tasks written straight into the table as the service stores them (each as
    its item and its due entry; moto in-process would make a thousand transactions slow)."""
    workspace_id = service.workspaces.create("alice", "Plans").workspace.id
    join(service, "alice", workspace_id, "bob", "member")
    join(service, "alice", workspace_id, "carol", "viewer")
    for number in range(tasks):
        service.tasks.create("bob", workspace_id, {"title": f"task {number}"})
    requests = [
        {"PutRequest": {"Item": serialize(item(_task(workspace_id, n)))}}
        for n in range(seeded)
        for item in (task_item, task_due_entry_item)
    ]
    for start in range(0, len(requests), 25):
        service.dynamodb.batch_write_item(
            RequestItems={service.table: requests[start : start + 25]}
        )
    return workspace_id


SEEDED_NOTES = "Agreed with the client; see the minutes of the kick-off meeting. " * 16


def _task(workspace_id: str, number: int) -> Task:
    return Task(
        id=f"01SEEDED{number:018d}",
        workspace_id=workspace_id,
        title=f"seeded {number}",
        # Notes of a realistic size: a thousand tasks then fill more than one page of a query
        # (DynamoDB and moto stop a page at 1 MB), so the purge must follow LastEvaluatedKey.
        description=SEEDED_NOTES,
        status="todo",
        due_date=None,
        assignee_id="bob" if number % 2 else None,
        version=1,
        created_at="2026-11-26T08:00:00.000Z",
        updated_at="2026-11-26T08:00:00.000Z",
        created_by="alice",
    )


def delete(service, workspace_id: str) -> None:
    service.workspaces.delete("alice", workspace_id, if_match=None)


def test_the_handlers_key_layout_is_the_services(purge):
    layout = {"PK": purge.module.WORKSPACE_PREFIX + "X", "SK": purge.module.WORKSPACE_SK}
    assert keys.workspace_key("X") == layout


def test_a_deleted_workspace_of_over_a_thousand_items_is_emptied(local, service, purge):
    workspace_id = workspace_with_items(service, tasks=3, seeded=500)
    purge.read_from_now_on()
    other = workspace_with_items(service, tasks=1)
    other_items = len(partition(service, keys.workspace_pk(other)))
    pk = keys.workspace_pk(workspace_id)
    items = len(partition(service, pk))
    assert items > 1000
    first_page = service.dynamodb.query(
        TableName=service.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        Select="COUNT",
    )
    assert "LastEvaluatedKey" in first_page, "the workspace should fill more than one page"
    audit_before = partition(service, keys.audit_pk(workspace_id))
    delete(service, workspace_id)

    records = purge.records()
    # Of another workspace's creation and this one's deletion, the filter lets through the
    # other's memberships beginning (its three members), and the deletion: the deleting
    # owner's membership goes in its transaction, then the workspace item is marked.
    other_pk = keys.workspace_pk(other)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["PK"]["S"]) for r in records] == [
        *[("INSERT", other_pk)] * 3,
        ("REMOVE", pk),
        ("MODIFY", pk),
    ]
    assert purge.invoke(records) == {"batchItemFailures": []}

    assert partition(service, pk) == []
    # The members' index entries went with their items: the workspace is in nobody's list.
    for user in ("alice", "bob", "carol"):
        mine = service.dynamodb.query(
            TableName=service.table,
            IndexName=keys.BY_USER,
            KeyConditionExpression="UserKey = :u AND PK = :pk",
            ExpressionAttributeValues={":u": {"S": keys.user_key(user)}, ":pk": {"S": pk}},
        )
        assert mine["Items"] == []
    # The audit events stay until their TTL (the contract), one more for the deletion.
    audit_after = partition(service, keys.audit_pk(workspace_id))
    assert len(audit_after) == len(audit_before) + 1
    # Another workspace is untouched.
    assert len(partition(service, keys.workspace_pk(other))) == other_items


def test_a_replayed_record_does_no_harm(service, purge):
    workspace_id = workspace_with_items(service)
    delete(service, workspace_id)
    records = purge.records()
    assert purge.invoke(records) == {"batchItemFailures": []}
    # Lambda may deliver the same batch again: nothing left to delete, nothing fails.
    assert purge.invoke(records) == {"batchItemFailures": []}
    assert partition(service, keys.workspace_pk(workspace_id)) == []


def test_a_purge_that_runs_out_of_time_fails_its_record_and_the_next_delivery_finishes(
    service, purge
):
    workspace_id = workspace_with_items(service, seeded=100)
    delete(service, workspace_id)
    items = len(partition(service, keys.workspace_pk(workspace_id)))  # what the purge must remove
    (record,) = purge.deletions()
    # Less time left than the margin the purge keeps: it stops before deleting anything. With
    # every record of the batch failed, the invocation fails (so that Lambda bisects).
    with pytest.raises(BatchProcessingError, match="All records failed"):
        purge.invoke([record], timeout_s=5)
    assert len(partition(service, keys.workspace_pk(workspace_id))) == items
    assert purge.invoke([record]) == {"batchItemFailures": []}
    assert partition(service, keys.workspace_pk(workspace_id)) == []


class FailingFor:
    """A DynamoDB client that refuses to delete one workspace's items (throttled, say)."""

    def __init__(self, client, workspace_id: str, times: int = 1_000):
        self._client = client
        self._pk = keys.workspace_pk(workspace_id)
        self.times = times

    def __getattr__(self, name):
        return getattr(self._client, name)

    def batch_write_item(self, RequestItems):  # noqa: N803 -- boto3's name
        (requests,) = RequestItems.values()
        if self.times and any(r["DeleteRequest"]["Key"]["PK"]["S"] == self._pk for r in requests):
            self.times -= 1
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "BatchWriteItem",
            )
        return self._client.batch_write_item(RequestItems=RequestItems)


def test_a_partial_failure_reports_only_the_failed_record(service, purge):
    first = workspace_with_items(service)
    second = workspace_with_items(service)
    delete(service, first)
    delete(service, second)
    items = len(partition(service, keys.workspace_pk(first)))
    records = purge.deletions()
    assert len(records) == 2
    failing = purge.module.Purger(table=service.table, dynamodb=FailingFor(service.dynamodb, first))
    response = purge.invoke(records, runtime=failing)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    }
    assert len(partition(service, keys.workspace_pk(first))) == items
    assert partition(service, keys.workspace_pk(second)) == []


def test_the_local_poller_retries_from_the_failed_record(local, service):
    """The delivery Lambda makes, as the local stack's poller makes it: the failed record is
    handed in again (and the one after it, which was fine: a replay does no harm)."""
    (mapping,) = [m for m in local.stream_setup.mappings if m.name == "PurgeEventSourceMapping"]
    module, _ = stream_poller.load_handler(mapping)
    first = workspace_with_items(service)
    second = workspace_with_items(service)
    runtime = module.Purger(table=service.table, dynamodb=FailingFor(service.dynamodb, first, 1))
    worker = stream_poller.MappingWorker(mapping, local.session, REGION, runtime=runtime)
    reader = stream_poller.StreamReader(
        stream_poller.streams_client(local.session), mapping.stream_arn
    )
    delete(service, first)
    delete(service, second)
    worker.offer(reader.read())
    worker.deliver_pending()
    assert partition(service, keys.workspace_pk(first)) == []
    assert partition(service, keys.workspace_pk(second)) == []
    # Each deletion's record, and the deleting owner's membership leaving in its transaction:
    # four records in one batch; the first deletion fails and is handed in again with the two
    # after it.
    assert (worker.stats.invocations, worker.stats.records, worker.stats.retries) == (2, 7, 1)
    assert worker.stats.given_up == 0


class Unprocessing:
    """A DynamoDB client that leaves part of each of the first calls unprocessed, as DynamoDB
    does under load (moto never does)."""

    def __init__(self, client, calls: int):
        self._client = client
        self.calls = calls
        self.requests = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def batch_write_item(self, RequestItems):  # noqa: N803 -- boto3's name
        self.requests += 1
        ((table, requests),) = RequestItems.items()
        if not self.calls or len(requests) < 2:
            return self._client.batch_write_item(RequestItems=RequestItems)
        self.calls -= 1
        done, left = requests[: len(requests) // 2], requests[len(requests) // 2 :]
        self._client.batch_write_item(RequestItems={table: done})
        return {"UnprocessedItems": {table: left}}


def test_unprocessed_keys_are_sent_again(service, purge):
    workspace_id = workspace_with_items(service, seeded=30)
    delete(service, workspace_id)
    client = Unprocessing(service.dynamodb, calls=3)
    runtime = purge.module.Purger(table=service.table, dynamodb=client, sleep=lambda _s: None)
    assert purge.invoke(purge.deletions(), runtime=runtime) == {"batchItemFailures": []}
    assert partition(service, keys.workspace_pk(workspace_id)) == []
    # 3 members and 33 tasks, each an item and a due entry: 69 keys, in calls of 25, 25 and 19;
    # the first call's unprocessed half is sent again three times (each resend itself half
    # done), the fourth time completely.
    assert client.requests == 3 + 3


class RacingWrites:
    """After the purge has read the workspace's keys and before it deletes any, a member
    creates a task and an admin adds a member: the window in which such a write would
    survive, if the write path let it in."""

    def __init__(self, client, service, workspace_id: str):
        self._client = client
        self._service = service
        self._workspace_id = workspace_id
        self.outcomes: list[str] = []

    def __getattr__(self, name):
        return getattr(self._client, name)

    def query(self, **arguments):
        page = self._client.query(**arguments)
        if not self.outcomes:
            for write in (self._create_task, self._add_member):
                try:
                    write()
                    self.outcomes.append("written")
                except errors.NotFound:
                    self.outcomes.append("refused")
        return page

    def _create_task(self):
        self._service.tasks.create("bob", self._workspace_id, {"title": "late"})

    def _add_member(self):
        # A write into the workspace's partition as joining starts: an invitation.
        self._service.invitations.create(
            "alice", self._workspace_id, email="dave@example.com", role="member"
        )


def test_a_write_racing_the_purge_is_refused_and_nothing_survives(service, purge):
    workspace_id = workspace_with_items(service)
    delete(service, workspace_id)
    racing = RacingWrites(service.dynamodb, service, workspace_id)
    runtime = purge.module.Purger(table=service.table, dynamodb=racing)
    assert purge.invoke(purge.deletions(), runtime=runtime) == {"batchItemFailures": []}
    # The write path's condition that the workspace is live refuses both (404 to the caller).
    assert racing.outcomes == ["refused", "refused"]
    assert partition(service, keys.workspace_pk(workspace_id)) == []


def test_without_the_live_workspace_condition_a_racing_write_would_survive(
    service, purge, monkeypatch
):
    """Why the guarantee above is the write path's: take its condition away and the same race
    leaves a task behind that no purge will ever see."""
    workspace_id = workspace_with_items(service)
    delete(service, workspace_id)

    # The defect: the workspace item must exist, but may be marked deleted.
    monkeypatch.setattr(writes, "_LIVE", "attribute_exists(PK) AND :false = :false")
    racing = RacingWrites(service.dynamodb, service, workspace_id)
    runtime = purge.module.Purger(table=service.table, dynamodb=racing)
    purge.invoke(purge.deletions(), runtime=runtime)
    assert racing.outcomes[0] == "written"
    left = partition(service, keys.workspace_pk(workspace_id))
    # The late task (its item and its due entry) survives.
    assert left and {item["title"]["S"] for item in left} == {"late"}


def test_a_workspace_that_is_live_again_is_not_purged(service, purge):
    """Only a deleted workspace's record passes the filter; should the item say otherwise by
    the time the purge reads it, the purge leaves everything as it is."""
    workspace_id = workspace_with_items(service)
    delete(service, workspace_id)
    items = len(partition(service, keys.workspace_pk(workspace_id)))
    records = purge.deletions()
    service.dynamodb.update_item(
        TableName=service.table,
        Key=serialize(keys.workspace_key(workspace_id)),
        UpdateExpression="SET deleted = :false",
        ExpressionAttributeValues={":false": {"BOOL": False}},
    )
    assert purge.invoke(records) == {"batchItemFailures": []}
    assert len(partition(service, keys.workspace_pk(workspace_id))) == items


def test_the_purge_reports_its_work_as_metrics(service, purge, capsys):
    workspace_id = workspace_with_items(service, seeded=10)
    delete(service, workspace_id)
    items = len(partition(service, keys.workspace_pk(workspace_id)))
    capsys.readouterr()
    purge.invoke(purge.records())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (emf,) = [line for line in lines if "_aws" in line]
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "TeamTasks"
    purged = (emf["service"], emf["ItemsPurged"], emf["WorkspacesPurged"])
    assert purged == ("stream-purge", [items], [1])


def owned(service, user_id: str) -> int:
    item = service.dynamodb.get_item(
        TableName=service.table, Key=serialize(keys.user_limits_key(user_id)), ConsistentRead=True
    ).get("Item", {})
    return int(item.get("owned", {}).get("N", "0"))


@pytest.mark.parametrize("listed_first", [False, True], ids=["purge-first", "listing-first"])
def test_a_co_owner_gets_the_workspace_back_on_their_limit_exactly_once(
    service, purge, listed_first
):
    """Deleting removes the deleting owner's membership and count; another owner's membership
    is removed (and counted back) by whichever comes first: their own workspace list or the
    purge. Never both, never neither: a count that only grew would refuse them new workspaces."""
    workspace_id = workspace_with_items(service)
    join(service, "alice", workspace_id, "erin", "owner")
    before = owned(service, "erin")
    delete(service, workspace_id)
    if listed_first:
        service.workspaces.list_for("erin", limit=25, start_key=None)
    assert purge.invoke(purge.records()) == {"batchItemFailures": []}
    service.workspaces.list_for("erin", limit=25, start_key=None)
    assert owned(service, "erin") == before - 1
    assert partition(service, keys.workspace_pk(workspace_id)) == []


def test_the_purge_counts_back_as_the_service_does(purge):
    service_write = writes.count_owned_workspace("erin", -1, limit=0)
    assert {"TableName": "t", **purge.module.owned_count_back("erin")} == {
        "TableName": "t",
        **service_write.request,
    }


# -- a member's assigned tasks follow their membership (issue 20, item 4) ---------------------


def assigned_to(service, user_id: str, status: str | None = None) -> list[tuple[str, str]]:
    """What AssignedByDue holds for the user (all, or one status's due entries): (PK, SK)."""
    paginator = service.dynamodb.get_paginator("query")
    found = []
    for page in paginator.paginate(
        TableName=service.table,
        IndexName=keys.ASSIGNED_BY_DUE,
        KeyConditionExpression="AssignedKey = :key",
        ExpressionAttributeValues={":key": {"S": keys.assigned_key(user_id, status)}},
    ):
        found += [(item["PK"]["S"], item["SK"]["S"]) for item in page["Items"]]
    return found


def workspace_with_bobs_tasks(service, count: int = 3) -> tuple[str, list[str]]:
    workspace_id = workspace_with_items(service, tasks=0)
    tasks = [
        service.tasks.create(
            "alice",
            workspace_id,
            {"title": f"bob's {n}", "assignee_id": "bob", "due_date": f"2027-01-0{n + 1}"},
        ).id
        for n in range(count)
    ]
    service.tasks.create("alice", workspace_id, {"title": "alice's", "assignee_id": "alice"})
    return workspace_id, tasks


def test_a_member_who_leaves_leaves_their_index_and_comes_back_with_their_return(service, purge):
    workspace_id, tasks = workspace_with_bobs_tasks(service)
    pk = keys.workspace_pk(workspace_id)
    before = {"all": assigned_to(service, "bob"), "todo": assigned_to(service, "bob", "todo")}
    assert len(before["all"]) == len(before["todo"]) == 3  # the tasks, and their due entries
    purge.read_from_now_on()

    service.members.remove("bob", workspace_id, "bob")
    (left,) = purge.records()
    assert (left["eventName"], left["dynamodb"]["Keys"]["SK"]["S"]) == ("REMOVE", "MEMBER#bob")
    assert purge.invoke([left]) == {"batchItemFailures": []}
    assert [key for key in assigned_to(service, "bob") if key[0] == pk] == []
    assert assigned_to(service, "bob", "todo") == []
    # Nothing else changes: the tasks keep their assignee and stay in the workspace's lists.
    assert len(assigned_to(service, "alice")) == 1
    listed = service.tasks.page(
        "alice", workspace_id, TaskCriteria(assignee_id="bob"), limit=10, after=None
    )
    assert sorted(t.id for t in listed.records) == sorted(tasks)

    join(service, "alice", workspace_id, "bob", "member")
    (returned,) = purge.records()
    assert returned["eventName"] == "INSERT"
    assert purge.invoke([returned]) == {"batchItemFailures": []}
    assert sorted(assigned_to(service, "bob")) == sorted(before["all"])
    assert sorted(assigned_to(service, "bob", "todo")) == sorted(before["todo"])


def test_a_record_that_no_longer_says_what_is_true_is_left_to_the_next_one(service, purge):
    """Bob leaves and is back before the record of his leaving is handled: it changes nothing
    (he is a member), and the record of his return finds nothing missing. Replays are no harm."""
    workspace_id, _tasks = workspace_with_bobs_tasks(service)
    before = sorted(assigned_to(service, "bob"))
    purge.read_from_now_on()
    service.members.remove("bob", workspace_id, "bob")
    join(service, "alice", workspace_id, "bob", "member")
    records = purge.records()
    assert [r["eventName"] for r in records] == ["REMOVE", "INSERT"]
    for _ in range(2):
        assert purge.invoke(records) == {"batchItemFailures": []}
        assert sorted(assigned_to(service, "bob")) == before


class IndexAMomentOld:
    """A DynamoDB client whose index reads answer as the index was when it was made, as
    DynamoDB's indexes may for a moment (moto's never lag)."""

    def __init__(self, client, index: str, **query):
        self._client = client
        self._index = index
        self._then = client.query(IndexName=index, **query)

    def __getattr__(self, name):
        return getattr(self._client, name)

    def query(self, **arguments):
        if arguments.get("IndexName") == self._index:
            return self._then
        return self._client.query(**arguments)


def test_a_task_changed_after_its_assignee_left_keeps_what_the_service_wrote(service, purge):
    """After bob leaves, alice reassigns one of his tasks to herself. Even where the index that
    finds bob's tasks still lists it under him, taking bob's tasks out of his index leaves hers
    alone: each update is conditioned on the task being still assigned to bob."""
    workspace_id, tasks = workspace_with_bobs_tasks(service)
    purge.read_from_now_on()
    service.members.remove("bob", workspace_id, "bob")
    stale = IndexAMomentOld(
        service.dynamodb,
        keys.BY_ASSIGNEE,
        TableName=service.table,
        KeyConditionExpression="AssigneeKey = :assignee",
        ExpressionAttributeValues={":assignee": {"S": keys.assignee_key(workspace_id, "bob")}},
    )
    service.tasks.update("alice", workspace_id, tasks[0], {"assignee_id": "alice"}, if_match=None)
    runtime = purge.module.Purger(table=service.table, dynamodb=stale)
    assert purge.invoke(purge.records(), runtime=runtime) == {"batchItemFailures": []}
    pk = keys.workspace_pk(workspace_id)
    assert [key for key in assigned_to(service, "bob") if key[0] == pk] == []
    assert (pk, keys.TASK_PREFIX + tasks[0]) in assigned_to(service, "alice")


def test_a_former_members_first_page_is_full_once_the_record_is_handled(service, purge):
    """The symptom (issue 20, item 4): with more than SKIP_ALLOWANCE tasks of a workspace they
    left ahead of their other tasks in due order, a former member's page of /me/tasks was empty
    but for a cursor (the browser app said "Nothing is assigned to you")."""
    # Dora: a member of her own, whose index no other test fills.
    left_behind = workspace_with_items(service, tasks=0)
    join(service, "alice", left_behind, "dora", "member")
    requests = [
        {"PutRequest": {"Item": serialize(item(_doras(left_behind, n)))}}
        for n in range(SKIP_ALLOWANCE + 5)
        for item in (task_item, task_due_entry_item)
    ]
    for start in range(0, len(requests), 25):
        service.dynamodb.batch_write_item(
            RequestItems={service.table: requests[start : start + 25]}
        )
    elsewhere = service.workspaces.create("carol", "Elsewhere").workspace.id
    join(service, "carol", elsewhere, "dora", "member")
    later = service.tasks.create(
        "carol", elsewhere, {"title": "due later", "assignee_id": "dora", "due_date": "2027-06-01"}
    )
    purge.read_from_now_on()
    service.members.remove("dora", left_behind, "dora")

    def first_page():
        return service.tasks.assigned_to("dora", statuses=None, limit=1, after=None)

    assert first_page().records == []  # skipped at read time, but not yet out of the index
    assert purge.invoke(purge.records()) == {"batchItemFailures": []}
    assert [t.id for t in first_page().records] == [later.id]


def _doras(workspace_id: str, number: int) -> Task:
    return Task(
        id=f"01DORAS{number:019d}",
        workspace_id=workspace_id,
        title=f"dora's {number}",
        description="",
        status="todo",
        due_date="2027-01-01",
        assignee_id="dora",
        version=1,
        created_at="2026-11-26T08:00:00.000Z",
        updated_at="2026-11-26T08:00:00.000Z",
        created_by="alice",
    )


def test_a_deleted_workspaces_memberships_leave_no_work_behind(service, purge):
    """The purge removes memberships too; their records change nothing more (the workspace is
    gone), and nothing fails."""
    workspace_id, _tasks = workspace_with_bobs_tasks(service)
    purge.read_from_now_on()
    delete(service, workspace_id)
    # The deleting owner's membership leaves in the deletion's own transaction.
    deletion = purge.records()
    assert [r["eventName"] for r in deletion] == ["REMOVE", "MODIFY"]
    assert purge.invoke(deletion) == {"batchItemFailures": []}
    removals = purge.records()
    assert {(r["eventName"], r["dynamodb"]["Keys"]["SK"]["S"]) for r in removals} == {
        ("REMOVE", "MEMBER#bob"),
        ("REMOVE", "MEMBER#carol"),
    }
    assert purge.invoke(removals) == {"batchItemFailures": []}


def test_the_handlers_assigned_keys_are_the_services(purge):
    assert purge.module.assignee_key("W", "U") == keys.assignee_key("W", "U")
    assert purge.module.assigned_key("U") == keys.assigned_key("U")
    assert purge.module.assigned_key("U", "done") == keys.assigned_key("U", "done")
    assert purge.module.BY_ASSIGNEE == keys.BY_ASSIGNEE
    assert (purge.module.TASK_PREFIX, purge.module.DUE_PREFIX, purge.module.MEMBER_PREFIX) == (
        keys.TASK_PREFIX,
        keys.DUE_PREFIX,
        keys.MEMBER_PREFIX,
    )
    assert purge.module.PRIORITY_PREFIX == keys.PRIORITY_PREFIX


@pytest.mark.parametrize("status", ["todo", "in_progress", "done"])
def test_the_handler_puts_back_the_assigned_key_the_service_writes_on_each_item(purge, status):
    """A task, its due entry and its priority entry (issue 22) each carry their own AssignedKey,
    the priority entry only while the task is open."""
    task = dataclasses.replace(_doras("W", 1), status=status, priority="high")
    for item in (task_item(task), task_due_entry_item(task), task_priority_entry_item(task)):
        theirs = purge.module.assigned_key_of(item["SK"], status, "dora")
        assert theirs == item.get("AssignedKey"), item["SK"]
