"""The DynamoDB access layer: the only code that calls DynamoDB.

Reads are strongly consistent where DynamoDB allows it (the base table); index reads are
eventually consistent by nature. Writes are always one TransactWriteItems call. No Scan.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from app.aws import deadline
from app.aws.clients import AwsClients, DependencyUnavailable, error_code, is_unavailable
from app.aws.dynamodb import DynamoDB
from app.storage import keys
from app.storage.records import Membership, Record, deserialize, record_from_item, serialize
from app.storage.writes import CALLER_TAG, Write

# A transaction cancelled only because another one held the same item (TransactionConflict) is
# sent again after a pause drawn at random up to 10 ms x 2^(tries - 1), at most 100 ms, while
# the request's deadline leaves time for it; outside a request, three tries in all.
_CONFLICT_PAUSE_S = 0.01
_CONFLICT_PAUSE_CAP_S = 0.1
_TIME_FOR_A_TRY_S = 0.1
_CONFLICT_TRIES_OUTSIDE_A_REQUEST = 3


class WriteRejected(Exception):
    """A transaction was cancelled because some of its conditions failed.

    `failures` maps the tag of each failed part to the item as it was (None if it did not exist),
    so that the domain can tell "not a member" from "stale version" from "deleted".
    """

    def __init__(self, failures: dict[str, Record | None]):
        self.failures = failures
        super().__init__(f"conditions failed: {', '.join(failures)}")


@dataclass(frozen=True)
class Page:
    records: list[Record]
    # DynamoDB's LastEvaluatedKey, or None on the last page.
    next_key: dict[str, Any] | None


class Store:
    def __init__(self, clients: AwsClients, table_name: str):
        self._clients = clients
        self._table = table_name

    @property
    def _client(self) -> DynamoDB:
        return self._clients.dynamodb

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return self._client.call(operation, {"TableName": self._table, **kwargs})
        except (ClientError, BotoCoreError) as error:
            if is_unavailable(error) or _index_still_building(error):
                raise DependencyUnavailable("DynamoDB", error) from error
            raise

    def ping(self) -> None:
        """One cheap read that proves the table answers (for /readyz)."""
        self._call("GetItem", Key=serialize({"PK": "HEALTH", "SK": "HEALTH"}))

    def get_many(self, wanted: Sequence[keys.Key]) -> dict[tuple[str, str], Record]:
        """Strongly consistent BatchGetItem; the result is keyed by (PK, SK)."""
        request = {"Keys": [serialize(k) for k in wanted], "ConsistentRead": True}
        found: dict[tuple[str, str], Record] = {}
        pending: dict[str, Any] | None = {self._table: request}
        while pending:
            try:
                response = self._client.call("BatchGetItem", {"RequestItems": pending})
            except (ClientError, BotoCoreError) as error:
                if is_unavailable(error):
                    raise DependencyUnavailable("DynamoDB", error) from error
                raise
            for item in response.get("Responses", {}).get(self._table, []):
                found[(item["PK"]["S"], item["SK"]["S"])] = record_from_item(item)
            pending = response.get("UnprocessedKeys") or None
        return found

    def query(
        self,
        *,
        partition: tuple[str, str],
        index: str | None = None,
        sort_prefix: str | None = None,
        limit: int,
        start_key: dict[str, Any] | None = None,
        newest_first: bool = False,
        only: Sequence[str] | None = None,
    ) -> Page:
        """One page of a partition. `only` names the attributes to read of each item (its
        records need no more): DynamoDB then sends those, not the keys and index keys that
        every item also carries."""
        attribute, value = partition
        condition = "#pk = :pk"
        names = {"#pk": attribute}
        values: dict[str, Any] = {":pk": value}
        if sort_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = "SK"
            values[":prefix"] = sort_prefix
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if index is None:
            kwargs["ConsistentRead"] = True
        else:
            kwargs["IndexName"] = index
        if start_key:
            kwargs["ExclusiveStartKey"] = serialize(start_key)
        if only is not None:
            projected = {f"#a{number}": name for number, name in enumerate(only)}
            kwargs["ExpressionAttributeNames"] = {**names, **projected}
            kwargs["ProjectionExpression"] = ", ".join(projected)
        response = self._call("Query", **kwargs)
        next_key = response.get("LastEvaluatedKey")
        return Page(
            records=[record_from_item(item) for item in response.get("Items", [])],
            next_key=deserialize(next_key) if next_key else None,
        )

    def transact_quietly(self, writes: Sequence[Write | None]) -> None:
        """Best-effort cleanup that no longer means anything if it fails (never raises)."""
        try:
            self.transact([w for w in writes if w is not None])
        except (WriteRejected, DependencyUnavailable, ClientError, BotoCoreError):
            return

    def delete_quietly(self, key: keys.Key) -> None:
        """Best-effort cleanup of an item that no longer means anything (never raises)."""
        try:
            self._client.call("DeleteItem", {"TableName": self._table, "Key": serialize(key)})
        except (ClientError, BotoCoreError):
            return

    def transact(self, writes: Sequence[Write]) -> None:
        items = []
        for write in writes:
            request = {"TableName": self._table, **write.request}
            if "ConditionExpression" in request:
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            items.append({write.operation: request})
        for tries in itertools.count(1):
            try:
                self._client.call("TransactWriteItems", {"TransactItems": items})
                return
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    if is_unavailable(error):
                        raise DependencyUnavailable("DynamoDB", error) from error
                    raise
                reasons = error.response.get("CancellationReasons", [])
                failures = _condition_failures(writes, reasons)
                if failures:
                    raise WriteRejected(failures) from error
                if not _only_conflicts(reasons):
                    # A part that DynamoDB refused as invalid is our bug, not an outage.
                    raise
                # Another transaction held one of the items; ours changed nothing. Try again.
                if not deadline.wait_for_another_try(
                    tries=tries,
                    base_s=_CONFLICT_PAUSE_S,
                    cap_s=_CONFLICT_PAUSE_CAP_S,
                    needs_s=_TIME_FOR_A_TRY_S,
                    tries_outside=_CONFLICT_TRIES_OUTSIDE_A_REQUEST,
                ):
                    raise DependencyUnavailable("DynamoDB", error) from error
            except BotoCoreError as error:
                if is_unavailable(error):
                    raise DependencyUnavailable("DynamoDB", error) from error
                raise


def _index_still_building(error: Exception) -> bool:
    """A new index answers only once DynamoDB has filled it (after a migration adds one):
    until then a read of it is a temporary outage, not a bad request."""
    return (
        isinstance(error, ClientError)
        and error_code(error) == "ValidationException"
        and "backfilling" in str(error).lower()
    )


_CONFLICT_CODES = frozenset({"None", "TransactionConflict", "ThrottlingError"})


def _only_conflicts(reasons: list[dict[str, Any]]) -> bool:
    """Whether a cancellation says only "try again": other transactions held the items, or
    capacity ran short."""
    return all(reason.get("Code", "None") in _CONFLICT_CODES for reason in reasons)


def _condition_failures(
    writes: Sequence[Write], reasons: list[dict[str, Any]]
) -> dict[str, Record | None]:
    failures: dict[str, Record | None] = {}
    for write, reason in zip(writes, reasons, strict=False):
        if reason.get("Code") == "ConditionalCheckFailed":
            item = reason.get("Item")
            record = record_from_item(item) if item else None
            failures[_failed_condition(write, record)] = record
    return failures


def _failed_condition(write: Write, record: Record | None) -> str:
    """The tag of the condition that failed. A part that also carries the caller's condition
    (writes.on_behalf_of) failed on the caller's account when the caller, as the item was,
    is no longer a member with one of the roles it requires."""
    if write.caller_roles is None:
        return write.tag
    if isinstance(record, Membership) and record.role in write.caller_roles:
        return write.tag
    return CALLER_TAG
