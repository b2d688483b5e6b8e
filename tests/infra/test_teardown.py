"""Teardown as a tested path, in the emulator (moto in-process): a disposable environment comes
up from the same templates as `make dev` (devstack's provisioning, the audit archive's bucket
with its Object Lock), is used (audit events archived into the locked bucket, the browser app
published, access logs written, in dev a recovery point in the vault), and goes down as
`make feature-env-down` and ops/teardown.py take it down, with `copilot env delete` as
CloudFormation would delete the stack (tests/infra/emulated_cloudformation.py: AWS's refusals
included). Nothing may be left and no deletion may fail; then the same name comes up again.

Each call the teardown makes is one the feature environments' sweep may make
(addons/feature-envs/reaper.yml), as the sweep runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from devstack import stream_poller, templates
from devstack.provision import LocalProvisioner
from ops import teardown
from tests.infra import support
from tests.infra.aws_rules import Concrete, resolver
from tests.infra.aws_rules.concrete import longest_feature_env
from tests.infra.aws_rules.policies import Request, allowed
from tests.infra.emulated_cloudformation import delete_environment
from tests.infra.emulator_backup import recovery_points

REGION = "eu-west-1"
ACCOUNT = "111122223333"
APP = "teamtasks"


@pytest.fixture()
def session() -> Iterator[Any]:
    with support.mocked_account(REGION, ACCOUNT), recovery_points():
        yield boto3.session.Session(region_name=REGION)


def local_stacks(env: str) -> list[str]:
    return [f"{APP}-{env}-addons", f"{APP}-{env}-addons-exports"]


def up(session: Any, env: str) -> dict[str, Any]:
    """The environment's stack as the local stack makes it, plus what Copilot's stack holds
    that the teardown meets: the access-log bucket of the overrides (and dev's vault)."""
    provisioned = LocalProvisioner(session, app=APP, env=env, progress=lambda _: None).run()
    archive = stream_poller.provision(
        session, app=APP, env=env, resources=provisioned.resources
    ).buckets["AuditArchiveBucket"]
    found = teardown.disposables(env, ACCOUNT, REGION)
    s3 = session.client("s3")
    for bucket in found.buckets:
        try:
            s3.head_bucket(Bucket=bucket)
        except s3.exceptions.ClientError:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for vault in found.vaults:
        session.client("backup").create_backup_vault(BackupVaultName=vault)
    return {"archive": archive, "found": found, "provisioned": provisioned}


def use(session: Any, env: str, made: dict[str, Any]) -> None:
    """Audit events archived (the archive function's own code, into the locked bucket), the
    app published twice (versions), access logs delivered, in dev a backup taken."""
    module, _ = stream_poller.load_handler(
        next(
            m
            for m in stream_poller.stream_mappings(
                templates.merged(templates.ENVIRONMENT_ADDONS),
                resolver(
                    templates.merged(templates.ENVIRONMENT_ADDONS),
                    Concrete(env=env, region=REGION, parameters={"App": APP, "Env": env}),
                ),
            )
            if m.function_name.endswith("audit-archive")
        )
    )
    archiver = module.from_environment(
        {
            "TABLE_NAME": f"{APP}-{env}-tasks",
            "ARCHIVE_BUCKET": made["archive"],
            "AWS_REGION": REGION,
        },
        session,
    )
    now = datetime.now(UTC).isoformat()
    assert archiver.append("W1", [{"id": "E1", "at": now}, {"id": "E2", "at": now}])
    s3 = session.client("s3")
    # The archive's objects are locked: a plain delete is refused.
    version = s3.list_object_versions(Bucket=made["archive"])["Versions"][0]
    with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=made["archive"], Key=version["Key"], VersionId=version["VersionId"])
    frontend, logs = made["found"].buckets
    for body in (b"one", b"two"):
        s3.put_object(Bucket=frontend, Key="index.html", Body=body)
    s3.put_object(Bucket=logs, Key="cloudfront/E1.2026-12-06.gz", Body=b"log")
    for vault in made["found"].vaults:
        session.client("backup").start_backup_job(
            BackupVaultName=vault,
            ResourceArn=made["provisioned"].resources["TasksTable"]["Arn"],
            IamRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{APP}-{env}-backup",
        )


def left_behind(session: Any, env: str) -> list[str]:
    """Whatever of the environment still exists or still holds its name."""
    found = []
    prefix = f"{APP}-{env}-"
    s3 = session.client("s3")
    found += [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(prefix)]
    found += [
        t for t in session.client("dynamodb").list_tables()["TableNames"] if t.startswith(prefix)
    ]
    cognito = session.client("cognito-idp")
    found += [
        p["Name"]
        for p in cognito.list_user_pools(MaxResults=60)["UserPools"]
        if p["Name"].startswith(prefix)
    ]
    secrets = session.client("secretsmanager")
    found += [
        s["Name"]
        for s in secrets.list_secrets(IncludePlannedDeletion=True)["SecretList"]
        if s["Name"].startswith(f"/{APP}/{env}/")
    ]
    found += [
        a["AliasName"]
        for a in session.client("kms").list_aliases()["Aliases"]
        if a["AliasName"].startswith(f"alias/{prefix}")
    ]
    found += [
        v["BackupVaultName"]
        for v in session.client("backup").list_backup_vaults()["BackupVaultList"]
        if v["BackupVaultName"].startswith(f"{APP}-{env}")
    ]
    return found


def copilot_in_the_emulator(session: Any, env: str, outcomes: list[list[str]]) -> Any:
    def copilot(arguments: list[str]) -> bool:
        assert arguments == ["env", "delete", "--name", env, "--yes"]
        failed = delete_environment(session, app=APP, env=env, local_stacks=local_stacks(env))
        outcomes.append(failed)
        return not failed

    return copilot


def test_a_feature_environment_goes_down_leaving_nothing_and_comes_up_again(session):
    """Up, used, down, twice under the same name: every deletion succeeds at once and nothing
    is left. The first teardown runs as the sweep runs it, and each of its calls is one the
    sweep's role allows."""
    env = longest_feature_env()
    calls: list[Request] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.extend(iam_requests(model.service_model.service_name, model.name, params))

    # The sweep's session is its own: what the emulated CloudFormation does is not its call.
    sweep = boto3.session.Session(region_name=REGION)
    sweep.events.register("provide-client-params.*.*", record)
    for _ in ("first", "again"):
        made = up(session, env)
        use(session, env, made)
        outcomes: list[list[str]] = []
        copilot = copilot_in_the_emulator(session, env, outcomes)
        teardown.take_down(env, session=sweep, copilot=copilot)
        assert outcomes == [[]], "no deletion failed, at the first attempt"
        assert left_behind(session, env) == []
    actions = {c.action for c in calls}
    assert {"s3:BypassGovernanceRetention", "secretsmanager:DeleteSecret"} <= actions
    refused = [(c.action, c.resource) for c in calls if not allowed(reaper_policies(), c)]
    assert refused == []


def test_dev_goes_down_with_its_vaults_recovery_points(session):
    made = up(session, "dev")
    use(session, "dev", made)
    outcomes: list[list[str]] = []
    teardown.take_down(
        "dev", session=session, copilot=copilot_in_the_emulator(session, "dev", outcomes)
    )
    assert outcomes == [[]]
    assert left_behind(session, "dev") == []


def test_without_the_teardown_the_deletion_fails_and_names_stay_taken(session):
    """The defects of issue 19.3 and 19.11 put back: `copilot env delete` alone."""
    env = "dev"
    made = up(session, env)
    use(session, env, made)
    failed = delete_environment(session, app=APP, env=env, local_stacks=local_stacks(env))
    assert sorted(f.split()[0] for f in failed) == [
        "AuditArchiveBucket",
        "BackupVault",
        "DisposableAccessLogsBucket",
        "FrontendBucket",
    ]
    # Emptied, the stack deletes; but the secrets keep their names for 30 days.
    teardown.before_delete(made["found"], session)
    assert delete_environment(session, app=APP, env=env, local_stacks=local_stacks(env)) == []
    assert sorted(left_behind(session, env)) == sorted(made["found"].secrets)
    # CloudFormation's next create of the same secret would be refused, as this one is.
    secrets = session.client("secretsmanager")
    with pytest.raises(secrets.exceptions.ClientError, match="already exists"):
        secrets.create_secret(Name=made["found"].secrets[0], SecretString="x")


def test_the_teardown_refuses_an_environment_that_keeps_its_data():
    for env in ("staging", "prod", "prod-eu-central-1"):
        with pytest.raises(teardown.TeardownError, match="not disposable"):
            teardown.disposables(env, ACCOUNT, REGION)


# -- the sweep's permissions -----------------------------------------------------------------

REAPER = support.load_yaml_cfn(support.ROOT / "addons" / "feature-envs" / "reaper.yml")


def reaper_policies() -> list[dict[str, Any]]:
    values = Concrete(
        env="dev",
        region=REGION,
        account=ACCOUNT,
        parameters={"ConnectionArn": "arn:conn", "RepositoryUrl": "https://example.com/r"},
    )
    role = resolver(REAPER, values).resolve(REAPER["Resources"]["ReaperRole"]["Properties"])
    return [policy["PolicyDocument"] for policy in role["Policies"]]


def iam_requests(service: str, operation: str, params: dict[str, Any]) -> list[Request]:
    """The IAM actions and resources one API call is authorised as."""
    s3 = "arn:aws:s3:::"
    if service == "s3" and operation == "ListObjectVersions":
        return [Request("s3:ListBucketVersions", s3 + params["Bucket"])]
    if service == "s3" and operation == "DeleteObjects":
        requests = []
        for item in params["Delete"]["Objects"]:
            arn = f"{s3}{params['Bucket']}/{item['Key']}"
            requests.append(Request("s3:DeleteObjectVersion", arn))
            if params.get("BypassGovernanceRetention"):
                requests.append(Request("s3:BypassGovernanceRetention", arn))
        return requests
    if service == "secretsmanager":
        arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{params['SecretId']}-AbCdEf"
        return [Request(f"secretsmanager:{operation}", arn)]
    if service == "iam":
        arn = f"arn:aws:iam::{ACCOUNT}:role/{params['RoleName']}"
        return [Request(f"iam:{operation}", arn)]
    if service == "sts" and operation == "GetCallerIdentity":
        return []  # needs no permission
    return [Request(f"{service}:{operation}", "*")]
