"""Task index: keeps the search's word entries and removes deleted labels from their tasks,
driven by the table's stream (docs/data-model.md, "Search" and "Labels").

The event source mapping delivers two kinds of record (addons/environment/task-index.yml):

- **A task item written or deleted** (SK `TASK#<id>`). The service puts on each task item its
  title's search terms (`search_terms`, app/storage/text_index.py); this function makes the
  word entries (`WORD#<term>#<task id>`, keys only, in the workspace's partition) equal to
  them: it puts the entries of the terms the new image has and the old one had not, and
  deletes those of the terms the old image had and the new one has not (all of them when the
  task is deleted). Records of one task arrive in order (one shard, one invocation at a time
  per shard), so the entries follow the title. A title can have 200 terms (a Japanese title
  of 200 characters: one per character), which is why they are written here, with
  BatchWriteItem, and not in the service's transaction (at most 100 items): docs/data-model.md
  has the measurements.
- **A label deleted** (SK `LABEL#<id>`, REMOVE). Each task that has the label (its label
  entries, `LABELLED#<label id>#<task id>`) loses it: the task item and its due and priority
  entries get the label list without it, one version more and a new `updated_at`, in one
  transaction with the removal of the label entry, on condition that the task is still at the
  version read (a task changed meanwhile is read again). Several tasks at once, so that a label
  on every task of a full workspace (10,000) is gone within the minute the contract allows.
  Nothing is done for a workspace that is deleted: the purge removes everything in it.

Idempotent: a replayed record puts and deletes the same entries again; a label already removed
from a task leaves only its entry to delete. This code is zipped on its own and cannot import
the service's package: tests/unit/test_task_index.py keeps the key layout equal to
app/storage/keys.py.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
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

# The table's key layout (app/storage/keys.py).
WORKSPACE_PREFIX = "WS#"
WORKSPACE_SK = "META"
TASK_PREFIX = "TASK#"
DUE_PREFIX = "DUE#"
PRIORITY_PREFIX = "PRI#"
LABEL_PREFIX = "LABEL#"
LABELLED_PREFIX = "LABELLED#"
WORD_PREFIX = "WORD#"
WORD_ENTRY_TYPE = "word"

BATCH_WRITE_LIMIT = 25  # DynamoDB's maximum per BatchWriteItem call
UNPROCESSED_RETRIES = 8
# A task changed between the read and the transaction is read again this often.
VERSION_RETRIES = 5
# Tasks losing a label at once.
PARALLEL_TASKS = 16
# Stop this long before the invocation's deadline, so the record can still be failed cleanly.
DEADLINE_MARGIN_MS = 15_000

SERVICE = "task-index"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = EphemeralMetrics(namespace="TeamTasks", service=SERVICE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class IndexIncomplete(Exception):
    """The record's work stopped before it finished; the record fails and is delivered again."""


@dataclass(frozen=True)
class WordChange:
    written: int
    deleted: int


def word_key(workspace_id: str, term: str, task_id: str) -> dict[str, Any]:
    return _key(WORKSPACE_PREFIX + workspace_id, f"{WORD_PREFIX}{term}#{task_id}")


def labelled_prefix(label_id: str) -> str:
    return f"{LABELLED_PREFIX}{label_id}#"


def now_rfc3339() -> str:
    """The time as the service writes it: milliseconds, UTC, `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class TaskIndex:
    table: str
    dynamodb: Any
    sleep: Callable[[float], None] = time.sleep
    parallel: int = PARALLEL_TASKS

    # -- word entries ---------------------------------------------------------------------------

    @tracer.capture_method
    def follow_title(
        self,
        workspace_id: str,
        task_id: str,
        old_terms: list[str],
        new_terms: list[str],
    ) -> WordChange:
        added = [t for t in dict.fromkeys(new_terms) if t not in set(old_terms)]
        removed = [t for t in dict.fromkeys(old_terms) if t not in set(new_terms)]
        requests = [
            {"PutRequest": {"Item": {**word_key(workspace_id, t, task_id), **_word_type()}}}
            for t in added
        ] + [{"DeleteRequest": {"Key": word_key(workspace_id, t, task_id)}} for t in removed]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            self._batch_write(requests[start : start + BATCH_WRITE_LIMIT])
        return WordChange(written=len(added), deleted=len(removed))

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = requests
        for attempt in range(UNPROCESSED_RETRIES + 1):
            response = self.dynamodb.batch_write_item(RequestItems={self.table: pending})
            pending = (response.get("UnprocessedItems") or {}).get(self.table, [])
            if not pending:
                return
            if attempt < UNPROCESSED_RETRIES:
                # Full jitter on an exponential backoff, as AWS advises for unprocessed items.
                self.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))  # noqa: S311 -- jitter, not security
        raise IndexIncomplete(f"{len(pending)} word entries stayed unprocessed")

    # -- a deleted label --------------------------------------------------------------------------

    @tracer.capture_method
    def remove_label(
        self, workspace_id: str, label_id: str, remaining_ms: Callable[[], int]
    ) -> int:
        """Takes the label off every task that has it; returns how many tasks had it."""
        if not self._workspace_is_live(workspace_id):
            return 0
        removed = 0
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for task_ids in self._labelled_tasks(workspace_id, label_id):
                if remaining_ms() < DEADLINE_MARGIN_MS:
                    raise IndexIncomplete(f"stopped after {removed} tasks to leave in time")
                done = pool.map(lambda t: self._unlabel(workspace_id, label_id, t), task_ids)
                removed += sum(done)
        return removed

    def _workspace_is_live(self, workspace_id: str) -> bool:
        item = self.dynamodb.get_item(
            TableName=self.table,
            Key=_key(WORKSPACE_PREFIX + workspace_id, WORKSPACE_SK),
            ConsistentRead=True,
            ProjectionExpression="deleted",
        ).get("Item")
        return item is not None and not item.get("deleted", {}).get("BOOL", False)

    def _labelled_tasks(self, workspace_id: str, label_id: str) -> Iterator[list[str]]:
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": WORKSPACE_PREFIX + workspace_id},
                ":prefix": {"S": labelled_prefix(label_id)},
            },
            "ProjectionExpression": "SK",
            "ConsistentRead": True,
        }
        while True:
            page = self.dynamodb.query(**arguments)
            task_ids = [item["SK"]["S"].rsplit("#", 1)[1] for item in page.get("Items", [])]
            if task_ids:
                yield task_ids
            if "LastEvaluatedKey" not in page:
                return
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _unlabel(self, workspace_id: str, label_id: str, task_id: str) -> int:
        pk = WORKSPACE_PREFIX + workspace_id
        entry = _key(pk, labelled_prefix(label_id) + task_id)
        for _ in range(VERSION_RETRIES):
            task = self.dynamodb.get_item(
                TableName=self.table,
                Key=_key(pk, TASK_PREFIX + task_id),
                ConsistentRead=True,
                ProjectionExpression="version, #labels, DueKey, PriorityKey",
                ExpressionAttributeNames={"#labels": "labels"},
            ).get("Item")
            labels = [v["S"] for v in (task or {}).get("labels", {}).get("L", [])]
            if task is None or label_id not in labels:
                self.dynamodb.delete_item(TableName=self.table, Key=entry)
                return 0
            try:
                self.dynamodb.transact_write_items(
                    TransactItems=self._unlabel_parts(pk, task_id, task, label_id, entry)
                )
                return 1
            except ClientError as error:
                reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" not in reasons and "TransactionConflict" not in reasons:
                    raise
        raise IndexIncomplete(f"task {task_id} kept changing")

    def _unlabel_parts(
        self,
        pk: str,
        task_id: str,
        task: dict[str, Any],
        label_id: str,
        entry: dict[str, Any],
    ) -> list[dict[str, Any]]:
        labels = [v for v in task["labels"]["L"] if v["S"] != label_id]
        values = {
            ":labels": {"L": labels},
            ":one": {"N": "1"},
            ":now": {"S": now_rfc3339()},
        }
        update = "SET #labels = :labels, version = version + :one, updated_at = :now"
        names = {"#labels": "labels"}
        parts = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(pk, TASK_PREFIX + task_id),
                    "UpdateExpression": update,
                    "ConditionExpression": "version = :read",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {**values, ":read": task["version"]},
                }
            }
        ]
        copies = [DUE_PREFIX + task["DueKey"]["S"]]
        if "PriorityKey" in task:
            copies.append(PRIORITY_PREFIX + task["PriorityKey"]["S"])
        for sort_key in copies:
            parts.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _key(pk, sort_key),
                        "UpdateExpression": update,
                        # Never an item of its own: an update makes one where there is none.
                        "ConditionExpression": "attribute_exists(PK)",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        parts.append({"Delete": {"TableName": self.table, "Key": entry}})
        return parts


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _word_type() -> dict[str, Any]:
    return {"type": {"S": WORD_ENTRY_TYPE}}


def from_environment(environ: Mapping[str, str], session: Any = None) -> TaskIndex:
    """The index as the function's settings describe it (TABLE_NAME, AWS_REGION)."""
    session = session or boto3.session.Session()
    client = session.client(
        "dynamodb",
        region_name=environ.get("AWS_REGION"),
        config=Config(
            retries={"mode": "standard", "max_attempts": 5},
            max_pool_connections=PARALLEL_TASKS + 2,
        ),
    )
    return TaskIndex(table=environ["TABLE_NAME"], dynamodb=client)


_default: TaskIndex | None = None


def _default_index() -> TaskIndex:
    global _default  # noqa: PLW0603 -- one client per execution environment, as Lambda advises
    if _default is None:
        _default = from_environment(os.environ)
    return _default


def _terms(image: dict[str, Any] | None) -> list[str]:
    return [str(term) for term in (image or {}).get("search_terms") or []]


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, runtime: TaskIndex | None = None) -> dict:
    """Each record of the batch on its own; a record that fails is reported (partial batch
    response), so Lambda retries from it and keeps the rest."""
    index = runtime or _default_index()
    metrics.add_metric(
        name="StreamRecordsReceived", unit=MetricUnit.Count, value=len(event.get("Records", []))
    )

    def handle(record: DynamoDBRecord) -> None:
        keys = record.dynamodb.keys
        pk, sk = keys["PK"], keys["SK"]
        workspace_id = pk.removeprefix(WORKSPACE_PREFIX)
        try:
            if sk.startswith(TASK_PREFIX):
                gone = record.event_name.name == "REMOVE"
                change = index.follow_title(
                    workspace_id,
                    sk.removeprefix(TASK_PREFIX),
                    _terms(record.dynamodb.old_image),
                    [] if gone else _terms(record.dynamodb.new_image),
                )
                metrics.add_metric(
                    name="WordEntriesWritten", unit=MetricUnit.Count, value=change.written
                )
                metrics.add_metric(
                    name="WordEntriesDeleted", unit=MetricUnit.Count, value=change.deleted
                )
            elif sk.startswith(LABEL_PREFIX) and record.event_name.name == "REMOVE":
                label_id = sk.removeprefix(LABEL_PREFIX)
                tasks = index.remove_label(
                    workspace_id, label_id, context.get_remaining_time_in_millis
                )
                logger.info(
                    "removed a deleted label from its tasks",
                    extra={"workspace_id": workspace_id, "label_id": label_id, "tasks": tasks},
                )
                metrics.add_metric(name="TasksUnlabelled", unit=MetricUnit.Count, value=tasks)
        except Exception:
            metrics.add_metric(name="TaskIndexFailures", unit=MetricUnit.Count, value=1)
            logger.exception("could not index the record", extra={"pk": pk, "sk": sk})
            raise

    return process_partial_response(
        event=event, record_handler=handle, processor=processor, context=context
    )
