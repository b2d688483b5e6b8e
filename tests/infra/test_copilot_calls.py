"""What Copilot's commands call with the caller's own credentials (tests/infra/aws_rules/
copilot_calls.py, read from Copilot's source at the version the pipeline installs), checked
against the roles that run them: the feature environments' sweep runs `svc delete` and `env
delete` (addons/feature-envs/reaper.yml), the pipeline's build runs `env package` and `svc
package` (Copilot's build role with the manifest's additional policy,
tests/infra/rendered/pipeline.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.infra import support
from tests.infra.aws_rules import Concrete, resolver
from tests.infra.aws_rules.concrete import longest_feature_env
from tests.infra.aws_rules.copilot_calls import COMMANDS, requests
from tests.infra.aws_rules.policies import allowed
from tests.infra.rendered import manifests
from tests.infra.rendered.pipeline import build_role_policies

ACCOUNT = manifests.ACCOUNT
REGION = manifests.REGION
REAPER_TEMPLATE = support.load_yaml_cfn(support.ROOT / "addons" / "feature-envs" / "reaper.yml")
PIPELINE_MANIFEST = support.load_yaml(support.PIPELINE / "manifest.yml")


def reaper_policies(template: dict[str, Any] = REAPER_TEMPLATE) -> list[dict[str, Any]]:
    values = Concrete(
        env="dev",
        region=REGION,
        parameters={
            "ConnectionArn": f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/1",
            "RepositoryUrl": "https://github.com/teamtasks/teamtasks",
        },
    )
    role = resolver(template, values).resolve(template["Resources"]["ReaperRole"]["Properties"])
    return [policy["PolicyDocument"] for policy in role["Policies"]]


def refused(command: str, policies: list[dict[str, Any]], env: str, principal: str) -> list[str]:
    return [
        f"{call.action} on {request.resource} ({call.source})"
        for call, request in requests(
            command, app="teamtasks", env=env, region=REGION, account=ACCOUNT, principal=principal
        )
        if not call.needs_no_permission and not allowed(policies, request)
    ]


REAPER = f"arn:aws:iam::{ACCOUNT}:role/teamtasks-feature-env-reaper"
BUILD = f"arn:aws:iam::{ACCOUNT}:role/pipeline-teamtasks-teamtasks-main-BuildProjectRole-1"


@pytest.mark.parametrize("command", ["svc delete", "env delete"])
def test_the_sweep_may_make_every_call_copilots_deletions_make_as_the_caller(command):
    assert refused(command, reaper_policies(), longest_feature_env(), REAPER) == []


def test_without_reading_the_pipelines_env_delete_is_refused():
    """The defect of issue 19.4 put back: env delete reads every pipeline of the application
    with the caller's credentials, and fails with AccessDenied once the pipeline exists."""
    template = copy.deepcopy(REAPER_TEMPLATE)
    (policy,) = template["Resources"]["ReaperRole"]["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    policy["PolicyDocument"]["Statement"] = [
        s for s in statements if s.get("Sid") != "CopilotChecksNoPipelineDeploysThere"
    ]
    (problem,) = refused("env delete", reaper_policies(template), "feat-login", REAPER)
    assert problem.startswith("codepipeline:GetPipeline")


def test_the_sweep_may_not_delete_the_pipelines_environments():
    for env in ("dev", "staging", "prod"):
        problems = refused("env delete", reaper_policies(), env, REAPER)
        assert any(p.startswith("ssm:DeleteParameter") for p in problems), env
        assert any(p.startswith("sts:AssumeRole") for p in problems), env


@pytest.mark.parametrize("command", ["env package", "svc package"])
@pytest.mark.parametrize("stage", [s["name"] for s in PIPELINE_MANIFEST["stages"]])
def test_the_build_may_make_every_call_copilots_packaging_makes_as_the_caller(command, stage):
    policies = build_role_policies(
        PIPELINE_MANIFEST, app="teamtasks", region=REGION, account=ACCOUNT
    )
    assert refused(command, policies, stage, BUILD) == []


def test_without_the_additional_policy_env_package_is_refused():
    """Copilot's build role has no EC2 permission, and `env package` looks the CloudFront prefix
    list up with it for http.public.ingress.cdn."""
    manifest = copy.deepcopy(PIPELINE_MANIFEST)
    del manifest["build"]["additional_policy"]
    policies = build_role_policies(manifest, app="teamtasks", region=REGION, account=ACCOUNT)
    (problem,) = refused("env package", policies, "prod", BUILD)
    assert problem.startswith("ec2:DescribeManagedPrefixLists")


def test_every_call_names_the_source_it_was_read_from():
    for command, calls in COMMANDS.items():
        assert calls, command
        for call in calls:
            assert call.source.startswith("internal/pkg/"), (command, call)
