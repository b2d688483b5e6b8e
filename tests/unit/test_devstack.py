"""The local stack reads the templates Copilot deploys, and covers every resource type in them."""

from __future__ import annotations

import boto3
import pytest

from devstack import templates
from devstack.provision import unhandled_types


@pytest.mark.parametrize(
    ("output", "variable"),
    [
        ("MyTableName", "MY_TABLE_NAME"),
        ("myDDBTable", "MY_DDB_TABLE"),
        ("my2ndDDBTable", "MY2ND_DDB_TABLE"),
        ("myddbtable", "MYDDBTABLE"),
        ("TasksTableName", "TASKS_TABLE_NAME"),
        ("UserPoolClientId", "USER_POOL_CLIENT_ID"),
    ],
)
def test_copilots_naming_rule(output, variable):
    assert templates.copilot_variable_name(output) == variable


@pytest.mark.parametrize("folder", [templates.ENVIRONMENT_ADDONS, templates.SERVICE_ADDONS])
def test_every_resource_type_is_created_locally_or_listed_as_not_needed(folder):
    assert unhandled_types(templates.merged(folder)) == set()


def test_a_new_type_would_be_caught():
    template = {"Resources": {"Job": {"Type": "AWS::Glue::Job"}}}
    assert unhandled_types(template) == {"AWS::Glue::Job"}


def test_provisioning_yields_exactly_the_variables_the_service_reads(aws):
    assert set(aws) == {
        "TASKS_TABLE_NAME",
        "USER_POOL_ID",
        "USER_POOL_CLIENT_ID",
        "CURSOR_SECRET_ARN",
        "UNSUBSCRIBE_SECRET_ARN",
        "AWS_REGION",
    }


def test_the_table_gets_the_settings_the_emulators_cloudformation_drops(settings):
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    name = settings.tasks_table_name
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"AttributeName": "expires_at", "TimeToLiveStatus": "ENABLED"}
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["DeletionProtectionEnabled"] is True
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
        "ByUser",
        "ByStatus",
        "ByAssignee",
        "ByAssigneeStatus",
        "AssignedByDue",
    }


def test_provisioning_twice_reuses_what_exists(aws):
    import boto3  # noqa: PLC0415

    from devstack.provision import LocalProvisioner  # noqa: PLC0415

    again = LocalProvisioner(
        boto3.session.Session(region_name="us-east-1"),
        app="unit",
        env="t",
        progress=lambda _m: None,
    ).run()
    assert again.service_environment["USER_POOL_ID"] == aws["USER_POOL_ID"]
    assert again.service_environment["CURSOR_SECRET_ARN"] == aws["CURSOR_SECRET_ARN"]
    assert again.service_environment["TASKS_TABLE_NAME"] == aws["TASKS_TABLE_NAME"]


def test_the_emulator_launcher_checks_every_condition_before_writing(aws):
    """devstack/moto_server.py: a transaction whose later condition fails writes nothing, and the
    reasons name each part, as DynamoDB's do."""
    import boto3  # noqa: PLC0415
    from moto.dynamodb.exceptions import TransactionCanceledException  # noqa: PLC0415
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

    from devstack.moto_server import _conditions_first  # noqa: PLC0415

    table = aws["TASKS_TABLE_NAME"]
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.put_item(TableName=table, Item={"PK": {"S": "A"}, "SK": {"S": "1"}, "v": {"N": "1"}})
    backend = dynamodb_backends["123456789012"]["us-east-1"]

    def put(pk: str, condition: str) -> dict:
        return {
            "Put": {
                "TableName": table,
                "Item": {"PK": {"S": pk}, "SK": {"S": "1"}, "v": {"N": "2"}},
                "ConditionExpression": condition,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    with pytest.raises(TransactionCanceledException) as cancelled:
        _conditions_first(
            backend, [put("B", "attribute_not_exists(PK)"), put("A", "attribute_not_exists(PK)")]
        )
    assert "[None, ConditionalCheckFailed]" in cancelled.value.message
    assert "Item" not in client.get_item(TableName=table, Key={"PK": {"S": "B"}, "SK": {"S": "1"}})

    _conditions_first(
        backend, [put("B", "attribute_not_exists(PK)"), put("C", "attribute_not_exists(PK)")]
    )
    for pk in ("B", "C"):
        item = client.get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": "1"}})["Item"]
        assert item["v"] == {"N": "2"}
