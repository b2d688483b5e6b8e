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
_BATCH_GET_KEYS = 100


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
    # How many items DynamoDB read for it (before a filter; what the read is paid for).
    scanned: int = 0


@dataclass(frozen=True)
class SortKeys:
    values: list[str]
    # Whether these are all there are (DynamoDB stopped at the end, not at the limit).
    complete: bool


@dataclass(frozen=True)
class Filter:
    """A FilterExpression with its names and values (app/storage/task_lists.py builds them)."""

    expression: str
    names: dict[str, str]
    values: dict[str, Any]


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

    def get_many(
        self, wanted: Sequence[keys.Key], *, only: Sequence[str] | None = None
    ) -> dict[tuple[str, str], Record]:
        """Strongly consistent BatchGetItem (one call per 100 keys); the result is keyed by
        (PK, SK). With `only`, the items are read for those attributes (and their keys)."""
        found: dict[tuple[str, str], Record] = {}
        for start in range(0, len(wanted), _BATCH_GET_KEYS):
            self._get_batch(wanted[start : start + _BATCH_GET_KEYS], only, found)
        return found

    def _get_batch(
        self,
        wanted: Sequence[keys.Key],
        only: Sequence[str] | None,
        found: dict[tuple[str, str], Record],
    ) -> None:
        request: dict[str, Any] = {"Keys": [serialize(k) for k in wanted], "ConsistentRead": True}
        if only is not None:
            projected = {f"#a{n}": name for n, name in enumerate(("PK", "SK", *only))}
            request["ExpressionAttributeNames"] = projected
            request["ProjectionExpression"] = ", ".join(projected)
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

    def query(
        self,
        *,
        partition: tuple[str, str],
        index: str | None = None,
        sort_prefix: str | None = None,
        sort_between: tuple[str, str] | None = None,
        sort_key: str = "SK",
        sort_after: str | None = None,
        limit: int | None,
        start_key: dict[str, Any] | None = None,
        newest_first: bool = False,
        only: Sequence[str] | None = None,
        where: Filter | None = None,
    ) -> Page:
        """One page of a partition: its items whose sort key begins with `sort_prefix`, lies
        within `sort_between` (both ends included) or sorts after `sort_after`. `only` names
        the attributes to read of each item (its records need no more): DynamoDB then sends
        those, not the keys and index keys that every item also carries. `where` keeps only
        the items it matches, of the `limit` read (no limit: as many as 1 MB holds)."""
        kwargs = self._key_condition(partition, sort_prefix, sort_between, sort_after, sort_key)
        kwargs["ScanIndexForward"] = not newest_first
        if limit is not None:
            kwargs["Limit"] = limit
        if index is None:
            kwargs["ConsistentRead"] = True
        else:
            kwargs["IndexName"] = index
        if start_key:
            kwargs["ExclusiveStartKey"] = serialize(start_key)
        if only is not None:
            projected = {f"#a{number}": name for number, name in enumerate(only)}
            kwargs["ExpressionAttributeNames"] = {**kwargs["ExpressionAttributeNames"], **projected}
            kwargs["ProjectionExpression"] = ", ".join(projected)
        if where is not None:
            kwargs["FilterExpression"] = where.expression
            kwargs["ExpressionAttributeNames"] = {
                **kwargs["ExpressionAttributeNames"],
                **where.names,
            }
            kwargs["ExpressionAttributeValues"] = {
                **kwargs["ExpressionAttributeValues"],
                **serialize(where.values),
            }
        response = self._call("Query", **kwargs)
        next_key = response.get("LastEvaluatedKey")
        return Page(
            records=[record_from_item(item) for item in response.get("Items", [])],
            next_key=deserialize(next_key) if next_key else None,
            scanned=response.get("ScannedCount", 0),
        )

    def sort_keys(self, *, partition: tuple[str, str], sort_prefix: str, limit: int) -> SortKeys:
        """The SKs (and nothing else) of up to `limit` items of a base-table partition whose SK
        begins with `sort_prefix`, strongly consistent."""
        kwargs = self._key_condition(partition, sort_prefix, None)
        kwargs.update(Limit=limit, ConsistentRead=True, ProjectionExpression="#sk")
        response = self._call("Query", **kwargs)
        return SortKeys(
            values=[item["SK"]["S"] for item in response.get("Items", [])],
            complete="LastEvaluatedKey" not in response,
        )

    def count(
        self,
        *,
        partition: tuple[str, str],
        sort_prefix: str | None = None,
        sort_between: tuple[str, str] | None = None,
        sort_after: str | None = None,
        at_most: int | None = None,
    ) -> int:
        """How many items of the base table's partition (strongly consistent, Select=COUNT:
        nothing is sent back but the count), stopping once `at_most` are counted."""
        kwargs = self._key_condition(partition, sort_prefix, sort_between, sort_after)
        kwargs.update(Select="COUNT", ConsistentRead=True)
        counted = 0
        while True:
            if at_most is not None:
                kwargs["Limit"] = at_most - counted
            response = self._call("Query", **kwargs)
            counted += response.get("Count", 0)
            next_key = response.get("LastEvaluatedKey")
            if next_key is None or (at_most is not None and counted >= at_most):
                return counted
            kwargs["ExclusiveStartKey"] = next_key

    @staticmethod
    def _key_condition(
        partition: tuple[str, str],
        sort_prefix: str | None,
        sort_between: tuple[str, str] | None,
        sort_after: str | None = None,
        sort_key: str = "SK",
    ) -> dict[str, Any]:
        attribute, value = partition
        condition = "#pk = :pk"
        names = {"#pk": attribute}
        values: dict[str, Any] = {":pk": value}
        if sort_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sort_key
            values[":prefix"] = sort_prefix
        elif sort_between is not None:
            condition += " AND #sk BETWEEN :low AND :high"
            names["#sk"] = sort_key
            values[":low"], values[":high"] = sort_between
        elif sort_after is not None:
            condition += " AND #sk > :after"
            names["#sk"] = sort_key
            values[":after"] = sort_after
        return {
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
        }

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
