"""Purge: removes a deleted workspace's items from the table, driven by the table's stream.

The event source mapping delivers only the records of workspace deletions: the workspace item
(`WS#<id>` / `META`) modified from `deleted = false` to `deleted = true`
(addons/environment/stream-purge.yml). For each one the function

1. reads the workspace item, strongly consistent: it must be marked deleted, or be gone already
   (a replay after a finished purge); a live workspace is never touched;
2. queries the workspace's partition (`WS#<id>`: memberships, tasks; strongly consistent, keys
   only, page by page) and deletes what it finds with BatchWriteItem, 25 keys a call, sending
   unprocessed keys again with backoff;
3. deletes the workspace item last, on the condition that it is still marked deleted.

Why nothing survives a purge: every write the API makes to a workspace's items carries, in the
same transaction, the condition that the workspace item exists and is not deleted
(app/storage/writes.py: `require_live_workspace` and the `_LIVE` conditions). Once the deletion
has committed, no transaction can add or change an item of the workspace; its stream record is
emitted after the commit, so the purge's strongly consistent queries see every item that will
ever exist there. A transaction racing the deletion either committed first (and is seen) or is
cancelled.

Idempotent: a replayed record finds fewer items, or none, and deletes those; deleting an item
that is gone is not an error. A purge that would outlast the invocation stops in time and fails
its record, so Lambda hands the record in again and the next attempt carries on.

The audit events (`AUDIT#<id>`) are not touched: the API contract keeps them for their retention
period (their TTL), and the archive function copies each one to S3 as it is written. The
function's IAM policy allows it only keys that begin with `WS#`.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from botocore.config import Config
from botocore.exceptions import ClientError

# The table's key layout (app/storage/keys.py; tests/unit/test_stream_purge.py keeps the two equal:
# this code is zipped on its own and cannot import the service's package).
WORKSPACE_PREFIX = "WS#"
WORKSPACE_SK = "META"

BATCH_WRITE_LIMIT = 25  # DynamoDB's maximum per BatchWriteItem call
UNPROCESSED_RETRIES = 8
# Stop this long before the invocation's deadline, so the record can still be failed cleanly.
DEADLINE_MARGIN_MS = 15_000

SERVICE = "stream-purge"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
# Ephemeral: not shared with other Metrics objects of the process (the local stack runs both
# stream functions in one process; in Lambda each has its own).
metrics = EphemeralMetrics(namespace="TeamTasks", service=SERVICE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class PurgeIncomplete(Exception):
    """The purge stopped before it finished (time ran out, or DynamoDB kept keys unprocessed);
    the record fails and Lambda delivers it again."""


@dataclass(frozen=True)
class PurgeResult:
    workspace_id: str
    items_deleted: int
    seconds: float


@dataclass
class Purger:
    table: str
    dynamodb: Any
    sleep: Callable[[float], None] = time.sleep

    @tracer.capture_method
    def purge(self, workspace_id: str, remaining_ms: Callable[[], int]) -> PurgeResult:
        started = time.monotonic()
        workspace = self._workspace_item(workspace_id)
        if workspace is not None and not workspace.get("deleted", {}).get("BOOL", False):
            # Only a deleted workspace's record passes the filter; never purge a live one.
            logger.warning("the workspace is not marked deleted; nothing purged")
            return PurgeResult(workspace_id, 0, 0.0)
        deleted = 0
        for keys in self._pages_of_keys(workspace_id):
            for start in range(0, len(keys), BATCH_WRITE_LIMIT):
                if remaining_ms() < DEADLINE_MARGIN_MS:
                    raise PurgeIncomplete(
                        f"stopped after {deleted} items to leave the invocation in time"
                    )
                deleted += self._delete(keys[start : start + BATCH_WRITE_LIMIT])
        deleted += self._delete_workspace_item(workspace_id)
        return PurgeResult(workspace_id, deleted, time.monotonic() - started)

    def _workspace_item(self, workspace_id: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.table,
            Key=_key(WORKSPACE_PREFIX + workspace_id, WORKSPACE_SK),
            ConsistentRead=True,
        )
        return response.get("Item")

    def _pages_of_keys(self, workspace_id: str) -> Iterator[list[dict[str, Any]]]:
        """The keys of the partition's items, the workspace item left out (it goes last)."""
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": WORKSPACE_PREFIX + workspace_id}},
            "ProjectionExpression": "PK, SK",
            "ConsistentRead": True,
        }
        while True:
            page = self.dynamodb.query(**arguments)
            keys = [item for item in page.get("Items", []) if item["SK"]["S"] != WORKSPACE_SK]
            if keys:
                yield keys
            if "LastEvaluatedKey" not in page:
                return
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete(self, keys: list[dict[str, Any]]) -> int:
        pending = [{"DeleteRequest": {"Key": key}} for key in keys]
        for attempt in range(UNPROCESSED_RETRIES + 1):
            response = self.dynamodb.batch_write_item(RequestItems={self.table: pending})
            pending = (response.get("UnprocessedItems") or {}).get(self.table, [])
            if not pending:
                return len(keys)
            if attempt < UNPROCESSED_RETRIES:
                # Full jitter on an exponential backoff, as AWS advises for unprocessed items.
                self.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))  # noqa: S311 -- jitter, not security
        raise PurgeIncomplete(f"{len(pending)} keys stayed unprocessed")

    def _delete_workspace_item(self, workspace_id: str) -> int:
        try:
            response = self.dynamodb.delete_item(
                TableName=self.table,
                Key=_key(WORKSPACE_PREFIX + workspace_id, WORKSPACE_SK),
                ConditionExpression="attribute_not_exists(PK) OR deleted = :true",
                ExpressionAttributeValues={":true": {"BOOL": True}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                logger.warning("the workspace item is no longer marked deleted; kept")
                return 0
            raise
        return 1 if response.get("Attributes") else 0


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def from_environment(environ: Mapping[str, str], session: Any = None) -> Purger:
    """The purger as the function's settings describe it (TABLE_NAME, AWS_REGION)."""
    session = session or boto3.session.Session()
    client = session.client(
        "dynamodb",
        region_name=environ.get("AWS_REGION"),
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )
    return Purger(table=environ["TABLE_NAME"], dynamodb=client)


_default: Purger | None = None


def _default_purger() -> Purger:
    global _default  # noqa: PLW0603 -- one client per execution environment, as Lambda advises
    if _default is None:
        _default = from_environment(os.environ)
    return _default


def workspace_of(record: DynamoDBRecord) -> str:
    pk = record.dynamodb.keys["PK"]
    if not pk.startswith(WORKSPACE_PREFIX) or record.dynamodb.keys["SK"] != WORKSPACE_SK:
        raise ValueError(f"not a workspace item: {pk}")
    return pk.removeprefix(WORKSPACE_PREFIX)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, runtime: Purger | None = None) -> dict:
    """Purges each deleted workspace of the batch; a record that fails is reported on its own
    (partial batch response), so Lambda retries from it and keeps the rest."""
    purger = runtime or _default_purger()
    received = len(event.get("Records", []))
    metrics.add_metric(name="StreamRecordsReceived", unit=MetricUnit.Count, value=received)

    def purge_record(record: DynamoDBRecord) -> None:
        workspace_id = workspace_of(record)
        logger.append_keys(workspace_id=workspace_id)
        try:
            result = purger.purge(workspace_id, context.get_remaining_time_in_millis)
            logger.info(
                "purged a deleted workspace",
                extra={"items_deleted": result.items_deleted, "seconds": round(result.seconds, 3)},
            )
        except Exception:
            # Reported as a failed record (retried by Lambda); counted for the errors alarm.
            metrics.add_metric(name="PurgeFailures", unit=MetricUnit.Count, value=1)
            logger.exception("could not purge the workspace")
            raise
        finally:
            logger.remove_keys(["workspace_id"])
        metrics.add_metric(name="WorkspacesPurged", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="ItemsPurged", unit=MetricUnit.Count, value=result.items_deleted)

    return process_partial_response(
        event=event, record_handler=purge_record, processor=processor, context=context
    )
