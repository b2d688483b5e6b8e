"""The restore drill (ops/restore_drill.py, `make restore-drill`): it restores the table from a
point in time and from a backup, and catches a copy that lost or changed items. Every call it
makes is one the break-glass role's policy allows on that resource, since a game day runs it as
that role. Then `make restore-drill`'s command end to end, against its own emulator.

moto restores a point in time as the table is now (it keeps no history), so the drill's
comparison is checked here by damaging a copy, not by restoring an older state."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from ops import restore_drill
from tests.infra import support
from tests.support.stack import free_port

REGION = "eu-west-1"
ACCOUNT = "111122223333"
TABLE = "teamtasks-prod-tasks"


@pytest.fixture()
def dynamodb() -> Iterator[Any]:
    with support.mocked_account(REGION, ACCOUNT):
        client = boto3.client("dynamodb", region_name=REGION)
        properties = support.load_yaml_cfn(support.ENVIRONMENT_ADDONS / "table.yml")["Resources"][
            "TasksTable"
        ]["Properties"]
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=properties["AttributeDefinitions"],
            KeySchema=properties["KeySchema"],
            GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"],
        )
        client.update_continuous_backups(
            TableName=TABLE,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        restore_drill.seed(client, TABLE, 60)
        yield client


def test_the_drill_restores_both_ways_and_the_copies_match(dynamodb):
    report = restore_drill.run(dynamodb, TABLE, sample=25, stamp="20261201000000")
    assert [r.kind for r in report.restores] == ["point-in-time", "backup"]
    for restore in report.restores:
        assert restore.target.startswith(f"{TABLE}-restored-20261201000000-")
        assert (restore.source_items, restore.restored_items) == (60, 60)
        assert (restore.sampled, restore.mismatched) == (25, [])
    # The copies and the drill's backup are gone again.
    assert dynamodb.list_tables()["TableNames"] == [TABLE]
    assert dynamodb.list_backups(TableName=TABLE)["BackupSummaries"] == []
    assert "point-in-time" in restore_drill.render(report)


class LossyRestores:
    """A DynamoDB whose restores lose the first item, or change it: what the drill is for."""

    def __init__(self, client: Any, damage: str):
        self._client = client
        self._damage = damage

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _damaged(self, target: str) -> None:
        (item,) = self._client.scan(TableName=target, Limit=1)["Items"]
        if self._damage == "lose":
            key = {"PK": item["PK"], "SK": item["SK"]}
            self._client.delete_item(TableName=target, Key=key)
        else:
            self._client.put_item(TableName=target, Item={**item, "title": {"S": "changed"}})

    def restore_table_to_point_in_time(self, **arguments: Any) -> Any:
        answer = self._client.restore_table_to_point_in_time(**arguments)
        self._damaged(arguments["TargetTableName"])
        return answer

    def restore_table_from_backup(self, **arguments: Any) -> Any:
        answer = self._client.restore_table_from_backup(**arguments)
        self._damaged(arguments["TargetTableName"])
        return answer


@pytest.mark.parametrize(
    ("damage", "message"), [("lose", "59 items restored, 60 in the source"), ("change", "differ")]
)
def test_a_copy_that_lost_or_changed_an_item_fails_the_drill(dynamodb, damage, message):
    with pytest.raises(restore_drill.DrillFailed, match=message):
        restore_drill.run(LossyRestores(dynamodb, damage), TABLE, sample=100)
    # Even a failed drill removes its copies.
    assert dynamodb.list_tables()["TableNames"] == [TABLE]


def test_a_live_tables_drift_is_allowed_only_as_far_as_asked(dynamodb):
    report = restore_drill.run(LossyRestores(dynamodb, "lose"), TABLE, max_drift=1, sample=0)
    assert [r.restored_items for r in report.restores] == [59, 59]


# -- the break-glass role may make every call -------------------------------------------------


def break_glass_statements() -> list[dict[str, Any]]:
    template = support.merged(support.ENVIRONMENT_ADDONS)
    resolved = support.resolver(template, "prod").resolve(
        template["Resources"]["DataBreakGlassPolicy"]["Properties"]["PolicyDocument"]
    )
    return [s for s in resolved["Statement"] if s["Effect"] == "Allow"]


def allowed(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    def listed(value: Any) -> list[str]:
        return value if isinstance(value, list) else [value]

    return any(
        action in listed(s["Action"])
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in listed(s["Resource"]))
        for s in statements
    )


def resource_of(parameters: dict[str, Any]) -> str:
    if "BackupArn" in parameters:
        return parameters["BackupArn"]
    table = parameters.get("TableName") or parameters.get("SourceTableName")
    if table is None:  # BatchWriteItem: the seeding, not the drill
        (table,) = parameters["RequestItems"]
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


def test_every_call_of_the_drill_is_allowed_to_the_break_glass_role(dynamodb):
    calls: list[tuple[str, str]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((f"dynamodb:{model.name}", resource_of(params)))
        # A restore needs the right to write the copy too (DynamoDB fills it as the caller).
        if "TargetTableName" in params:
            target = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{params['TargetTableName']}"
            calls.extend((f"dynamodb:{a}", target) for a in ("PutItem", "BatchWriteItem"))

    dynamodb.meta.events.register("provide-client-params.dynamodb.*", record)
    restore_drill.run(dynamodb, TABLE, sample=5)
    statements = break_glass_statements()
    actions = {action for action, _ in calls}
    assert {"dynamodb:RestoreTableToPointInTime", "dynamodb:DeleteBackup"} <= actions
    refused = [(a, r) for a, r in calls if not allowed(statements, a, r)]
    assert refused == []


# -- make restore-drill -----------------------------------------------------------------------


def test_make_restore_drill_runs_against_its_own_emulator():
    environment = {
        **os.environ,
        "AWS_EMULATOR_PORT": str(free_port()),
        "AWS_REGION": "us-east-1",
    }
    environment.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "ops.restore_drill", "--local", "--json", "--seed", "120"],
        cwd=support.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["table"] == "teamtasks-local-tasks"
    assert [(r["kind"], r["restored_items"], r["source_items"]) for r in report["restores"]] == [
        ("point-in-time", 120, 120),
        ("backup", 120, 120),
    ]
