"""The restore drill (docs/disaster-recovery.md, "Restore drill"): restore the task table from a
point in time and from an on-demand backup into new tables, check each copy against the source
(item counts, then a sample of items compared attribute by attribute), print how long each
step took, and delete the copies.

    make restore-drill                      # the local emulator (started if none answers)
    python -m ops.restore_drill --table teamtasks-prod-tasks --region eu-west-1   # a game day

Against AWS it runs with the ambient credentials, as the break-glass role
(<app>-<env>-data-break-glass, addons/environment/kms.yml), whose policy allows exactly these
calls on the table, its backups and the copies named <table>-restored-*. The copies keep the
source's KMS key. On a table that is being written to, the copy lags the source by the writes
since the restore point: --max-drift allows that many items of difference in the counts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

from devstack.stack import LocalStack, StackOptions

POLL_SECONDS = 1.0
SEED_PREFIX = "DRILL#"


class DrillFailed(RuntimeError):
    """A copy differs from its source beyond what the drill allows, or a step timed out."""


@dataclass
class Restore:
    kind: str
    target: str
    seconds_to_active: float
    source_items: int
    restored_items: int
    sampled: int
    mismatched: list[str] = field(default_factory=list)


@dataclass
class Report:
    table: str
    restores: list[Restore]
    total_seconds: float


def _key_names(description: dict[str, Any]) -> list[str]:
    return [k["AttributeName"] for k in description["KeySchema"]]


def _count(dynamodb: Any, table: str) -> int:
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += page["Count"]
    return total


def _items(dynamodb: Any, table: str) -> Iterator[dict[str, Any]]:
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        yield from page["Items"]


def _wait(check: Callable[[], bool], what: str, timeout_s: float) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            raise DrillFailed(f"{what}: not done after {timeout_s:.0f} s")
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


def _table_active(dynamodb: Any, table: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            status = dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
        except dynamodb.exceptions.ResourceNotFoundException:
            return False
        return status == "ACTIVE"

    return check


def _backup_available(dynamodb: Any, arn: str) -> Callable[[], bool]:
    def check() -> bool:
        details = dynamodb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
        return details["BackupStatus"] == "AVAILABLE"

    return check


def _sse_override(description: dict[str, Any]) -> dict[str, Any]:
    """The copy is encrypted with the source's own key (a restore's default is DynamoDB's)."""
    key = (description.get("SSEDescription") or {}).get("KMSMasterKeyArn")
    if not key:
        return {}
    return {"SSESpecificationOverride": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}}


def compare(
    dynamodb: Any, source: str, restored: str, keys: list[str], sample: int
) -> tuple[int, list[str]]:
    """Up to `sample` items of the copy, each read from the source by its key (strongly
    consistent) and compared whole; returns how many were compared and the keys that differ."""
    compared, mismatched = 0, []
    for item in _items(dynamodb, restored):
        if compared >= sample:
            break
        key = {name: item[name] for name in keys}
        original = dynamodb.get_item(TableName=source, Key=key, ConsistentRead=True).get("Item")
        compared += 1
        if original != item:
            mismatched.append(json.dumps(key, sort_keys=True))
    return compared, mismatched


class Drill:
    def __init__(self, dynamodb: Any, table: str, *, sample: int, timeout_s: float, stamp: str):
        self.dynamodb = dynamodb
        self.table = table
        self.sample = sample
        self.timeout_s = timeout_s
        self.stamp = stamp
        self.description = dynamodb.describe_table(TableName=table)["Table"]

    def target(self, kind: str) -> str:
        # The break-glass role may create, fill, read and delete <table>-restored-* only.
        return f"{self.table}-restored-{self.stamp}-{kind}"

    def point_in_time(self) -> Restore:
        recovery = self.dynamodb.describe_continuous_backups(TableName=self.table)[
            "ContinuousBackupsDescription"
        ]["PointInTimeRecoveryDescription"]
        if recovery["PointInTimeRecoveryStatus"] != "ENABLED":
            raise DrillFailed(f"{self.table}: point-in-time recovery is off")
        target = self.target("pitr")
        started = time.monotonic()
        self.dynamodb.restore_table_to_point_in_time(
            SourceTableName=self.table,
            TargetTableName=target,
            UseLatestRestorableTime=True,
            **_sse_override(self.description),
        )
        return self._verified("point-in-time", target, started)

    def from_backup(self) -> Restore:
        target = self.target("backup")
        started = time.monotonic()
        arn = self.dynamodb.create_backup(
            TableName=self.table, BackupName=f"{self.table}-drill-{self.stamp}"
        )["BackupDetails"]["BackupArn"]
        try:
            _wait(_backup_available(self.dynamodb, arn), f"backup {arn}", self.timeout_s)
            self.dynamodb.restore_table_from_backup(
                TargetTableName=target, BackupArn=arn, **_sse_override(self.description)
            )
            return self._verified("backup", target, started)
        finally:
            self.dynamodb.delete_backup(BackupArn=arn)

    def _verified(self, kind: str, target: str, started: float) -> Restore:
        _wait(_table_active(self.dynamodb, target), f"restore into {target}", self.timeout_s)
        seconds = time.monotonic() - started
        sampled, mismatched = compare(
            self.dynamodb, self.table, target, _key_names(self.description), self.sample
        )
        return Restore(
            kind=kind,
            target=target,
            seconds_to_active=round(seconds, 2),
            source_items=_count(self.dynamodb, self.table),
            restored_items=_count(self.dynamodb, target),
            sampled=sampled,
            mismatched=mismatched,
        )

    def delete_copy(self, restore: Restore) -> None:
        self.dynamodb.delete_table(TableName=restore.target)


def run(
    dynamodb: Any,
    table: str,
    *,
    sample: int = 100,
    max_drift: int = 0,
    keep: bool = False,
    timeout_s: float = 3600,
    stamp: str | None = None,
) -> Report:
    started = time.monotonic()
    drill = Drill(
        dynamodb,
        table,
        sample=sample,
        timeout_s=timeout_s,
        stamp=stamp or datetime.now(UTC).strftime("%Y%m%d%H%M%S"),
    )
    restores: list[Restore] = []
    try:
        for step in (drill.point_in_time, drill.from_backup):
            restores.append(step())
    finally:
        if not keep:
            for restore in restores:
                drill.delete_copy(restore)
    report = Report(table, restores, round(time.monotonic() - started, 2))
    problems = [
        f"{r.kind}: {r.restored_items} items restored, {r.source_items} in the source"
        for r in restores
        if abs(r.restored_items - r.source_items) > max_drift
    ] + [f"{r.kind}: {len(r.mismatched)} sampled items differ" for r in restores if r.mismatched]
    if problems:
        print(render(report), file=sys.stderr)
        raise DrillFailed("; ".join(problems))
    return report


def render(report: Report) -> str:
    lines = [f"Restore drill of {report.table}"]
    for r in report.restores:
        lines.append(
            f"  {r.kind:<14} {r.target}: active after {r.seconds_to_active:.2f} s, "
            f"{r.restored_items} items (source {r.source_items}), "
            f"{r.sampled} sampled, {len(r.mismatched)} differ"
        )
    lines.append(f"  total {report.total_seconds:.2f} s")
    return "\n".join(lines)


# -- the local emulator -------------------------------------------------------------------------


def _write_batches(dynamodb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    for first in range(0, len(requests), 25):
        pending = {table: requests[first : first + 25]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending)["UnprocessedItems"]


def seed(dynamodb: Any, table: str, count: int) -> None:
    """Items shaped like the service's (workspaces with tasks), written only into an empty
    table, so the drill has something to compare; removed again by `unseed`."""
    serialize = TypeSerializer().serialize
    items = [
        {
            "PK": f"WORKSPACE#{SEED_PREFIX}{number // 50}",
            "SK": f"TASK#{number:06d}",
            "title": f"Drill task {number}",
            "status": ("todo", "doing", "done")[number % 3],
            "version": number % 7 + 1,
            "tags": {f"t{number % 5}", "drill"},
        }
        for number in range(count)
    ]
    _write_batches(
        dynamodb,
        table,
        [{"PutRequest": {"Item": {k: serialize(v) for k, v in item.items()}}} for item in items],
    )


def unseed(dynamodb: Any, table: str) -> None:
    seeded = [
        {"DeleteRequest": {"Key": {"PK": item["PK"], "SK": item["SK"]}}}
        for item in _items(dynamodb, table)
        if item["PK"]["S"].startswith(f"WORKSPACE#{SEED_PREFIX}")
    ]
    _write_batches(dynamodb, table, seeded)


def local(arguments: argparse.Namespace) -> Report:
    """Against the emulator on AWS_EMULATOR_PORT: started (and provisioned from the same
    templates as `make dev`) when nothing answers there."""
    options = StackOptions(
        emulator_port=int(os.environ.get("AWS_EMULATOR_PORT", "4566")),
        region=os.environ.get("AWS_REGION", "us-east-1"),
    )
    stack = LocalStack(options, progress=lambda message: print(message, file=sys.stderr))
    try:
        stack.start_emulator()
        table = stack.provision().service_environment["TASKS_TABLE_NAME"]
        dynamodb = stack.session.client("dynamodb")
        seeded = _count(dynamodb, table) == 0
        if seeded:
            seed(dynamodb, table, arguments.seed)
        try:
            return run(dynamodb, table, sample=arguments.sample, max_drift=arguments.max_drift)
        finally:
            if seeded:
                unseed(dynamodb, table)
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.restore_drill", description=__doc__)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--local", action="store_true", help="the local emulator")
    target.add_argument("--table", help="the table's name, in AWS (ambient credentials)")
    parser.add_argument("--region", help="the table's region (default: the ambient one)")
    parser.add_argument("--sample", type=int, default=100, help="items compared per copy")
    parser.add_argument("--max-drift", type=int, default=0, help="allowed count difference")
    parser.add_argument("--seed", type=int, default=500, help="items put into an empty local table")
    parser.add_argument("--keep", action="store_true", help="keep the restored copies")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args(argv)
    try:
        if arguments.local:
            report = local(arguments)
        else:
            dynamodb = boto3.client("dynamodb", region_name=arguments.region)
            report = run(
                dynamodb,
                arguments.table,
                sample=arguments.sample,
                max_drift=arguments.max_drift,
                keep=arguments.keep,
            )
    except DrillFailed as error:
        print(f"restore drill failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(report), indent=2) if arguments.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
