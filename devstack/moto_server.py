"""moto's server, with two changes that make it behave more like DynamoDB (and fast enough
for the test suite).

1. One request at a time. DynamoDB applies each request, a transaction included, atomically.
   moto's threaded server does not lock its backends, so two concurrent conditional writes can
   both see their condition hold and both succeed, which DynamoDB never allows.
2. Transactions check every condition first, against the state before the transaction, as
   DynamoDB does, and are applied only when all hold. moto instead applies the parts one by one
   and, to be able to roll back, deep-copies the whole table once per part: a transaction then
   costs time in proportion to everything in the table (about a second per transaction at a few
   thousand items). With the conditions checked up front there is nothing to roll back, so the
   copies are skipped.
"""

from __future__ import annotations

import argparse
import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def one_at_a_time(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    lock = threading.Lock()

    def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serialised


def _failed_conditions(backend: Any, transact_items: list[dict[str, Any]]) -> list[Any]:
    """moto's cancellation reasons, one per part, from the state before the transaction."""
    reasons: list[Any] = []
    for entry in transact_items:
        ((operation, request),) = entry.items()
        table = backend.get_table(request["TableName"])
        if operation == "Put":
            attributes = request["Item"]
            key = {table.hash_key_attr: attributes[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attributes[table.range_key_attr]
        else:
            key = request["Key"]
        expression = request.get("ConditionExpression")
        if expression is None:
            reasons.append((None, None, None))
            continue
        current = backend.get_item(request["TableName"], key)
        condition = get_filter_expression(
            expression,
            request.get("ExpressionAttributeNames"),
            request.get("ExpressionAttributeValues"),
        )
        if condition.expr(current):
            reasons.append((None, None, None))
            continue
        old = None
        if request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
            old = current.to_json()["Attributes"]
        reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
    return reasons


class _TablesAreNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB models during a transaction whose
    conditions were all checked already: tables are handed back as they are."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


_moto_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _conditions_first(self: Any, transact_items: list[dict[str, Any]]) -> None:
    reasons = _failed_conditions(self, transact_items)
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    dynamodb_models.copy = _TablesAreNotCopied  # type: ignore[assignment]
    try:
        _moto_transact_write_items(self, transact_items)
    finally:
        dynamodb_models.copy = copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    arguments = parser.parse_args()
    dynamodb_models.DynamoDBBackend.transact_write_items = _conditions_first
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        arguments.host,
        arguments.port,
        one_at_a_time(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
