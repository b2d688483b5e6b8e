"""The audit archive's format, and the check of its hash chain.

Each workspace's audit events are archived as a chain of S3 objects, one per batch:

    audit/workspace=<workspace id>/date=<YYYY-MM-DD>/<seq, 10 digits>.ndjson

partitioned by workspace and by the date of the batch's first event (so a query engine reads
one workspace's day without listing the rest). An object is newline-delimited JSON: a header
line, then one line per event, each the audit item exactly as the table held it. The header
names the object's place in the chain and the SHA-256 of the object before it:

    {"chain": "teamtasks-audit/1", "workspace_id": "...", "seq": 7,
     "previous_key": "audit/workspace=.../0000000006.ndjson", "previous_sha256": "<hex>",
     "events": 12, "first_event_id": "...", "last_event_id": "..."}

The first object of a workspace has seq 1 and no previous. Since each digest covers the header,
which covers the digest before it, the newest object's digest vouches for the whole chain: an
altered object no longer matches the digest its successor names, a missing one leaves a gap in
the sequence numbers, and an object slipped in names a predecessor that is not the one before it.
Object Lock keeps every version; the check also lists versions, so an overwrite (a second
version) or a delete marker shows even where the newest version was made to fit.

Run as a script it checks a bucket: `python3 audit_chain.py --bucket NAME [--table TABLE]`
(docs/stream-processing.md). With --table it also checks that the newest object matches the
chain's head as the archive function recorded it in the table, and that every audit event still
in the table is in the archive.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

CHAIN_FORMAT = "teamtasks-audit/1"
PREFIX = "audit/"
KEY_PATTERN = re.compile(
    r"^audit/workspace=(?P<workspace>[^/]+)/date=(?P<date>\d{4}-\d{2}-\d{2})/(?P<seq>\d{10})\.ndjson$"
)
# The chain's head, kept in the table by the archive function (app/storage/keys.py has the other
# prefixes; tests/unit/test_stream_archive.py keeps these in step with it).
HEAD_PREFIX = "ARCHIVE#"
HEAD_SK = "HEAD"
AUDIT_PREFIX = "AUDIT#"


@dataclass(frozen=True)
class Header:
    workspace_id: str
    seq: int
    previous_key: str | None
    previous_sha256: str | None
    events: int
    first_event_id: str
    last_event_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "chain": CHAIN_FORMAT,
            "workspace_id": self.workspace_id,
            "seq": self.seq,
            "previous_key": self.previous_key,
            "previous_sha256": self.previous_sha256,
            "events": self.events,
            "first_event_id": self.first_event_id,
            "last_event_id": self.last_event_id,
        }


def object_key(workspace_id: str, date: str, seq: int) -> str:
    return f"{PREFIX}workspace={workspace_id}/date={date}/{seq:010d}.ndjson"


def workspace_prefix(workspace_id: str) -> str:
    return f"{PREFIX}workspace={workspace_id}/"


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _line(value: dict[str, Any]) -> bytes:
    # One canonical form, so the same events always make the same bytes.
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode()


def render(header: Header, events: list[dict[str, Any]]) -> bytes:
    if header.events != len(events):
        raise ValueError("the header counts a different number of events")
    return _line(header.as_json()) + b"".join(_line(event) for event in events)


def parse(body: bytes) -> tuple[Header, list[dict[str, Any]]]:
    lines = body.decode().splitlines()
    if not lines:
        raise ValueError("empty object")
    first = json.loads(lines[0])
    if first.get("chain") != CHAIN_FORMAT:
        raise ValueError(f"not a {CHAIN_FORMAT} object")
    header = Header(
        workspace_id=first["workspace_id"],
        seq=first["seq"],
        previous_key=first["previous_key"],
        previous_sha256=first["previous_sha256"],
        events=first["events"],
        first_event_id=first["first_event_id"],
        last_event_id=first["last_event_id"],
    )
    return header, [json.loads(line) for line in lines[1:]]


# -- checking a bucket ------------------------------------------------------------------------


@dataclass
class WorkspaceReport:
    workspace_id: str
    objects: int = 0
    events: int = 0
    event_ids: set[str] = field(default_factory=set)
    newest_key: str | None = None
    newest_sha256: str | None = None


@dataclass
class Report:
    workspaces: dict[str, WorkspaceReport] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _versions(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for version in page.get("Versions", []):
            yield {**version, "DeleteMarker": False}
        for marker in page.get("DeleteMarkers", []):
            yield {**marker, "DeleteMarker": True}


def verify(s3: Any, bucket: str, *, workspace_id: str | None = None) -> Report:
    """Checks every workspace's chain in the bucket (or one workspace's)."""
    report = Report()
    prefix = workspace_prefix(workspace_id) if workspace_id else PREFIX
    by_key: dict[str, list[dict[str, Any]]] = {}
    for version in _versions(s3, bucket, prefix):
        by_key.setdefault(version["Key"], []).append(version)
    chains: dict[str, list[tuple[int, str, str]]] = {}
    for key, versions in sorted(by_key.items()):
        # S3 lists a key's versions newest first.
        kept = [v for v in versions if not v["DeleteMarker"]]
        if any(v["DeleteMarker"] for v in versions):
            report.problems.append(f"{key}: deleted (a delete marker hides it)")
        if len(kept) > 1:
            report.problems.append(f"{key}: overwritten ({len(kept)} versions)")
        match = KEY_PATTERN.match(key)
        if match is None:
            report.problems.append(f"{key}: not an archive object's name")
            continue
        if kept:
            # The newest version: what a reader sees (older ones are reported above).
            newest = next((v for v in kept if v.get("IsLatest")), kept[0])
            chains.setdefault(match["workspace"], []).append(
                (int(match["seq"]), key, newest["VersionId"])
            )
    for workspace, objects in sorted(chains.items()):
        report.workspaces[workspace] = _verify_chain(s3, bucket, workspace, objects, report)
    return report


def _verify_chain(
    s3: Any,
    bucket: str,
    workspace_id: str,
    objects: list[tuple[int, str, str]],
    report: Report,
) -> WorkspaceReport:
    result = WorkspaceReport(workspace_id)
    previous: tuple[str, str] | None = None  # key, digest
    expected_seq = 1
    for seq, key, version_id in sorted(objects):
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"].read()
        digest = sha256(body)
        result.objects += 1
        if seq < expected_seq:
            report.problems.append(f"{key}: a second object with seq {seq}, off the chain")
            continue
        if seq > expected_seq:
            report.problems.append(
                f"{workspace_id}: objects {expected_seq} to {seq - 1} of the chain are missing"
            )
        expected_seq = seq + 1
        try:
            header, events = parse(body)
        except (ValueError, KeyError, json.JSONDecodeError) as error:
            report.problems.append(f"{key}: unreadable ({error})")
            previous = (key, digest)
            continue
        expected = (None, None) if previous is None else previous
        if (header.previous_key, header.previous_sha256) != expected:
            report.problems.append(
                f"{key}: names {header.previous_key} with SHA-256 {header.previous_sha256}, "
                f"but the object before it is {expected[0]} with SHA-256 {expected[1]}"
            )
        if header.workspace_id != workspace_id or header.seq != seq:
            report.problems.append(
                f"{key}: its header says workspace {header.workspace_id}, seq {header.seq}"
            )
        if header.events != len(events) or any(
            e.get("workspace_id") != workspace_id for e in events
        ):
            report.problems.append(f"{key}: its events do not match its header")
        for event in events:
            if event.get("id") in result.event_ids:
                report.notes.append(f"{key}: event {event.get('id')} archived twice")
            result.event_ids.add(event.get("id"))
        result.events += len(events)
        previous = (key, digest)
    if previous is not None:
        result.newest_key, result.newest_sha256 = previous
    return result


def check_against_table(
    report: Report, heads: dict[str, dict[str, Any]], table_events: dict[str, Iterable[str]]
) -> None:
    """The chain's head as the table records it must be the newest object, and every audit
    event still in the table must be archived."""
    for workspace_id, head in heads.items():
        archived = report.workspaces.get(workspace_id)
        if archived is None or (head["key"], head["sha256"]) != (
            archived.newest_key,
            archived.newest_sha256,
        ):
            newest = (archived.newest_key, archived.newest_sha256) if archived else (None, None)
            report.problems.append(
                f"{workspace_id}: the table's chain head is {head['key']} "
                f"(SHA-256 {head['sha256']}), the archive's newest object is {newest[0]} "
                f"(SHA-256 {newest[1]})"
            )
    for workspace_id, event_ids in table_events.items():
        archived_ids = report.workspaces.get(workspace_id, WorkspaceReport(workspace_id)).event_ids
        missing = sorted(set(event_ids) - archived_ids)
        if missing:
            report.problems.append(
                f"{workspace_id}: {len(missing)} audit events are not archived (first {missing[0]})"
            )


def table_state(dynamodb: Any, table: str, workspaces: Iterable[str]) -> tuple[dict, dict]:
    """The chain heads and the audit event ids the table holds for these workspaces (key
    queries, no Scan)."""
    heads: dict[str, dict[str, Any]] = {}
    events: dict[str, list[str]] = {}
    for workspace_id in workspaces:
        item = dynamodb.get_item(
            TableName=table,
            Key={"PK": {"S": HEAD_PREFIX + workspace_id}, "SK": {"S": HEAD_SK}},
            ConsistentRead=True,
        ).get("Item")
        if item:
            heads[workspace_id] = {"key": item["key"]["S"], "sha256": item["sha256"]["S"]}
        ids: list[str] = []
        for page in dynamodb.get_paginator("query").paginate(
            TableName=table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": AUDIT_PREFIX + workspace_id}},
            ProjectionExpression="SK",
            ConsistentRead=True,
        ):
            ids.extend(item["SK"]["S"] for item in page.get("Items", []))
        events[workspace_id] = ids
    return heads, events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the audit archive's hash chain.")
    parser.add_argument("--bucket", required=True, help="the archive bucket")
    parser.add_argument("--table", help="also compare with the table's heads and audit events")
    parser.add_argument("--workspace", help="check one workspace only")
    parser.add_argument("--endpoint-url", help="an AWS-compatible endpoint (the local stack)")
    parser.add_argument("--region", help="the AWS region (default: the SDK's)")
    arguments = parser.parse_args(argv)
    import boto3  # noqa: PLC0415 -- the format functions above need no SDK

    session = boto3.session.Session(region_name=arguments.region)
    s3 = session.client("s3", endpoint_url=arguments.endpoint_url)
    report = verify(s3, arguments.bucket, workspace_id=arguments.workspace)
    if arguments.table:
        dynamodb = session.client("dynamodb", endpoint_url=arguments.endpoint_url)
        workspaces = [arguments.workspace] if arguments.workspace else list(report.workspaces)
        check_against_table(report, *table_state(dynamodb, arguments.table, workspaces))
    for workspace in report.workspaces.values():
        print(
            f"workspace {workspace.workspace_id}: {workspace.objects} objects, "
            f"{workspace.events} events"
        )
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    objects = sum(w.objects for w in report.workspaces.values())
    if report.ok:
        print(f"The chain is intact: {len(report.workspaces)} workspaces, {objects} objects.")
        return 0
    print(f"The chain is broken: {len(report.problems)} problems.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
