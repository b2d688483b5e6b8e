"""`copilot env delete` in the emulator: CloudFormation deleting the environment's stack, with
the refusals AWS makes and moto's CloudFormation does not (it leaves a bucket that is not empty
in place and reports DELETE_COMPLETE).

Every resource of the environment's templates (the addons and what the overrides add to
Copilot's stack, ops/teardown.py's environment_template) that exists at the environment's
values is deleted as its DeletionPolicy says, through the service's API, in the order
CloudFormation deletes (dependents first): Retain keeps it; Delete deletes it, and AWS's
refusals become DELETE_FAILED (a bucket that holds any version, a vault that holds recovery
points, a table or a user pool with deletion protection). A secret is deleted with Secrets
Manager's default recovery window, as CloudFormation deletes one, and a key is scheduled for
deletion. Resources the local stack never makes (functions, roles, queues, alarms) have nothing
to delete here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from devstack.intrinsics import Resolver
from ops import teardown

Deleter = Callable[[Any, dict[str, Any]], None]
# The property that names each type's resource (the only one a deletion needs).
NAMED_BY = {
    "AWS::KMS::Alias": "AliasName",
    "AWS::Cognito::UserPool": "UserPoolName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Backup::BackupVault": "BackupVaultName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::DynamoDB::Table": "TableName",
}


def _bucket(session: Any, properties: dict[str, Any]) -> None:
    s3 = session.client("s3")
    try:
        s3.head_bucket(Bucket=properties["BucketName"])
    except ClientError:
        return
    versions = s3.list_object_versions(Bucket=properties["BucketName"])
    if versions.get("Versions") or versions.get("DeleteMarkers"):
        # S3 refuses (BucketNotEmpty); moto's CloudFormation would only skip it.
        raise ClientError(
            {"Error": {"Code": "BucketNotEmpty", "Message": "The bucket is not empty"}},
            "DeleteBucket",
        )
    s3.delete_bucket(Bucket=properties["BucketName"])


def _table(session: Any, properties: dict[str, Any]) -> None:
    dynamodb = session.client("dynamodb")
    try:
        dynamodb.delete_table(TableName=properties["TableName"])
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


def _user_pool(session: Any, properties: dict[str, Any]) -> None:
    cognito = session.client("cognito-idp")
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] != properties["UserPoolName"]:
                continue
            described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
            if described.get("DeletionProtection") == "ACTIVE":
                raise ClientError(
                    {"Error": {"Code": "InvalidParameterException", "Message": "protected"}},
                    "DeleteUserPool",
                )
            cognito.delete_user_pool(UserPoolId=pool["Id"])


def _secret(session: Any, properties: dict[str, Any]) -> None:
    secrets = session.client("secretsmanager")
    try:
        if "DeletedDate" in secrets.describe_secret(SecretId=properties["Name"]):
            return  # deleted at an earlier attempt
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return
        raise
    secrets.delete_secret(SecretId=properties["Name"])  # the default 30-day window


def _vault(session: Any, properties: dict[str, Any]) -> None:
    backup = session.client("backup")
    try:
        backup.describe_backup_vault(BackupVaultName=properties["BackupVaultName"])
    except ClientError:
        return
    backup.delete_backup_vault(BackupVaultName=properties["BackupVaultName"])


def _alias(session: Any, properties: dict[str, Any]) -> None:
    kms = session.client("kms")
    try:
        kms.delete_alias(AliasName=properties["AliasName"])
    except ClientError as error:
        if error.response["Error"]["Code"] != "NotFoundException":
            raise


# In CloudFormation's order for these templates: an alias before its key, the policies and
# the things that name a bucket, key or table before it.
DELETERS: dict[str, Deleter] = {
    "AWS::KMS::Alias": _alias,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Backup::BackupVault": _vault,
    "AWS::S3::Bucket": _bucket,
    "AWS::DynamoDB::GlobalTable": _table,
    "AWS::DynamoDB::Table": _table,
}


def delete_environment(session: Any, *, app: str, env: str, local_stacks: list[str]) -> list[str]:
    """Deletes the environment as CloudFormation would; returns the resources that would end
    DELETE_FAILED, with AWS's reason (an empty list: DELETE_COMPLETE). `local_stacks` are the
    emulator's own stacks of the local provisioning, removed as well."""
    account = session.client("sts").get_caller_identity()["Account"]
    template = teardown.environment_template()
    defaults = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
    resolve = Resolver(
        template,
        parameters={**defaults, "App": app, "Env": env, "AppName": app, "EnvironmentName": env},
        pseudo={"AWS::Region": session.region_name, "AWS::AccountId": account},
        resources={},
        exports={},
    )
    # What moto's CloudFormation deletes of the local stack (keys, aliases, empty buckets,
    # tables; it leaves a bucket that holds objects where it is, and says nothing).
    cloudformation = session.client("cloudformation")
    for name in local_stacks:
        try:
            status = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        except ClientError:
            continue
        if status != "DELETE_COMPLETE":
            cloudformation.delete_stack(StackName=name)
    # What is left, through the services' APIs, with AWS's refusals.
    failed = []
    for kind, delete in DELETERS.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != kind:
                continue
            if resource.get("Condition") and not resolve.condition(resource["Condition"]):
                continue
            if resolve.resolve(resource.get("DeletionPolicy", "Delete")) == "Retain":
                continue
            try:
                name = NAMED_BY[kind]
                delete(session, {name: resolve.resolve(resource["Properties"][name])})
            except ClientError as error:
                failed.append(f"{logical_id} DELETE_FAILED: {error.response['Error']['Code']}")
    return failed
