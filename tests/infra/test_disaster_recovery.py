"""Disaster recovery in the environment's addons, statically (the emulator has no AWS Backup, no
global tables and enforces no resource policy; docs/disaster-recovery.md): the backup plan and
vault per environment, the copy to prod's standby and the standby's vault it lands in, the
table's replica and the standby's key it is encrypted with, the standby using that replica, and
the resource policies that refuse requests from outside the VPC's endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import support
from tests.infra.aws_rules import Concrete
from tests.infra.aws_rules import resolver as aws_resolver
from tests.infra.aws_rules.policies import Request, allowed

ENV = support.merged(support.ENVIRONMENT_ADDONS)
RESOURCES = ENV["Resources"]
STANDBY = "prod-eu-central-1"


def resolver(env: str, replica: str = "none", endpoint: str = "none"):
    return support.resolver(ENV, env, ReplicaRegion=replica, ReplicaTableEndpoint=endpoint)


def resolved(env: str, logical_id: str, **kwargs: str) -> dict[str, Any]:
    return resolver(env, **kwargs).resolve(RESOURCES[logical_id]["Properties"])


def exists(env: str, logical_id: str, **kwargs: str) -> bool:
    condition = RESOURCES[logical_id].get("Condition")
    return condition is None or resolver(env, **kwargs).condition(condition)


def rules(env: str, **kwargs: str) -> dict[str, dict[str, Any]]:
    plan = resolved(env, "BackupPlan", **kwargs)["BackupPlan"]
    return {rule["RuleName"]: rule for rule in plan["BackupPlanRule"]}


# -- AWS Backup -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "daily", "monthly"), [("dev", 7, 30), ("staging", 14, 90), ("prod", 35, 365)]
)
def test_a_daily_and_a_monthly_rule_kept_per_environment(env, daily, monthly):
    found = rules(env)
    assert set(found) == {"daily", "monthly"}
    assert found["daily"]["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert found["monthly"]["ScheduleExpression"] == "cron(0 4 1 * ? *)"
    assert found["daily"]["Lifecycle"]["DeleteAfterDays"] == daily
    assert found["monthly"]["Lifecycle"]["DeleteAfterDays"] == monthly
    for rule in found.values():
        assert rule["TargetBackupVault"] == "ref:BackupVault"
        assert "CopyActions" not in rule  # no second region named
    selection = resolved(env, "BackupSelection")["BackupSelection"]
    assert selection["Resources"] == ["getatt:TasksTable.Arn"]


def test_prod_copies_every_recovery_point_into_the_standbys_vault():
    standby_vault = resolved(STANDBY, "BackupVault")["BackupVaultName"]
    expected = f"arn:aws:backup:eu-central-1:111122223333:backup-vault:{standby_vault}"
    for name, rule in rules("prod", replica="eu-central-1").items():
        (copy,) = rule["CopyActions"]
        assert copy["DestinationBackupVaultArn"] == expected, name
        assert copy["Lifecycle"] == rule["Lifecycle"], name
    role = resolved("prod", "BackupRole", replica="eu-central-1")["Policies"][0]
    vaults = next(s for s in role["PolicyDocument"]["Statement"] if s["Sid"] == "TheVaults")
    assert expected in vaults["Resource"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod", STANDBY])
def test_the_vault_uses_the_data_key_and_is_locked_in_prod_and_its_standby(env):
    vault = resolved(env, "BackupVault")
    assert vault["EncryptionKeyArn"] == "getatt:DataKey.Arn"
    if env.startswith("prod"):
        assert vault["LockConfiguration"]["MinRetentionDays"] == 7
        assert vault["LockConfiguration"]["MaxRetentionDays"] >= 365  # the monthly rule fits
    else:
        assert "LockConfiguration" not in vault


@pytest.mark.parametrize(
    ("env", "plan", "vault"), [("feat-login", False, False), (STANDBY, False, True)]
)
def test_feature_environments_and_the_standby_run_no_plan(env, plan, vault):
    assert exists(env, "BackupPlan") is plan
    assert exists(env, "BackupSelection") is plan
    assert exists(env, "BackupVault") is vault


# -- the global table -------------------------------------------------------------------------


def replicas(env: str, **kwargs: str) -> dict[str, dict[str, Any]]:
    return {r["Region"]: r for r in resolved(env, "TasksTable", **kwargs)["Replicas"]}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_one_replica_with_point_in_time_recovery_until_a_second_region_is_named(env):
    (replica,) = replicas(env).values()
    assert replica["Region"] == "eu-west-1"
    assert replica["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True,
        "RecoveryPeriodInDays": 35,
    }


def test_prods_replica_in_the_standbys_region_uses_the_standbys_key():
    found = replicas("prod", replica="eu-central-1")
    assert set(found) == {"eu-west-1", "eu-central-1"}
    second = found["eu-central-1"]
    alias = resolved(STANDBY, "DataKeyAlias")["AliasName"]
    assert second["SSESpecification"]["KMSMasterKeyId"] == (
        f"arn:aws:kms:eu-central-1:111122223333:{alias}"
    )
    assert second["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert second["DeletionProtectionEnabled"] is True
    # Its resource policy only once the standby's endpoint is known (a second update).
    assert "ResourcePolicy" not in second
    with_policy = replicas("prod", replica="eu-central-1", endpoint="vpce-0standby")
    (statement,) = with_policy["eu-central-1"]["ResourcePolicy"]["PolicyDocument"]["Statement"]
    assert statement["Condition"]["StringNotEquals"]["aws:SourceVpce"] == ["vpce-0standby"]


def test_only_prod_gets_a_second_region():
    for env in ("dev", "staging"):
        assert set(replicas(env, replica="eu-central-1")) == {"eu-west-1"}


def test_the_standby_owns_no_table_and_serves_prods_replica():
    assert not exists(STANDBY, "TasksTable")
    outputs = resolver(STANDBY).resolve(ENV["Outputs"])
    assert outputs["TasksTableName"]["Value"] == "teamtasks-prod-tasks"
    assert outputs["TasksTableArn"]["Value"] == (
        "arn:aws:dynamodb:eu-west-1:111122223333:table/teamtasks-prod-tasks"
    )  # the resolver's region: the standby's own, in AWS
    assert exists("prod", "TasksTable") and exists("feat-login", "TasksTable")


# -- only through the VPC's endpoints ---------------------------------------------------------


def deny_outside_the_endpoint(document: dict[str, Any]) -> dict[str, Any]:
    (statement,) = [s for s in document["Statement"] if s["Effect"] == "Deny"]
    assert statement["Principal"] == "*"
    return statement


def role(name: str) -> str:
    return f"arn:aws:iam::111122223333:role/{name}"


def test_the_table_refuses_requests_from_outside_the_networks_dynamodb_endpoint():
    replica = replicas("prod")["eu-west-1"]
    statement = deny_outside_the_endpoint(replica["ResourcePolicy"]["PolicyDocument"])
    assert statement["Action"] == "dynamodb:*"
    condition = statement["Condition"]
    assert condition["StringNotEquals"]["aws:SourceVpce"] == [
        "import:teamtasks-prod-network-DynamoDbEndpointId"
    ]
    exempt = set(condition["ArnNotLike"]["aws:PrincipalArn"])
    assert exempt == {
        role("teamtasks-prod-data-break-glass"),
        role("teamtasks-prod-CFNExecutionRole"),
        role("teamtasks-prod-backup"),
        role(
            "aws-service-role/replication.dynamodb.amazonaws.com/"
            "AWSServiceRoleForDynamoDBReplication"
        ),
    }
    # The service's own role is not exempt: its requests must come through the endpoint.
    assert not [arn for arn in exempt if arn.endswith("-api-task")]
    assert condition["BoolIfExists"] == {
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "false",
    }


@pytest.mark.parametrize(
    ("logical_id", "rotation"),
    [
        ("CursorSigningSecretPolicy", "cursor-rotation"),
        ("OriginVerifySecretPolicy", "origin-rotation"),
    ],
)
def test_the_secrets_refuse_requests_from_outside_the_networks_endpoint(logical_id, rotation):
    policy = resolved("prod", logical_id)
    assert policy["BlockPublicPolicy"] is True
    statement = deny_outside_the_endpoint(policy["ResourcePolicy"])
    condition = statement["Condition"]
    assert condition["StringNotEquals"]["aws:SourceVpce"] == [
        "import:teamtasks-prod-network-SecretsManagerEndpointId"
    ]
    # The origin header's rotation runs outside the VPC (it calls CloudFront, which has no
    # endpoint); the cursor key's runs in the private tier and needs no exemption.
    outside = {role(f"teamtasks-prod-{rotation}")} if rotation == "origin-rotation" else set()
    assert set(condition["ArnNotLike"]["aws:PrincipalArn"]) == {
        role("teamtasks-prod-data-break-glass"),
        role("teamtasks-prod-CFNExecutionRole"),
        *outside,
    }


def test_every_exempt_role_is_one_the_templates_or_copilot_create():
    names = {
        resolver("prod").resolve(r["Properties"].get("RoleName"))
        for r in RESOURCES.values()
        if r["Type"] == "AWS::IAM::Role" and "RoleName" in r["Properties"]
    }
    assert {
        "teamtasks-prod-data-break-glass",
        "teamtasks-prod-backup",
        "teamtasks-prod-cursor-rotation",
        "teamtasks-prod-origin-rotation",
    } <= names


def test_the_stream_functions_run_only_where_the_table_is_owned():
    # The replica's stream carries prod's changes again; prod's functions already handle them.
    for logical_id in (
        "PurgeFunction",
        "ArchiveFunction",
        "TaskIndexFunction",
        "AuditArchiveBucket",
    ):
        assert exists("prod", logical_id) and exists("dev", logical_id)
        assert not exists(STANDBY, logical_id)


# -- restoring the copies in the standby (the region's loss) ---------------------------------


def standby_values() -> Concrete:
    return Concrete(
        env=STANDBY,
        region="eu-central-1",
        parameters={"App": "teamtasks", "Env": STANDBY, "ReplicaRegion": "none"},
    )


def test_the_standby_can_restore_the_copies_its_vault_holds():
    """Issue 19.9: the standby's key named prod's backup role, which restores only in prod's
    region; nobody could restore the copies in eu-central-1. The standby has a restore role that
    AWS Backup may assume, that may restore into prod's table name there with the standby's
    data key, that the key names, and that the standby's break-glass role may pass."""
    assert exists(STANDBY, "RestoreRole") and not exists("prod", "RestoreRole")
    resolve = aws_resolver(ENV, standby_values())
    role = resolve.resolve(RESOURCES["RestoreRole"]["Properties"])
    name = f"arn:aws:iam::111122223333:role/{role['RoleName']}"
    assert role["RoleName"] == "teamtasks-prod-eu-central-1-restore"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "backup.amazonaws.com"
    }
    policies = [p["PolicyDocument"] for p in role["Policies"]]
    table = "arn:aws:dynamodb:eu-central-1:111122223333:table/teamtasks-prod-tasks"
    assert allowed(policies, Request("dynamodb:RestoreTableFromAwsBackup", table, principal=name))
    key = resolve.resolve(RESOURCES["DataKey"]["Properties"]["KeyPolicy"])
    for service in ("backup", "dynamodb"):
        via = {"kms:ViaService": f"{service}.eu-central-1.amazonaws.com"}
        for action in ("kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"):
            assert allowed(key, Request(action, "*", principal=name, context=via)), action
    break_glass = resolve.resolve(RESOURCES["DataBreakGlassPolicy"]["Properties"])
    assert allowed(
        break_glass["PolicyDocument"],
        Request("iam:PassRole", name, context={"iam:PassedToService": "backup.amazonaws.com"}),
    )


def test_prods_backup_role_could_not_restore_in_the_standbys_region():
    """Why the standby needs its own: prod's role restores in prod's region only."""
    values = Concrete(
        env="prod",
        region="eu-west-1",
        parameters={"App": "teamtasks", "Env": "prod", "ReplicaRegion": "eu-central-1"},
    )
    role = aws_resolver(ENV, values).resolve(RESOURCES["BackupRole"]["Properties"])
    policies = [p["PolicyDocument"] for p in role["Policies"]]
    table = "arn:aws:dynamodb:eu-central-1:111122223333:table/teamtasks-prod-tasks-restored-1"
    assert not allowed(policies, Request("dynamodb:RestoreTableFromAwsBackup", table))
