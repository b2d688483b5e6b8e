"""The audit archive function against moto in-process, with the records the table's stream
really carries (the service's domain code writes the events), and the check of the hash chain
(lambdas/audit_archive/audit_chain.py) that `make audit-verify` runs."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from app.storage import keys
from app.storage.records import deserialize
from tests.support.domain import join
from tests.unit.test_stream_purge import Function, function, local_stack, partition, service_for


@pytest.fixture(scope="module")
def local():
    with local_stack() as stack:
        yield stack


@pytest.fixture
def service(local):
    return service_for(local)


@pytest.fixture
def archive(local) -> Function:
    return function(local, "ArchiveEventSourceMapping")


@pytest.fixture
def chain(archive):
    """audit_chain.py, the module the archive function and the verifier share."""
    import audit_chain  # noqa: PLC0415 -- on the path once the handler is loaded

    return audit_chain


@pytest.fixture
def bucket(archive) -> str:
    return archive.mapping.environment["ARCHIVE_BUCKET"]


@pytest.fixture
def s3(local):
    return local.session.client("s3")


# The events of activity(): the workspace, bob's invitation and his joining, three tasks.
ACTIVITY_EVENTS = 6


def activity(service, name: str = "Plans") -> str:
    """A workspace with members and tasks, each change with its audit event."""
    workspace_id = service.workspaces.create("alice", name).workspace.id
    join(service, "alice", workspace_id, "bob", "member")
    for number in range(3):
        service.tasks.create("bob", workspace_id, {"title": f"{name} task {number}"})
    return workspace_id


def more_activity(service, workspace_id: str) -> None:
    view = service.workspaces.get("alice", workspace_id)
    service.workspaces.rename(
        "alice", workspace_id, name="Renamed", if_match=frozenset({view.workspace.version})
    )
    service.tasks.create("alice", workspace_id, {"title": "later"})


def events_in_table(service, workspace_id: str) -> list[dict]:
    return [deserialize(item) for item in partition(service, keys.audit_pk(workspace_id))]


def objects(s3, bucket: str, chain, workspace_id: str) -> list[tuple[str, bytes]]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=chain.workspace_prefix(workspace_id))
    return [
        (entry["Key"], s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
        for entry in sorted(listing.get("Contents", []), key=lambda e: e["Key"])
    ]


def verified(local, s3, bucket, chain, service):
    report = chain.verify(s3, bucket)
    heads, events = chain.table_state(
        local.session.client("dynamodb"), service.table, report.workspaces
    )
    chain.check_against_table(report, heads, events)
    return report


def test_the_handlers_key_layout_is_the_services(chain):
    assert keys.audit_pk("X") == chain.AUDIT_PREFIX + "X"
    assert not keys.audit_pk("X").startswith(chain.HEAD_PREFIX)
    assert not keys.workspace_pk("X").startswith(chain.HEAD_PREFIX)


def test_each_workspaces_events_become_a_hash_chain_the_verifier_accepts(
    local, service, archive, chain, s3, bucket
):
    first, second = activity(service, "One"), activity(service, "Two")
    records = archive.records()
    # The filter lets the audit events' inserts through, and nothing else the writes made.
    assert len(records) == 2 * ACTIVITY_EVENTS
    assert {r["dynamodb"]["Keys"]["PK"]["S"] for r in records} == {
        keys.audit_pk(first),
        keys.audit_pk(second),
    }
    assert archive.invoke(records) == {"batchItemFailures": []}
    more_activity(service, first)
    assert archive.invoke(archive.records()) == {"batchItemFailures": []}

    (one, two) = objects(s3, bucket, chain, first)
    header_one, events_one = chain.parse(one[1])
    header_two, events_two = chain.parse(two[1])
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    assert one[0] == f"audit/workspace={first}/date={today}/0000000001.ndjson"
    assert (header_one.seq, header_one.previous_key, header_one.previous_sha256) == (1, None, None)
    assert (header_two.seq, header_two.previous_key) == (2, one[0])
    assert header_two.previous_sha256 == chain.sha256(one[1])
    # Each line is the audit item exactly as the table holds it.
    assert events_one + events_two == sorted(events_in_table(service, first), key=lambda e: e["id"])
    assert [e["action"] for e in events_two] == ["workspace.updated", "task.created"]

    report = verified(local, s3, bucket, chain, service)
    assert report.ok, report.problems
    assert (report.workspaces[first].objects, report.workspaces[first].events) == (
        2,
        ACTIVITY_EVENTS + 2,
    )
    assert (report.workspaces[second].objects, report.workspaces[second].events) == (
        1,
        ACTIVITY_EVENTS,
    )


def test_objects_are_locked_encrypted_and_checksummed(service, archive, chain, s3, bucket):
    workspace_id = activity(service)
    archive.invoke(archive.records())
    ((key, body),) = objects(s3, bucket, chain, workspace_id)
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    # The bucket's default retention: governance outside prod, for 30 days (prod has
    # compliance mode: tests/infra/test_stream_templates.py).
    assert head["ObjectLockMode"] == "GOVERNANCE"
    days = (head["ObjectLockRetainUntilDate"] - dt.datetime.now(dt.UTC)).days
    assert 28 <= days <= 30
    assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(chain.sha256(body))).decode()
    assert head["ServerSideEncryption"] == "aws:kms"
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=bucket, Key=key, VersionId=head["VersionId"])


def test_a_replayed_batch_archives_nothing_twice(local, service, archive, chain, s3, bucket):
    workspace_id = activity(service)
    records = archive.records()
    archive.invoke(records)
    # Lambda hands the batch in again (it retries from the first failed record, and what
    # followed it comes again too).
    archive.invoke(records)
    archive.invoke(records[2:])
    assert len(objects(s3, bucket, chain, workspace_id)) == 1
    report = verified(local, s3, bucket, chain, service)
    assert report.ok and report.notes == []


class FailingPuts:
    """An S3 client that cannot write one workspace's objects (an outage, say)."""

    def __init__(self, client, workspace_id: str, times: int = 1_000):
        self._client = client
        self._workspace_id = workspace_id
        self.times = times

    def __getattr__(self, name):
        return getattr(self._client, name)

    def put_object(self, **arguments):
        if self.times and f"workspace={self._workspace_id}/" in arguments["Key"]:
            self.times -= 1
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow"}}, "PutObject")
        return self._client.put_object(**arguments)


def test_a_partial_failure_reports_only_the_failing_workspaces_records(
    local, service, archive, chain, s3, bucket
):
    first, second = activity(service, "One"), activity(service, "Two")
    records = archive.records()
    failing = archive.module.Archiver(
        table=service.table,
        bucket=bucket,
        dynamodb=archive.runtime.dynamodb,
        s3=FailingPuts(s3, first),
    )
    response = archive.invoke(records, runtime=failing)
    first_records = [r for r in records if r["dynamodb"]["Keys"]["PK"]["S"] == keys.audit_pk(first)]
    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in first_records
        ]
    }
    assert objects(s3, bucket, chain, first) == []
    assert len(objects(s3, bucket, chain, second)) == 1
    # When nothing of a batch could be archived, the invocation fails (so Lambda bisects).
    with pytest.raises(RuntimeError, match="no workspace"):
        archive.invoke(first_records, runtime=failing)
    # Lambda hands the batch in again from the first failed record; now it goes through.
    failed_from = records.index(first_records[0])
    assert archive.invoke(records[failed_from:]) == {"batchItemFailures": []}
    assert verified(local, s3, bucket, chain, service).ok


class HeadWritesFail:
    """The function stops after writing the object and before moving the chain's head (a
    timeout, say): the head write fails once."""

    def __init__(self, client):
        self._client = client
        self.failed = False

    def __getattr__(self, name):
        return getattr(self._client, name)

    def put_item(self, **arguments):
        if not self.failed:
            self.failed = True
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "PutItem")
        return self._client.put_item(**arguments)


def test_an_append_stopped_before_its_head_moved_is_adopted_when_retried(
    local, service, archive, chain, s3, bucket
):
    workspace_id = activity(service)
    archive.invoke(archive.records())
    more_activity(service, workspace_id)
    records = archive.records()
    stopping = archive.module.Archiver(
        table=service.table, bucket=bucket, dynamodb=HeadWritesFail(archive.runtime.dynamodb), s3=s3
    )
    with pytest.raises(RuntimeError):
        archive.invoke(records, runtime=stopping)
    # The second object is written; the head still names the first.
    assert len(objects(s3, bucket, chain, workspace_id)) == 2
    # Delivered again, with one more event since: the written object is adopted (not written
    # again), the new event follows it.
    service.tasks.create("bob", workspace_id, {"title": "one more"})
    assert archive.invoke(records + archive.records()) == {"batchItemFailures": []}
    keys_and_bodies = objects(s3, bucket, chain, workspace_id)
    assert [chain.parse(body)[0].events for _, body in keys_and_bodies] == [ACTIVITY_EVENTS, 2, 1]
    report = verified(local, s3, bucket, chain, service)
    assert report.ok and report.notes == [], report.problems


def test_a_lost_head_is_found_again_in_the_bucket(local, service, archive, chain, s3, bucket):
    workspace_id = activity(service)
    archive.invoke(archive.records())
    local.session.client("dynamodb").delete_item(
        TableName=service.table,
        Key={"PK": {"S": chain.HEAD_PREFIX + workspace_id}, "SK": {"S": chain.HEAD_SK}},
    )
    more_activity(service, workspace_id)
    assert archive.invoke(archive.records()) == {"batchItemFailures": []}
    assert verified(local, s3, bucket, chain, service).ok


class ReadsHeadThen:
    """Lets another archive function extend the chain right after this one read the head."""

    def __init__(self, client, meanwhile):
        self._client = client
        self._meanwhile = meanwhile

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_item(self, **arguments):
        item = self._client.get_item(**arguments)
        if self._meanwhile:
            meanwhile, self._meanwhile = self._meanwhile, None
            meanwhile()
        return item


def test_two_appends_racing_never_fork_the_chain(local, service, archive, chain, s3, bucket):
    workspace_id = activity(service)
    archive.invoke(archive.records())
    service.tasks.create("bob", workspace_id, {"title": "first racer"})
    first = archive.records()
    service.tasks.create("bob", workspace_id, {"title": "second racer"})
    second = archive.records()
    racing = archive.module.Archiver(
        table=service.table,
        bucket=bucket,
        dynamodb=ReadsHeadThen(archive.runtime.dynamodb, lambda: archive.invoke(second)),
        s3=s3,
    )
    assert archive.invoke(first, runtime=racing) == {"batchItemFailures": []}
    headers = [chain.parse(body)[0] for _, body in objects(s3, bucket, chain, workspace_id)]
    assert [h.seq for h in headers] == [1, 2, 3]
    report = verified(local, s3, bucket, chain, service)
    assert report.ok and report.notes == []


@pytest.fixture
def two_objects(service, archive, chain, s3, bucket):
    workspace_id = activity(service)
    archive.invoke(archive.records())
    more_activity(service, workspace_id)
    archive.invoke(archive.records())
    return workspace_id, [key for key, _ in objects(s3, bucket, chain, workspace_id)]


def test_the_verifier_finds_an_altered_object(local, service, chain, s3, bucket, two_objects):
    workspace_id, (first, _second) = two_objects
    body = s3.get_object(Bucket=bucket, Key=first)["Body"].read()
    s3.put_object(Bucket=bucket, Key=first, Body=body.replace(b"Plans", b"Plots"))
    report = chain.verify(s3, bucket, workspace_id=workspace_id)
    assert f"{first}: overwritten (2 versions)" in report.problems
    assert any("SHA-256" in problem and first in problem for problem in report.problems)


def test_the_verifier_finds_a_missing_object(local, service, chain, s3, bucket, two_objects):
    workspace_id, (first, _second) = two_objects
    # Governance mode lets a principal allowed to bypass it remove a version (dev only).
    for version in s3.list_object_versions(Bucket=bucket, Prefix=first)["Versions"]:
        s3.delete_object(
            Bucket=bucket, Key=first, VersionId=version["VersionId"], BypassGovernanceRetention=True
        )
    report = chain.verify(s3, bucket, workspace_id=workspace_id)
    assert f"{workspace_id}: objects 1 to 1 of the chain are missing" in report.problems


def test_the_verifier_finds_a_hidden_object_and_a_head_that_does_not_match(
    local, service, chain, s3, bucket, two_objects
):
    _workspace_id, (_first, second) = two_objects
    s3.delete_object(Bucket=bucket, Key=second)
    report = verified(local, s3, bucket, chain, service)
    assert f"{second}: deleted (a delete marker hides it)" in report.problems
    # The newest object is still there under its delete marker, so the head matches; remove
    # its versions too and the head no longer does.
    for version in s3.list_object_versions(Bucket=bucket, Prefix=second)["Versions"]:
        s3.delete_object(
            Bucket=bucket,
            Key=second,
            VersionId=version["VersionId"],
            BypassGovernanceRetention=True,
        )
    report = verified(local, s3, bucket, chain, service)
    assert any("the table's chain head is" in p and second in p for p in report.problems)
    assert any("audit events are not archived" in p for p in report.problems)


def test_the_verifier_cli_exits_non_zero_on_a_broken_chain(
    chain, s3, bucket, two_objects, capsys, monkeypatch
):
    workspace_id, (first, _second) = two_objects
    monkeypatch.setattr("boto3.session.Session.client", lambda self, name, **kw: s3)
    assert chain.main(["--bucket", bucket, "--workspace", workspace_id]) == 0
    assert "The chain is intact: 1 workspaces, 2 objects." in capsys.readouterr().out
    body = s3.get_object(Bucket=bucket, Key=first)["Body"].read()
    lines = body.splitlines(keepends=True)
    event = json.loads(lines[1])
    event["actor_id"] = "mallory"
    s3.put_object(
        Bucket=bucket,
        Key=first,
        Body=lines[0] + json.dumps(event).encode() + b"\n" + b"".join(lines[2:]),
    )
    assert chain.main(["--bucket", bucket, "--workspace", workspace_id]) == 1
    assert "The chain is broken" in capsys.readouterr().err
