"""Feature environments (ops/feature_env.py, `make feature-env NAME=x`): run as a command against
moto's server (SSM) in a copy of the repository's copilot/, with a stand-in `copilot` on PATH
(the real one cannot run here). The stand-in records its calls, and for a deploy it does what
Copilot's interpolate.go does first: it fills every ${VAR} of the raw manifests it would read
and fails on an undefined one. What the generated environment gets from the templates (its own
table and user pool, disposable) is read from the addons with its name."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ops import feature_env
from tests.infra import support
from tests.support.stack import free_port

STAND_IN = textwrap.dedent(
    """\
    #!{python}
    import json, os, re, sys
    from pathlib import Path
    import yaml
    calls = Path(os.environ["COPILOT_CALLS"])
    args = sys.argv[1:]
    with calls.open("a") as out:
        out.write(json.dumps(args) + "\\n")
    if args[:2] in (["env", "deploy"], ["svc", "deploy"]):
        env = args[args.index("--env" if args[0] == "svc" else "--name") + 1]
        files = [Path("copilot/environments") / env / "manifest.yml"]
        if args[0] == "svc":
            files.append(Path("copilot/api/manifest.yml"))
        variable = r"(?<!\\\\)\\$\\{{([A-Za-z_][A-Za-z0-9_]*)\\}}"
        for path in files:
            values = yaml.safe_dump(yaml.safe_load(path.read_text()))  # not the comments
            for name in re.findall(variable, values):
                if name.startswith("COPILOT_"):
                    continue
                if name not in os.environ:
                    sys.exit(f"environment variable {{name}} is not defined ({{path}})")
                if args[0] == "env" and not os.environ[name]:
                    sys.exit(f"{{name}} is empty in the environment's manifest")
    """
)
DEV_SETTINGS = {
    "domain": "dev.teamtasks.example.com",
    "alb-certificate-arn": "arn:aws:acm:eu-west-1:111122223333:certificate/alb",
    "cdn-certificate-arn": "arn:aws:acm:us-east-1:111122223333:certificate/cdn",
    "cloudfront-web-acl-arn": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/dev/1",
    "alarm-email": "oncall@example.com",
    "ses-identity-arn": "none",
    "origin-shield-region": "eu-west-1",
    "network-stack": "teamtasks-dev-network",
    "network/vpc-id": "vpc-0dev",
    "network/public-subnet-1": "subnet-pub1",
    "network/public-subnet-2": "subnet-pub2",
    "network/private-subnet-1": "subnet-priv1",
    "network/private-subnet-2": "subnet-priv2",
    "network/private-subnets": "subnet-priv1,subnet-priv2",
    "reserved-concurrency/purge": "0",
    "reserved-concurrency/archive": "0",
    "reserved-concurrency/notifier": "0",
    "reserved-concurrency/rotation": "0",
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def workspace(tmp_path: Path, endpoint: str) -> Iterator[dict[str, Any]]:
    root = tmp_path / "repo"
    shutil.copytree(support.COPILOT, root / "copilot", symlinks=True)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "copilot").write_text(STAND_IN.format(python=sys.executable))
    (tools / "copilot").chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DEV_", "STAGING_", "PROD_", "AWS_"))
    }
    environment.update(
        PATH=f"{tools}:{os.environ['PATH']}",
        COPILOT_CALLS=str(calls),
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
    )
    ssm = boto3.client(
        "ssm",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for name, value in DEV_SETTINGS.items():
        ssm.put_parameter(Name=f"/teamtasks/dev/{name}", Value=value, Type="String", Overwrite=True)
    yield {"root": root, "calls": calls, "env": environment, "ssm": ssm}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/", Recursive=True):
        for parameter in page["Parameters"]:
            ssm.delete_parameter(Name=parameter["Name"])


def run(workspace: dict[str, Any], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.feature_env", "--root", str(workspace["root"]), *arguments],
        cwd=support.ROOT,
        env={**workspace["env"], "PYTHONPATH": str(support.ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def calls(workspace: dict[str, Any]) -> list[list[str]]:
    return [json.loads(line) for line in workspace["calls"].read_text().splitlines()]


def settings(ssm: Any, env: str) -> dict[str, str]:
    return {
        p["Name"].removeprefix(f"/teamtasks/{env}/"): p["Value"]
        for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=f"/teamtasks/{env}/", Recursive=True
        )
        for p in page["Parameters"]
    }


def test_feature_env_up_makes_the_environment_from_devs(workspace):
    service_before = (workspace["root"] / "copilot" / "api" / "manifest.yml").read_text()
    done = run(workspace, "up", "login", "--days", "3", "--skip-frontend")
    assert done.returncode == 0, done.stderr
    expires = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    assert calls(workspace) == [
        ["env", "init", "--name", "feat-login", "--profile", "default", "--default-config"],
        ["env", "deploy", "--name", "feat-login"],
        [
            "svc", "deploy", "--name", "api", "--env", "feat-login",
            "--resource-tags", f"teamtasks:expires-on={expires}",
        ],
    ]  # fmt: skip
    own = settings(workspace["ssm"], "feat-login")
    assert own["domain"] == "login.dev.teamtasks.example.com"
    assert own["network-stack"] == "teamtasks-dev-network"
    assert own["network/private-subnets"] == "subnet-priv1,subnet-priv2"
    assert own["alb-certificate-arn"] == DEV_SETTINGS["alb-certificate-arn"]
    assert (own["replica-region"], own["replica-table-endpoint"]) == ("none", "none")
    assert own["expires-on"] == expires
    tags = workspace["ssm"].list_tags_for_resource(
        ResourceType="Parameter", ResourceId="/teamtasks/feat-login/expires-on"
    )["TagList"]
    assert tags == [{"Key": "teamtasks:expires-on", "Value": expires}]

    copilot = workspace["root"] / "copilot"
    generated = support.load_yaml(copilot / "environments" / "feat-login" / "manifest.yml")
    dev = support.load_yaml(copilot / "environments" / "dev" / "manifest.yml")
    assert generated["name"] == "feat-login"
    assert generated["network"] == dev["network"]  # dev's VPC and subnets
    assert generated["cdn"]["static_assets"]["alias"] == "${FEAT_LOGIN_DOMAIN}"
    service = support.load_yaml(copilot / "api" / "manifest.yml")
    assert service["environments"]["feat-login"]["http"]["alias"] == "${FEAT_LOGIN_DOMAIN}"
    assert service["environments"]["feat-login"]["count"] == service["environments"]["dev"]["count"]
    # Up twice is the same environment, one entry.
    assert run(workspace, "up", "login", "--skip-frontend").returncode == 0
    assert (copilot / "api" / "manifest.yml").read_text().count("\n  feat-login:\n") == 1

    # The browser app's bucket holds versions (frontend/scripts/deploy.py): emptied before the
    # environment's deletion, which would fail on a bucket with objects.
    s3 = boto3.client(
        "s3",
        endpoint_url=workspace["env"]["AWS_ENDPOINT_URL"],
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = "teamtasks-feat-login-frontend-123456789012-eu-west-1"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=bucket, Key="index.html", Body=body)
    assert run(workspace, "down", "login").returncode == 0
    assert s3.list_object_versions(Bucket=bucket).get("Versions", []) == []
    assert calls(workspace)[-2:] == [
        ["svc", "delete", "--name", "api", "--env", "feat-login", "--yes"],
        ["env", "delete", "--name", "feat-login", "--yes"],
    ]
    assert settings(workspace["ssm"], "feat-login") == {}
    assert not (copilot / "environments" / "feat-login").exists()
    assert (copilot / "api" / "manifest.yml").read_text() == service_before


def test_a_missing_setting_of_devs_stops_it_before_copilot_runs(workspace):
    workspace["ssm"].delete_parameter(Name="/teamtasks/dev/network/vpc-id")
    done = run(workspace, "up", "broken", "--skip-frontend")
    assert done.returncode == 1
    assert "/teamtasks/dev/network/vpc-id is not set" in done.stderr
    assert calls(workspace) == []


def test_a_manifest_variable_nobody_sets_stops_the_deploy_as_copilot_would(workspace):
    # dev's manifest gains a variable the script does not know: the environment's deploy gets
    # it empty at best, which the stand-in refuses, and nothing is deployed after it.
    dev = workspace["root"] / "copilot" / "environments" / "dev" / "manifest.yml"
    dev.write_text(dev.read_text().replace("${DEV_ALB_CERTIFICATE_ARN}", "${DEV_NEW_SETTING}"))
    done = run(workspace, "up", "broken", "--skip-frontend")
    assert done.returncode == 1
    assert "DEV_NEW_SETTING is empty" in done.stderr
    assert [c[:2] for c in calls(workspace)] == [["env", "init"], ["env", "deploy"]]


@pytest.mark.parametrize("name", ["Login", "averyveryverylongname"])
def test_a_bad_name_is_refused_before_anything_is_made(workspace, name):
    done = run(workspace, "up", name, "--skip-frontend")
    assert done.returncode == 1
    assert "lower-case letters and digits" in done.stderr
    assert calls(workspace) == []
    assert settings(workspace["ssm"], f"feat-{name}") == {}


def test_reap_removes_only_the_expired_ones(workspace):
    for name, days in (("old", 1), ("fresh", 30)):
        assert run(workspace, "up", name, "--days", str(days), "--skip-frontend").returncode == 0
    later = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    done = run(workspace, "reap", "--today", later)
    assert done.returncode == 0, done.stderr
    assert "removed: feat-old" in done.stdout
    deletes = [c for c in calls(workspace) if "delete" in c]
    assert {tuple(c) for c in deletes} == {
        ("svc", "delete", "--name", "api", "--env", "feat-old", "--yes"),
        ("env", "delete", "--name", "feat-old", "--yes"),
    }
    assert settings(workspace["ssm"], "feat-old") == {}
    assert settings(workspace["ssm"], "feat-fresh")["expires-on"] > later


def test_a_feature_environment_has_its_own_table_and_pool_and_is_disposable():
    template = support.merged(support.ENVIRONMENT_ADDONS)
    resolver = support.resolver(template, "feat-login")
    table = template["Resources"]["TasksTable"]
    assert resolver.condition(table["Condition"])  # it owns a table
    assert resolver.resolve(table["Properties"]["TableName"]) == "teamtasks-feat-login-tasks"
    assert resolver.resolve(table["DeletionPolicy"]) == "Delete"
    pool = template["Resources"]["UserPool"]["Properties"]
    assert resolver.resolve(pool["UserPoolName"]) == "teamtasks-feat-login-users"
    assert feature_env.env_name("login") == "feat-login"


def test_the_generated_files_are_not_committed():
    ignored = (support.ROOT / ".gitignore").read_text().splitlines()
    assert "copilot/environments/feat-*/" in ignored
    service = support.load_yaml(support.COPILOT / "api" / "manifest.yml")
    assert not [env for env in service["environments"] if env.startswith("feat-")]


# -- the daily sweep (addons/feature-envs/reaper.yml) -----------------------------------------

REAPER = support.load_yaml_cfn(support.ROOT / "addons" / "feature-envs" / "reaper.yml")


def test_a_daily_schedule_starts_the_build_that_reaps():
    resources = REAPER["Resources"]
    (rule,) = [r for r in resources.values() if r["Type"] == "AWS::Events::Rule"]
    assert REAPER["Parameters"]["Schedule"]["Default"].startswith("cron(0 5 * * ? *)")
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ReaperProject", "Arn"]}
    project = resources["ReaperProject"]["Properties"]
    buildspec = support.ROOT / project["Source"]["BuildSpec"]
    commands = support.load_yaml(buildspec)["phases"]["build"]["commands"]
    assert commands == ["make feature-env-reap"]
    makefile = (support.ROOT / "Makefile").read_text()
    assert "feature-env-reap: setup\n\t$(PY) -m ops.feature_env reap\n" in makefile


def test_the_reaper_may_touch_only_feature_environments():
    (policy,) = REAPER["Resources"]["ReaperRole"]["Properties"]["Policies"]
    resolved = support.resolver(REAPER, "dev", ConnectionArn="arn:conn").resolve(
        policy["PolicyDocument"]
    )
    for statement in resolved["Statement"]:
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        if statement["Sid"] == "FindTheExpiredOnesAndWhoAmI":
            assert set(statement["Action"]) == {
                "ssm:DescribeParameters",
                "tag:GetResources",
                "sts:GetCallerIdentity",
            }
            continue
        if statement["Sid"] == "CopilotChecksNoPipelineDeploysThere":
            # Read only: env delete refuses to delete an environment a pipeline deploys to.
            assert statement["Action"] == ["codepipeline:GetPipeline"]
            continue
        for resource in resources:
            assert (
                "feat-" in resource
                or "feature-env-reaper" in resource
                or "copilot/applications/teamtasks" in resource
                or "stackset/teamtasks-infrastructure" in resource
                or resource == "arn:conn"
            ), (statement["Sid"], resource)
        deletes = [a for a in statement["Action"] if ":Delete" in a]
        if deletes:
            # Deleting reaches feature environments only, never dev's, staging's or prod's.
            assert all(("/feat-" in r or "teamtasks-feat-" in r) for r in resources), statement[
                "Sid"
            ]


def test_a_feature_environment_gets_every_setting_the_stacks_read():
    """Every {{resolve:ssm:/<app>/<env>/...}} the environment's stacks make is a setting
    `up` writes for the feature environment (a missing one fails its first env deploy)."""
    reference = re.compile(r"resolve:ssm:/\$\{AppName\}/\$\{EnvironmentName\}/([a-z0-9/-]+)")
    read = set()
    for path in (
        support.ENVIRONMENT_ADDONS / "addons.parameters.yml",
        support.COPILOT / "environments" / "overrides" / "cfn.patches.yml",
    ):
        read |= set(reference.findall(path.read_text()))
    assert {"cloudfront-web-acl-arn", "reserved-concurrency/purge"} <= read
    written = {*feature_env.SHARED_SETTINGS, *feature_env.OWN_SETTINGS, "domain"}
    assert read - written == set()


def test_no_more_than_the_quotas_allow_exist_at_once(workspace):
    expires_on = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    already = len(feature_env.existing(workspace["ssm"]))
    for number in range(feature_env.MAX_FEATURE_ENVIRONMENTS - already):
        workspace["ssm"].put_parameter(
            Name=f"/teamtasks/feat-f{number}/expires-on", Value=expires_on, Type="String"
        )
    assert len(feature_env.existing(workspace["ssm"])) == feature_env.MAX_FEATURE_ENVIRONMENTS
    refused = run(workspace, "up", "onetoomany", "--skip-frontend")
    assert refused.returncode == 1
    assert "the most dev's account's quotas allow" in refused.stderr
    assert settings(workspace["ssm"], "feat-onetoomany") == {}
    # Updating one that exists is not a new one.
    one = sorted(feature_env.existing(workspace["ssm"]))[0].removeprefix("feat-")
    assert run(workspace, "up", one, "--skip-frontend").returncode == 0
