"""Audit archive: copies each new audit event from the table's stream to S3, hash-chained.

The event source mapping delivers only the inserts of audit events (keys `AUDIT#<workspace>` /
`<event id>`; addons/environment/stream-archive.yml). The function groups a batch's events by
workspace and appends one object per workspace to that workspace's chain (audit_chain.py has the
format): the events as the table holds them, and a header naming the SHA-256 of the previous
object. The bucket has Object Lock, so no version of an object can be removed or replaced before
its retention ends (in prod not even by the account's root user).

The chain's head (the newest object's key, digest and sequence number, and the ids of the events
archived last) is kept in the table under `ARCHIVE#<workspace>` / `HEAD`, and moved forward with
a conditional write: two invocations can never both extend the chain from the same object. A
lost head costs a listing: the function then finds the newest object in the bucket itself; a
head that names an object the bucket's next one does not follow stops the archive (errors alarm)
rather than fork the chain. An append is safe to repeat:

- the object is written with `If-None-Match: *`, so an existing object is never replaced; if
  the object for the next sequence number exists already (an earlier attempt stopped between the
  object and the head), it is adopted as the head and the append carries on after it;
- events the head lists as archived last are skipped, so records Lambda delivers again (it
  retries from the first failed record) are not archived twice. Lambda re-delivers at most one
  batch back, and the head remembers the last RECENT_IDS ids, twice the batch size.

A workspace whose append fails has its records reported as failed (partial batch response);
the other workspaces' objects are written.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import audit_chain
import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBStreamEvent,
)
from boto3.dynamodb.types import Binary, TypeDeserializer
from botocore.config import Config
from botocore.exceptions import ClientError

AUDIT_PREFIX = audit_chain.AUDIT_PREFIX
RECENT_IDS = 200
APPEND_ATTEMPTS = 4

SERVICE = "audit-archive"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
# Ephemeral: not shared with other Metrics objects of the process (the local stack runs both
# stream functions in one process; in Lambda each has its own).
metrics = EphemeralMetrics(namespace="TeamTasks", service=SERVICE)
_deserializer = TypeDeserializer()


class ChainConflict(Exception):
    """The chain moved while this append was being made; the append is tried again."""


@dataclass(frozen=True)
class Head:
    seq: int
    key: str | None
    sha256: str | None
    recent_ids: tuple[str, ...]
    # False when the table had no head and it was read from the bucket.
    stored: bool = True


# S3's answers to If-None-Match when the key exists (409: a concurrent write of the same key).
_ALREADY_THERE = ("PreconditionFailed", "ConditionalRequestConflict")

GENESIS = Head(seq=0, key=None, sha256=None, recent_ids=(), stored=False)


@dataclass
class Archiver:
    table: str
    bucket: str
    dynamodb: Any
    s3: Any

    @tracer.capture_method
    def append(self, workspace_id: str, events: list[dict[str, Any]]) -> str | None:
        """Adds the events not archived yet as the next object of the workspace's chain;
        returns its key (None if every event was archived already)."""
        for _ in range(APPEND_ATTEMPTS):
            head = self._head(workspace_id)
            new = [e for e in events if e["id"] not in head.recent_ids]
            if not new:
                return None
            try:
                return self._append_after(head, workspace_id, new)
            except ChainConflict as conflict:
                logger.info("the chain moved; appending again", extra={"reason": str(conflict)})
        raise ChainConflict(f"the chain of {workspace_id} kept moving")

    def _append_after(self, head: Head, workspace_id: str, events: list[dict[str, Any]]) -> str:
        seq = head.seq + 1
        header = audit_chain.Header(
            workspace_id=workspace_id,
            seq=seq,
            previous_key=head.key,
            previous_sha256=head.sha256,
            events=len(events),
            first_event_id=events[0]["id"],
            last_event_id=events[-1]["id"],
        )
        body = audit_chain.render(header, events)
        digest = audit_chain.sha256(body)
        key = audit_chain.object_key(workspace_id, _date_of(events[0]), seq)
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/x-ndjson",
                # The SDK sends the body's SHA-256, S3 checks the upload against it and keeps
                # it (an Object Lock bucket refuses an upload without a checksum).
                ChecksumAlgorithm="SHA256",
                IfNoneMatch="*",
                Metadata={"sha256": digest, "previous-sha256": head.sha256 or ""},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] not in _ALREADY_THERE:
                raise
            self._adopt(head, workspace_id, key)
            raise ChainConflict(f"{key} exists already") from error
        ids = tuple(e["id"] for e in events)
        self._move_head(workspace_id, head, seq=seq, key=key, digest=digest, ids=ids)
        metrics.add_metric(name="AuditEventsArchived", unit=MetricUnit.Count, value=len(events))
        logger.info("archived audit events", extra={"key": key, "events": len(events)})
        return key

    def _head(self, workspace_id: str) -> Head:
        item = self.dynamodb.get_item(
            TableName=self.table, Key=_head_key(workspace_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return self._head_from_bucket(workspace_id)
        return Head(
            seq=int(item["seq"]["N"]),
            key=item["key"]["S"],
            sha256=item["sha256"]["S"],
            recent_ids=tuple(value["S"] for value in item.get("recent_ids", {}).get("L", [])),
        )

    def _head_from_bucket(self, workspace_id: str) -> Head:
        """The newest object of the chain, found by listing (the table has no head)."""
        newest: tuple[int, str] | None = None
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(
            Bucket=self.bucket, Prefix=audit_chain.workspace_prefix(workspace_id)
        ):
            for entry in page.get("Contents", []):
                match = audit_chain.KEY_PATTERN.match(entry["Key"])
                if match and (newest is None or int(match["seq"]) > newest[0]):
                    newest = (int(match["seq"]), entry["Key"])
        if newest is None:
            return GENESIS
        header, events, digest = self._read(newest[1])
        return Head(header.seq, newest[1], digest, tuple(e["id"] for e in events), stored=False)

    def _read(self, key: str) -> tuple[audit_chain.Header, list[dict[str, Any]], str]:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        header, events = audit_chain.parse(body)
        return header, events, audit_chain.sha256(body)

    def _adopt(self, head: Head, workspace_id: str, key: str) -> None:
        """The next object exists: an earlier attempt wrote it and stopped before moving the
        head (or another invocation is moving it now). If it extends the chain from this head,
        the head moves to it; otherwise the chain and its head disagree, and nothing is
        written (the function fails until someone looks: docs/stream-processing.md)."""
        header, events, digest = self._read(key)
        if (header.previous_key, header.previous_sha256) != (head.key, head.sha256):
            raise ChainConflict(f"{key} does not follow {head.key}")
        ids = tuple(e["id"] for e in events)
        self._move_head(workspace_id, head, seq=header.seq, key=key, digest=digest, ids=ids)
        logger.warning("adopted an object an earlier attempt wrote", extra={"key": key})

    def _move_head(
        self,
        workspace_id: str,
        head: Head,
        *,
        seq: int,
        key: str,
        digest: str,
        ids: tuple[str, ...],
    ) -> None:
        """Conditional on the head being where this append found it."""
        if head.stored:
            condition = {
                "ConditionExpression": "seq = :previous",
                "ExpressionAttributeValues": {":previous": {"N": str(head.seq)}},
            }
        else:
            condition = {"ConditionExpression": "attribute_not_exists(PK)"}
        item = {
            **_head_key(workspace_id),
            "type": {"S": "archive_head"},
            "workspace_id": {"S": workspace_id},
            "seq": {"N": str(seq)},
            "key": {"S": key},
            "sha256": {"S": digest},
            "recent_ids": {"L": [{"S": i} for i in (head.recent_ids + ids)[-RECENT_IDS:]]},
            "updated_at": {"S": datetime.now(UTC).isoformat(timespec="milliseconds")},
        }
        try:
            self.dynamodb.put_item(TableName=self.table, Item=item, **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ChainConflict("the head moved meanwhile") from error
            raise


def _head_key(workspace_id: str) -> dict[str, Any]:
    return {"PK": {"S": audit_chain.HEAD_PREFIX + workspace_id}, "SK": {"S": audit_chain.HEAD_SK}}


def _date_of(event: dict[str, Any]) -> str:
    at = str(event.get("at", ""))
    if len(at) >= 10 and at[4] == "-" and at[7] == "-":
        return at[:10]
    return datetime.now(UTC).strftime("%Y-%m-%d")


def event_of(record: DynamoDBRecord) -> dict[str, Any]:
    """The audit item as the table holds it, in plain JSON types."""
    image = record.raw_event["dynamodb"]["NewImage"]
    return {name: _plain(_deserializer.deserialize(value)) for name, value in image.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return base64.b64encode(value.value).decode()
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def from_environment(environ: Mapping[str, str], session: Any = None) -> Archiver:
    """The archiver as the function's settings describe it (TABLE_NAME, ARCHIVE_BUCKET)."""
    session = session or boto3.session.Session()
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    region = environ.get("AWS_REGION")
    return Archiver(
        table=environ["TABLE_NAME"],
        bucket=environ["ARCHIVE_BUCKET"],
        dynamodb=session.client("dynamodb", region_name=region, config=config),
        s3=session.client("s3", region_name=region, config=config),
    )


_default: Archiver | None = None


def _default_archiver() -> Archiver:
    global _default  # noqa: PLW0603 -- one client per execution environment, as Lambda advises
    if _default is None:
        _default = from_environment(os.environ)
    return _default


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, runtime: Archiver | None = None) -> dict:
    archiver = runtime or _default_archiver()
    received = len(event.get("Records", []))
    metrics.add_metric(name="StreamRecordsReceived", unit=MetricUnit.Count, value=received)
    by_workspace: dict[str, list[DynamoDBRecord]] = {}
    for record in DynamoDBStreamEvent(event).records:
        pk = record.dynamodb.keys["PK"]
        by_workspace.setdefault(pk.removeprefix(AUDIT_PREFIX), []).append(record)
    failed: list[str] = []
    for workspace_id, records in by_workspace.items():
        try:
            archiver.append(workspace_id, [event_of(r) for r in records])
        except Exception:
            logger.exception(
                "could not archive a workspace's events", extra={"workspace_id": workspace_id}
            )
            failed.extend(r.dynamodb.sequence_number for r in records)
    if failed:
        metrics.add_metric(name="AuditArchiveFailures", unit=MetricUnit.Count, value=len(failed))
    if failed and len(failed) == sum(len(r) for r in by_workspace.values()):
        # Nothing was archived: fail the invocation, so that Lambda bisects the batch.
        raise RuntimeError(f"no workspace of the batch could be archived ({len(by_workspace)})")
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}
