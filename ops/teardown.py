"""Taking a disposable environment (dev, feat-<name>) down so that nothing is left and the same
name can come up again. `copilot env delete` deletes the environment's stack, which deletes its
data (DeletionPolicy Delete there), but CloudFormation cannot delete:

- a bucket that holds objects: the frontend bucket, the access-log bucket, and the audit
  archive, whose objects are locked (Object Lock, governance mode, 30 days outside prod): they
  are emptied first, the archive's versions with the governance bypass (Copilot empties only
  its own load balancer log bucket);
- a backup vault that holds recovery points (dev's): they are deleted first, and waited for;

and a name stays taken after it:

- the secrets, which CloudFormation deletes with Secrets Manager's 30-day recovery window:
  they are deleted for good once the stack is gone;
- Copilot's two environment roles, which it retains to delete the stack and then deletes
  itself, best effort (env_delete.go, tryDeleteRoles): one left behind is deleted.

What to empty and purge is read from the templates at the environment's name: every bucket,
vault and secret that the environment addons, and the environment overrides' added resources
(the access-log bucket), declare with DeletionPolicy Delete, so a new addon's are included.
Run after the service is deleted:

    copilot svc delete --name api --env dev --yes
    python -m ops.teardown dev            # empties, runs copilot env delete, cleans up

`make feature-env-down` and the daily sweep do the same for feat-<name> (ops/feature_env.py).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from devstack import templates
from devstack.intrinsics import Resolver
from ops import environments

APP = "teamtasks"
ENVIRONMENT_PATCHES = templates.ROOT / "copilot" / "environments" / "overrides" / "cfn.patches.yml"
VAULT_EMPTY_TIMEOUT_S = 900
_POLL_S = 5


class TeardownError(RuntimeError):
    """Refused (not a disposable environment) or stopped (a deletion failed twice)."""


@dataclass(frozen=True)
class Disposables:
    """What the environment's addons declare and its deletion removes."""

    buckets: list[str] = field(default_factory=list)
    locked_buckets: list[str] = field(default_factory=list)  # Object Lock: bypass governance
    vaults: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)


def disposables(
    env: str, account: str, region: str, app: str = APP, template: Mapping[str, Any] | None = None
) -> Disposables:
    """The buckets, vaults and secrets the environment's addons delete with the stack."""
    if not environments.is_disposable(env):
        raise TeardownError(f"{env} is not disposable: its data is retained (docs/deploy.md)")
    template = template or environment_template()
    defaults = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
    resolve = Resolver(
        template,
        # The addons' names for the application and the environment, and Copilot's stack's.
        parameters={**defaults, "App": app, "Env": env, "AppName": app, "EnvironmentName": env},
        pseudo={"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws"},
        resources={},
        exports={},
    )
    found = Disposables()
    kinds = ("AWS::S3::Bucket", "AWS::Backup::BackupVault", "AWS::SecretsManager::Secret")
    for resource in template["Resources"].values():
        if resource["Type"] not in kinds:
            continue
        if resource.get("Condition") and not resolve.condition(resource["Condition"]):
            continue
        if resolve.resolve(resource.get("DeletionPolicy", "Delete")) != "Delete":
            continue
        properties = resource.get("Properties") or {}
        kind = resource["Type"]
        if kind == "AWS::S3::Bucket" and "BucketName" in properties:
            name = resolve.resolve(properties["BucketName"])
            locked = properties.get("ObjectLockEnabled") is True
            (found.locked_buckets if locked else found.buckets).append(name)
        elif kind == "AWS::Backup::BackupVault":
            found.vaults.append(resolve.resolve(properties["BackupVaultName"]))
        elif kind == "AWS::SecretsManager::Secret":
            found.secrets.append(resolve.resolve(properties["Name"]))
    return found


def environment_template() -> dict[str, Any]:
    """The environment addons merged, with the resources and conditions the environment
    overrides add to Copilot's stack."""
    template = templates.merged(templates.ENVIRONMENT_ADDONS)
    for patch in templates.load(ENVIRONMENT_PATCHES):
        section, _, name = patch["path"].strip("/").partition("/")
        if patch["op"] == "add" and section in ("Resources", "Conditions") and "/" not in name:
            template.setdefault(section, {})[name] = patch["value"]
    return template


# -- before the stack's deletion -------------------------------------------------------------


def empty_bucket(s3: Any, bucket: str, *, bypass_governance: bool = False) -> int:
    """Deletes every version and delete marker; returns how many. A bucket that does not exist
    is empty."""
    deleted = 0
    extra = {"BypassGovernanceRetention": True} if bypass_governance else {}
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            objects = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            if not objects:
                continue
            answer = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": objects, "Quiet": True}, **extra
            )
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise TeardownError(f"{bucket}: {first['Key']}: {first['Code']} {first['Message']}")
            deleted += len(objects)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucket":
            return 0
        raise
    return deleted


def empty_vault(
    backup: Any,
    vault: str,
    *,
    timeout_s: float = VAULT_EMPTY_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Deletes every recovery point of the vault and waits until none is left (AWS Backup
    deletes asynchronously); returns how many it deleted. A vault that does not exist is
    empty."""
    deleted = 0
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            points = [
                point
                for page in backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
                    BackupVaultName=vault
                )
                for point in page["RecoveryPoints"]
            ]
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return deleted
            raise
        if not points:
            return deleted
        waiting = True
        for point in points:
            if point.get("Status") != "DELETING":
                backup.delete_recovery_point(
                    BackupVaultName=vault, RecoveryPointArn=point["RecoveryPointArn"]
                )
                deleted += 1
                waiting = False
        if time.monotonic() > deadline:
            raise TeardownError(f"{vault}: {len(points)} recovery points are still there")
        if waiting:
            sleep(_POLL_S)


def before_delete(found: Disposables, session: Any) -> dict[str, int]:
    s3, backup = session.client("s3"), session.client("backup")
    emptied = {name: empty_bucket(s3, name) for name in found.buckets}
    emptied |= {
        name: empty_bucket(s3, name, bypass_governance=True) for name in found.locked_buckets
    }
    emptied |= {name: empty_vault(backup, name) for name in found.vaults}
    return emptied


# -- after it ----------------------------------------------------------------------------------


def purge_secrets(secrets: Any, names: list[str]) -> list[str]:
    """Deletes for good the secrets CloudFormation scheduled for deletion (or any left), so that
    the names can be used again at once; returns those it deleted."""
    purged = []
    for name in names:
        try:
            secrets.describe_secret(SecretId=name)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                continue
            raise
        secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        purged.append(name)
    return purged


def copilots_roles(env: str, app: str = APP) -> list[str]:
    return [f"{app}-{env}-CFNExecutionRole", f"{app}-{env}-EnvManagerRole"]


def delete_leftover_roles(iam: Any, env: str, app: str = APP) -> list[str]:
    """Copilot's environment roles, if its own best-effort deletion left one."""
    deleted = []
    for role in copilots_roles(env, app):
        try:
            inline = iam.list_role_policies(RoleName=role)["PolicyNames"]
        except ClientError as error:
            if error.response["Error"]["Code"] == "NoSuchEntity":
                continue
            raise
        for policy in inline:
            iam.delete_role_policy(RoleName=role, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=role)
        deleted.append(role)
    return deleted


def after_delete(found: Disposables, env: str, session: Any, app: str = APP) -> None:
    purge_secrets(session.client("secretsmanager"), found.secrets)
    delete_leftover_roles(session.client("iam"), env, app)


# -- the whole ---------------------------------------------------------------------------------


def run_copilot(arguments: list[str]) -> bool:
    executable = shutil.which("copilot")
    if executable is None:
        raise TeardownError("no copilot on PATH (docs/deploy.md, installing it)")
    return subprocess.run([executable, *arguments], check=False).returncode == 0  # noqa: S603


def take_down(
    env: str,
    *,
    session: Any,
    copilot: Callable[[list[str]], bool] = run_copilot,
    app: str = APP,
) -> Disposables:
    """Empties what the stack cannot delete, deletes the environment with Copilot (once more,
    after emptying again, if something arrived in between and the deletion failed), then frees
    the names."""
    account = session.client("sts").get_caller_identity()["Account"]
    found = disposables(env, account, session.region_name, app)
    for attempt in (1, 2):
        before_delete(found, session)
        if copilot(["env", "delete", "--name", env, "--yes"]):
            break
        if attempt == 2:
            raise TeardownError(f"copilot env delete --name {env} failed twice")
    after_delete(found, env, session, app)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.teardown", description=__doc__)
    parser.add_argument("env", help="dev or feat-<name>")
    arguments = parser.parse_args(argv)
    try:
        found = take_down(arguments.env, session=boto3.session.Session())
    except TeardownError as error:
        print(f"teardown: {error}", file=sys.stderr)
        return 1
    print(f"{arguments.env}: removed (emptied {', '.join(found.buckets + found.locked_buckets)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
