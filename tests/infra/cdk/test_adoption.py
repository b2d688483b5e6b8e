"""Adopting an environment deployed by Copilot (cdk/adopt.py, docs/deploy.md): what is kept is in
Copilot's stacks and in the CDK app's under the same logical id and type, has an import
identifier, and its import template refers to nothing the import does not bring; `retain` keeps
the resources when Copilot's stacks are deleted (on the emulator's CloudFormation).

What the emulator cannot show: moto's CloudFormation treats an IMPORT change set as a CREATE and
ignores ResourcesToImport (moto 5.2, cloudformation/models.py), and it replaces a nested stack on
update instead of updating it; the import and the nested stacks' retention are checked statically
here, and only AWS can run them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cdk import adopt
from tests.infra.cdk.conftest import ENVIRONMENTS
from tests.infra.rendered import Scenario, render

pytestmark = pytest.mark.timeout(1800)
COPILOT_ENVIRONMENTS = ("dev", "staging", "prod", "prod-eu-central-1")
REGION = "eu-west-1"
# The properties an import leaves to the deployment after it, each as it refers to what the
# deployment makes: the service addons' policy on the task role, and the new distribution the
# browser app key's policy admits (until then the key admits Copilot's, which serves no more).
LEFT_TO_THE_DEPLOYMENT = {"TaskRole.ManagedPolicyArns", "FrontendKey.KeyPolicy"}


@pytest.mark.parametrize("env", COPILOT_ENVIRONMENTS)
def test_everything_kept_is_in_copilots_stacks(env):
    deployment = render(env, Scenario.DEPLOYED)
    for kept in adopt.kept_in(env):
        resources = deployment.stack(kept.copilot).template["Resources"]
        assert resources.get(kept.logical_id, {}).get("Type") == kept.kind, (
            f"{env}: Copilot's {kept.copilot} stack has no {kept.kind} {kept.logical_id}"
        )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_everything_kept_has_its_place_in_the_cdk_stacks(synthesised, env):
    for kept in adopt.kept_in(env):
        resources = synthesised.template(env, kept.cdk)["Resources"]
        assert resources.get(kept.logical_id, {}).get("Type") == kept.kind, (
            f"{env}: the CDK {kept.cdk} stack has no {kept.kind} {kept.logical_id}"
        )
        assert synthesised.stack_name(env, kept.cdk) == adopt.stack_name(
            adopt.CDK_STACKS[kept.cdk], env
        )


def test_everything_kept_can_be_imported_and_has_an_identifier():
    ids = {kept.logical_id: f"physical-{kept.logical_id}" for kept in adopt.KEPT}
    for kept in adopt.KEPT:
        assert adopt.importable(kept.kind), kept.kind
        identifier = adopt.import_identifier(kept, ids)
        assert sorted(identifier) == sorted(adopt.primary_identifier(kept.kind)), kept
        assert all(identifier.values())
    client = next(k for k in adopt.KEPT if k.kind == "AWS::Cognito::UserPoolClient")
    assert adopt.import_identifier(client, ids) == {
        "UserPoolId": "physical-UserPool",
        "ClientId": "physical-UserPoolClient",
    }


def test_the_data_the_users_and_the_keys_are_kept():
    kinds = {kept.kind for kept in adopt.KEPT}
    assert {
        "AWS::DynamoDB::GlobalTable",
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::Backup::BackupVault",
    } <= kinds
    names = {kept.logical_id for kept in adopt.KEPT}
    assert {"AuditArchiveBucket", "FrontendBucket", "TasksTable", "UserPoolClient"} <= names


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_import_brings_everything_its_resources_refer_to(synthesised, env):
    for role, pattern in adopt.CDK_STACKS.items():
        logical_ids = {k.logical_id for k in adopt.kept_in(env) if k.cdk == role}
        template = adopt.import_template(synthesised.template(env, role), logical_ids)
        assert set(template["Resources"]) == logical_ids
        for resource in template["Resources"].values():
            assert resource["DeletionPolicy"] == "Retain"
        assert adopt.stack_name(pattern, env).startswith(f"teamtasks-{env}")
        left = template["Metadata"]["teamtasks:adoption"]["left to the deployment"]
        assert set(left) <= LEFT_TO_THE_DEPLOYMENT, left


def test_an_import_that_refers_to_what_it_does_not_bring_is_refused(synthesised):
    # The user pool's client without its pool: the import would have nothing to refer to.
    with pytest.raises(adopt.AdoptionError, match="UserPoolClient -> UserPool: its identifier"):
        adopt.import_template(synthesised.template("prod", "environment"), {"UserPoolClient"})


@pytest.mark.parametrize("env", COPILOT_ENVIRONMENTS)
def test_retaining_changes_only_the_deletion_policies_of_what_is_kept(env):
    deployment = render(env, Scenario.DEPLOYED)
    for role in ("environment", "environment-addons", "service"):
        template = deployment.stack(role).template
        kept = {k.logical_id for k in adopt.kept_in(env) if k.copilot == role}
        changed = adopt.retained(template, kept)
        for logical_id, resource in changed["Resources"].items():
            before = dict(template["Resources"][logical_id])
            if logical_id in kept:
                assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
                before.update(DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
            assert resource == before
        assert {k: v for k, v in changed.items() if k != "Resources"} == {
            k: v for k, v in template.items() if k != "Resources"
        }


# -- on the emulator ------------------------------------------------------------------------------


@pytest.fixture
def aws() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            yield


def _copilot_like_stacks(env: str) -> dict[str, dict[str, Any]]:
    """Copilot's two root stacks with what they hold that `retain` keeps, as dev's are deployed
    (Delete: dev is disposable), from Copilot's rendered templates."""
    deployment = render(env, Scenario.DEPLOYED)
    stacks = {}
    for role, name in (("environment", f"teamtasks-{env}"), ("service", f"teamtasks-{env}-api")):
        rendered = deployment.stack(role).template["Resources"]
        resources = {}
        for kept in adopt.kept_in(env):
            if kept.copilot != role:
                continue
            resource = {
                "Type": kept.kind,
                "DeletionPolicy": "Delete",
                "Properties": _emulated(kept.kind, name, kept.logical_id, rendered),
            }
            resources[kept.logical_id] = resource
        stacks[name] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    return stacks


def _emulated(kind: str, stack: str, logical_id: str, rendered: dict[str, Any]) -> dict[str, Any]:
    """The properties moto needs to make the resource, named as in AWS."""
    if kind == "AWS::S3::Bucket":
        return {"BucketName": f"{stack}-{logical_id.lower()}"}
    if kind == "AWS::Logs::LogGroup":
        return {"LogGroupName": f"/copilot/{stack}", "RetentionInDays": 7}
    trust = rendered[logical_id]["Properties"]["AssumeRolePolicyDocument"]
    return {
        "RoleName": f"{stack}-{logical_id}",
        "AssumeRolePolicyDocument": json.loads(
            json.dumps(trust).replace(
                "${ToolsAccountPrincipalARN}", "arn:aws:iam::123456789012:root"
            )
        ),
    }


def _deploy(stacks: dict[str, dict[str, Any]]) -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    for name, template in stacks.items():
        cloudformation.create_stack(
            StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_NAMED_IAM"]
        )


def _still_there(stacks: dict[str, dict[str, Any]]) -> dict[str, bool]:
    s3 = boto3.client("s3", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    logs = boto3.client("logs", region_name=REGION)
    found = {}
    for template in stacks.values():
        for logical_id, resource in template["Resources"].items():
            properties = resource["Properties"]
            if resource["Type"] == "AWS::S3::Bucket":
                names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
                found[logical_id] = properties["BucketName"] in names
            elif resource["Type"] == "AWS::IAM::Role":
                names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
                found[logical_id] = properties["RoleName"] in names
            else:
                groups = logs.describe_log_groups(logGroupNamePrefix=properties["LogGroupName"])
                found[logical_id] = bool(groups["logGroups"])
    return found


def _delete(stacks: dict[str, dict[str, Any]]) -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    for name in stacks:
        cloudformation.delete_stack(StackName=name)


def test_retain_keeps_them_when_copilots_stacks_are_deleted(aws):
    stacks = _copilot_like_stacks("dev")
    _deploy(stacks)
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    made = {k for t in stacks.values() for k in t["Resources"]}
    the_plan = adopt.plan(cloudformation, "dev", made)
    assert {e["logical_id"] for e in the_plan["kept"]} == made
    role = next(e for e in the_plan["kept"] if e["logical_id"] == "TaskRole")
    assert role["identifier"] == {"RoleName": "teamtasks-dev-api-TaskRole"}
    assert role["cdk_stack"] == "teamtasks-dev-api"

    updated = adopt.retain(cloudformation, boto3.client("s3", region_name=REGION), the_plan)
    assert updated == ["teamtasks-dev", "teamtasks-dev-api"]
    with pytest.raises(adopt.AdoptionError, match="still exists"):
        adopt.import_stacks(cloudformation, the_plan, {})
    _delete(stacks)
    assert _still_there(stacks) == dict.fromkeys(made, True)


def test_without_retain_deleting_copilots_stacks_loses_them(aws):
    # Why the step exists: dev's are deleted with its stacks.
    stacks = _copilot_like_stacks("dev")
    _deploy(stacks)
    assert all(_still_there(stacks).values())
    _delete(stacks)
    assert not any(_still_there(stacks).values())
