"""Purge: removes a deleted workspace's items from the table, and keeps a user's index of
assigned tasks true when their membership ends or begins, driven by the table's stream.

The event source mapping delivers the records of workspace deletions (the workspace item,
`WS#<id>` / `META`, modified from `deleted = false` to `deleted = true`) and of memberships
that end or begin (`MEMBER#<user>` items removed or inserted; addons/environment/stream-purge.yml).

For a workspace deletion the function

1. reads the workspace item, strongly consistent: it must be marked deleted, or be gone already
   (a replay after a finished purge); a live workspace is never touched;
2. queries the workspace's partition (`WS#<id>`: memberships, tasks; strongly consistent, keys
   only, page by page) and deletes what it finds with BatchWriteItem, 25 keys a call, sending
   unprocessed keys again with backoff;
3. deletes the workspace item last, on the condition that it is still marked deleted.

An owner's membership goes in a transaction of its own that also counts the workspace back
off the user's owned workspaces (`USER#<id>` / `LIMITS`, the product limit), on the condition
that the membership is still there: the owner's own workspace list may have removed it and
counted it back first (app/domain/workspaces.py), and the count must drop exactly once.

Why nothing survives a purge: every write the API makes to a workspace's items carries, in the
same transaction, the condition that the workspace item exists and is not deleted
(app/storage/writes.py: the `_LIVE` condition on the workspace item that every change writes).
Once the deletion has committed, no transaction can add or change an item of the workspace;
its stream record is emitted after the commit, so the purge's strongly consistent queries see
every item that will ever exist there. A transaction racing the deletion either committed
first (and is seen) or is cancelled.

Idempotent: a replayed record finds fewer items, or none, and deletes those; deleting an item
that is gone is not an error. A purge that would outlast the invocation stops in time and fails
its record, so Lambda hands the record in again and the next attempt carries on.

The audit events (`AUDIT#<id>`) are not touched: the API contract keeps them for their retention
period (their TTL), and the archive function copies each one to S3 as it is written. The
function's IAM policy allows it only keys that begin with `WS#`.

A user's tasks across workspaces (`GET /me/tasks`) are read from the AssignedByDue index, whose
key (`AssignedKey`) each assigned task, its due entry and an open task's priority entry carry. A
task keeps its assignee when the assignee leaves, so without more its entries stayed in the
index and every page had to skip them at read time: a thousand of them put a user's first real
task on page 9 (issue 20, item 4). So, for a membership that ended, the function takes
`AssignedKey` off each of that user's tasks in the workspace (found by the ByAssignee index), on
condition that the task is still assigned to them; for one that began, it puts `AssignedKey`
back on those that lack it, on condition that they are still assigned to the user and unchanged
(status as read). It does neither if the workspace is deleted (the purge removes everything),
nor if the membership is back (or gone again) by the time the record is handled: then a later
record of the same membership, which the stream delivers after this one, does what is due. Every
write the service makes to a task sets `AssignedKey` itself from its assignee, who must be a
member at that moment; so a task of a former member can only lose the key, and a returning
member's get it back. The read-time check of `GET /me/tasks` stays: it covers the seconds before
the record is handled.
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
MEMBER_PREFIX = "MEMBER#"
TASK_PREFIX = "TASK#"
DUE_PREFIX = "DUE#"
PRIORITY_PREFIX = "PRI#"
OPEN_STATUSES = frozenset({"todo", "in_progress"})
OPEN = "OPEN"
BY_ASSIGNEE = "ByAssignee"
ASSIGNED_KEY = "AssignedKey"
OWNER_ROLE = "owner"
USER_PREFIX = "USER#"
USER_LIMITS_SK = "LIMITS"

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


def assignee_key(workspace_id: str, user_id: str) -> str:
    """The ByAssignee partition of a user's tasks in a workspace (app/storage/keys.py)."""
    return f"{WORKSPACE_PREFIX}{workspace_id}#ASSIGNEE#{user_id}"


def assigned_key(user_id: str, status: str | None = None) -> str:
    """AssignedByDue's key: a task item's (all of the user's tasks), a due entry's (those
    with one status), or a priority entry's (status OPEN: the open ones), as
    app/storage/keys.py writes them."""
    return f"ASSIGNED#{user_id}" if status is None else f"ASSIGNED#{user_id}#STATUS#{status}"


def assigned_key_of(sort_key: str, status: str, user_id: str) -> str | None:
    """The AssignedKey the service writes on this item of a task assigned to the user (by its
    SK: the task, its due entry or its priority entry); None for a priority entry of a task
    that is done, which is in no one's open work (app/storage/keys.task_index_keys)."""
    if sort_key.startswith(DUE_PREFIX):
        return assigned_key(user_id, status)
    if sort_key.startswith(PRIORITY_PREFIX):
        return assigned_key(user_id, OPEN) if status in OPEN_STATUSES else None
    return assigned_key(user_id)


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
        for items in self._pages_of_keys(workspace_id):
            keys = []
            for item in items:
                if _is_owner_membership(item):
                    deleted += self._remove_owner(item)
                else:
                    keys.append(_key(item["PK"]["S"], item["SK"]["S"]))
            for start in range(0, len(keys), BATCH_WRITE_LIMIT):
                if remaining_ms() < DEADLINE_MARGIN_MS:
                    raise PurgeIncomplete(
                        f"stopped after {deleted} items to leave the invocation in time"
                    )
                deleted += self._delete(keys[start : start + BATCH_WRITE_LIMIT])
        deleted += self._delete_workspace_item(workspace_id)
        return PurgeResult(workspace_id, deleted, time.monotonic() - started)

    @tracer.capture_method
    def membership_ended(
        self, workspace_id: str, user_id: str, remaining_ms: Callable[[], int]
    ) -> int:
        """Takes the user's tasks in the workspace out of AssignedByDue; returns how many
        items (tasks and their due and priority entries) it changed."""
        if not self._membership_is(workspace_id, user_id, member=False):
            return 0
        changed = 0
        for item in self._assigned_items(workspace_id, user_id):
            if ASSIGNED_KEY not in item:
                continue
            self._in_time(remaining_ms, changed)
            changed += self._update_if(
                item,
                "REMOVE AssignedKey",
                "assignee_id = :user",
                {":user": {"S": user_id}},
            )
        return changed

    @tracer.capture_method
    def membership_began(
        self, workspace_id: str, user_id: str, remaining_ms: Callable[[], int]
    ) -> int:
        """Puts the user's tasks in the workspace back into AssignedByDue; returns how many
        items it changed. Each item found is tried (an index copy may be a moment old): one
        that has its key already fails its condition and is left as it is."""
        if not self._membership_is(workspace_id, user_id, member=True):
            return 0
        changed = 0
        for item in self._assigned_items(workspace_id, user_id):
            status = item["status"]["S"]
            key = assigned_key_of(item["SK"]["S"], status, user_id)
            if key is None:
                continue
            self._in_time(remaining_ms, changed)
            changed += self._update_if(
                item,
                "SET AssignedKey = :key",
                "attribute_not_exists(AssignedKey) AND assignee_id = :user AND #status = :status",
                {
                    ":key": {"S": key},
                    ":user": {"S": user_id},
                    ":status": {"S": status},
                },
                names={"#status": "status"},
            )
        return changed

    def _membership_is(self, workspace_id: str, user_id: str, *, member: bool) -> bool:
        """Whether, right now, the workspace is live and the user is (`member`) or is not a
        member of it, as the record says."""
        workspace = self._workspace_item(workspace_id)
        if workspace is None or workspace.get("deleted", {}).get("BOOL", False):
            return False  # the purge removes everything
        membership = self.dynamodb.get_item(
            TableName=self.table,
            Key=_key(WORKSPACE_PREFIX + workspace_id, MEMBER_PREFIX + user_id),
            ConsistentRead=True,
            ProjectionExpression="PK",
        ).get("Item")
        return (membership is not None) == member

    def _assigned_items(self, workspace_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        """The user's tasks and their entries in the workspace, from the ByAssignee index."""
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": BY_ASSIGNEE,
            "KeyConditionExpression": "AssigneeKey = :assignee",
            "ExpressionAttributeValues": {":assignee": {"S": assignee_key(workspace_id, user_id)}},
            "ProjectionExpression": "PK, SK, #status, AssignedKey",
            "ExpressionAttributeNames": {"#status": "status"},
        }
        while True:
            page = self.dynamodb.query(**arguments)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _update_if(
        self,
        item: dict[str, Any],
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> int:
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(item["PK"]["S"], item["SK"]["S"]),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            arguments["ExpressionAttributeNames"] = names
        try:
            self.dynamodb.update_item(**arguments)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return 0  # reassigned, changed or deleted meanwhile; or already as it should be
            raise
        return 1

    @staticmethod
    def _in_time(remaining_ms: Callable[[], int], done: int) -> None:
        if remaining_ms() < DEADLINE_MARGIN_MS:
            raise PurgeIncomplete(f"stopped after {done} items to leave the invocation in time")

    def _workspace_item(self, workspace_id: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.table,
            Key=_key(WORKSPACE_PREFIX + workspace_id, WORKSPACE_SK),
            ConsistentRead=True,
        )
        return response.get("Item")

    def _pages_of_keys(self, workspace_id: str) -> Iterator[list[dict[str, Any]]]:
        """The keys (and a membership's role) of the partition's items, the workspace item left
        out (it goes last)."""
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": WORKSPACE_PREFIX + workspace_id}},
            "ProjectionExpression": "PK, SK, #role",
            "ExpressionAttributeNames": {"#role": "role"},
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

    def _remove_owner(self, membership: dict[str, Any]) -> int:
        user_id = membership["SK"]["S"].removeprefix(MEMBER_PREFIX)
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": _key(membership["PK"]["S"], membership["SK"]["S"]),
                            "ConditionExpression": "#role = :owner",
                            "ExpressionAttributeNames": {"#role": "role"},
                            "ExpressionAttributeValues": {":owner": {"S": OWNER_ROLE}},
                        }
                    },
                    {"Update": {"TableName": self.table, **owned_count_back(user_id)}},
                ]
            )
        except ClientError as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return 0  # already removed, and counted back, by the owner's own listing
            raise
        return 1

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


def _is_owner_membership(item: dict[str, Any]) -> bool:
    return item["SK"]["S"].startswith(MEMBER_PREFIX) and item.get("role", {}).get("S") == OWNER_ROLE


def owned_count_back(user_id: str) -> dict[str, Any]:
    """The update that takes one workspace off a user's owned count, as the service writes it
    (app/storage/writes.py `count_owned_workspace`; a unit test keeps the two equal)."""
    return {
        "Key": _key(USER_PREFIX + user_id, USER_LIMITS_SK),
        "UpdateExpression": "SET user_id = :user, #type = :type ADD owned :delta",
        "ExpressionAttributeNames": {"#type": "type"},
        "ExpressionAttributeValues": {
            ":delta": {"N": "-1"},
            ":user": {"S": user_id},
            ":type": {"S": "user_limits"},
        },
    }


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


def membership_of(record: DynamoDBRecord) -> tuple[str, str]:
    """The (workspace, user) of a membership item's record."""
    pk, sk = record.dynamodb.keys["PK"], record.dynamodb.keys["SK"]
    if not pk.startswith(WORKSPACE_PREFIX) or not sk.startswith(MEMBER_PREFIX):
        raise ValueError(f"not a membership item: {pk} {sk}")
    return pk.removeprefix(WORKSPACE_PREFIX), sk.removeprefix(MEMBER_PREFIX)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, runtime: Purger | None = None) -> dict:
    """Purges each deleted workspace of the batch, and updates the assigned-task index for each
    membership that ended or began; a record that fails is reported on its own (partial batch
    response), so Lambda retries from it and keeps the rest."""
    purger = runtime or _default_purger()
    received = len(event.get("Records", []))
    metrics.add_metric(name="StreamRecordsReceived", unit=MetricUnit.Count, value=received)

    def purge_workspace(record: DynamoDBRecord) -> None:
        workspace_id = workspace_of(record)
        logger.append_keys(workspace_id=workspace_id)
        result = purger.purge(workspace_id, context.get_remaining_time_in_millis)
        logger.info(
            "purged a deleted workspace",
            extra={"items_deleted": result.items_deleted, "seconds": round(result.seconds, 3)},
        )
        metrics.add_metric(name="WorkspacesPurged", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="ItemsPurged", unit=MetricUnit.Count, value=result.items_deleted)

    def follow_membership(record: DynamoDBRecord) -> None:
        workspace_id, user_id = membership_of(record)
        logger.append_keys(workspace_id=workspace_id)
        began = record.event_name is not None and record.event_name.name == "INSERT"
        change = purger.membership_began if began else purger.membership_ended
        started = time.monotonic()
        items = change(workspace_id, user_id, context.get_remaining_time_in_millis)
        if items:
            logger.info(
                "assigned tasks " + ("shown again" if began else "hidden"),
                extra={
                    "user_id": user_id,
                    "items_changed": items,
                    "seconds": round(time.monotonic() - started, 3),
                },
            )
        name = "AssignedTasksShown" if began else "AssignedTasksHidden"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=items)

    def process(record: DynamoDBRecord) -> None:
        try:
            if record.dynamodb.keys["SK"] == WORKSPACE_SK:
                purge_workspace(record)
            else:
                follow_membership(record)
        except Exception:
            # Reported as a failed record (retried by Lambda); counted for the errors alarm.
            metrics.add_metric(name="PurgeFailures", unit=MetricUnit.Count, value=1)
            logger.exception("could not process the record")
            raise
        finally:
            logger.remove_keys(["workspace_id"])

    return process_partial_response(
        event=event, record_handler=process, processor=processor, context=context
    )
