"""What every migration's pass shares: a DynamoDB client for a long pass, the service's storage
layer over it, and a resumable, segmentable Scan that hands each item to the migration.

A Scan is the right tool for a one-off pass over every item; the service itself never scans.
With a checkpoint file, the scan position is saved after every page (atomically), and a later
run with the same file goes on from there; a segment (of `segments`) lets several processes
share a big table, one checkpoint each."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import boto3
from botocore import xform_name
from botocore.config import Config

from app.storage.records import deserialize, serialize
from app.storage.table import Store


class _BotocoreCalls:
    """The service's DynamoDB client's `call` (app/aws/dynamodb.py) over this tool's botocore
    client, so that the pass keeps its own long timeouts and retries."""

    def __init__(self, dynamodb: Any):
        self._dynamodb = dynamodb

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return getattr(self._dynamodb, xform_name(operation))(**params)


class _Clients:
    """What Store needs: a DynamoDB client with `call`."""

    def __init__(self, dynamodb: Any):
        self.dynamodb = _BotocoreCalls(dynamodb)


def store_over(dynamodb: Any, table: str) -> Store:
    """The service's storage layer (its item shapes, its writes) over a migration's client."""
    return Store(_Clients(dynamodb), table)


def client() -> Any:
    """A DynamoDB client for a long pass (credentials, region and, for the emulator,
    AWS_ENDPOINT_URL from the environment as boto3 reads them): longer timeouts than the
    service's, standard retries, so throttling slows the migration down instead of stopping it."""
    config = Config(
        connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 10}
    )
    return boto3.client("dynamodb", config=config)


def scan(
    dynamodb: Any,
    table: str,
    handle: Callable[[dict[str, Any]], None],
    *,
    checkpoint: Path | None = None,
    segment: int = 0,
    segments: int = 1,
    page_size: int = 500,
    max_pages: int | None = None,
    progress: Callable[[str], Any] = print,
) -> int | None:
    """`handle(item)` for every item of one scan segment, from the checkpoint on; `max_pages`
    stops early (a later run with the same checkpoint goes on). Returns the pages read, or None
    when the checkpoint says the segment is complete already."""
    state = _load(checkpoint)
    if state.get("complete"):
        progress(f"{checkpoint} says this segment is complete; delete it to run again")
        return None
    start = state.get("start_key")
    pages = 0
    while max_pages is None or pages < max_pages:
        arguments: dict[str, Any] = {
            "TableName": table,
            "Limit": page_size,
            "Segment": segment,
            "TotalSegments": segments,
            "ConsistentRead": True,
        }
        if start:
            arguments["ExclusiveStartKey"] = serialize(start)
        page = dynamodb.scan(**arguments)
        for item in page.get("Items", []):
            handle(item)
        pages += 1
        last = page.get("LastEvaluatedKey")
        start = deserialize(last) if last else None
        _save(checkpoint, {"start_key": start, "complete": start is None})
        if start is None:
            break
    return pages


def run_pass(
    dynamodb: Any,
    table: str,
    handle: Callable[[dict[str, Any]], None],
    counts: Any,
    *,
    progress: Callable[[str], Any] = print,
    **scanning: Any,
) -> Any:
    """`scan` with a migration's `handle` and its `counts` (a dataclass with `pages`), which it
    prints as one JSON line at the end; empty counts when the checkpoint says it was done."""
    pages = scan(dynamodb, table, handle, progress=progress, **scanning)
    if pages is None:
        return type(counts)()
    counts.pages = pages
    progress(json.dumps(asdict(counts)))
    return counts


def main(
    argv: list[str] | None,
    description: str,
    run: Callable[..., Any],
    *,
    configure: Callable[[argparse.ArgumentParser], None] | None = None,
    prepare: Callable[[Any, argparse.Namespace], None] | None = None,
) -> int:
    """A migration's command line: the options every one takes (and those `configure` adds),
    `prepare(client, options)` first, then `run` over the table."""
    parser = argparse.ArgumentParser(description=description.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--table", required=True)
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--segment", type=int, default=0)
    parser.add_argument("--segments", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--max-pages", type=int)
    if configure is not None:
        configure(parser)
    args = parser.parse_args(argv)
    dynamodb = client()
    if prepare is not None:
        prepare(dynamodb, args)
    started = time.monotonic()
    run(
        dynamodb,
        args.table,
        checkpoint=args.checkpoint,
        segment=args.segment,
        segments=args.segments,
        page_size=args.page_size,
        max_pages=args.max_pages,
    )
    print(f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


def _load(checkpoint: Path | None) -> dict[str, Any]:
    if checkpoint is None or not checkpoint.exists():
        return {}
    return json.loads(checkpoint.read_text())


def _save(checkpoint: Path | None, state: dict[str, Any]) -> None:
    if checkpoint is None:
        return
    partial = checkpoint.with_suffix(checkpoint.suffix + ".tmp")
    partial.write_text(json.dumps(state))
    partial.replace(checkpoint)  # atomic: an interrupted run never leaves half a checkpoint
