"""AWS's rules over every template the repository deploys, at every environment's concrete
values (tests/infra/aws_rules): the stacks Copilot renders with the addons and the overrides
(tests/infra/rendered), and every other template under addons/ as the stack it is deployed as.
The templates are found, not listed: a new addon or stack is checked without an edit here."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from devstack import templates
from ops import feature_env
from tests.infra import support
from tests.infra.aws_rules import Concrete, environments, name_problems, transform_problems
from tests.infra.aws_rules.concrete import longest_feature_env, resolver
from tests.infra.aws_rules.names import bucket_name_problems
from tests.infra.aws_rules.policies import Request, allowed
from tests.infra.aws_rules.requirements import requirement_problems
from tests.infra.rendered import analysis, manifests, render
from tests.infra.rendered.model import Deployment

ADDONS = support.ROOT / "addons"
ENVIRONMENTS = [values.env for values in environments()]


@cache
def deployment(env: str) -> Deployment:
    return render(env)


def rendered_stacks(env: str) -> list[tuple[str, dict[str, Any], Concrete]]:
    """Every stack of the environment's deployment with the values it deploys with."""
    found = []
    deployed = deployment(env)
    for stack in deployed.stacks:
        parameters = analysis.parameter_values(
            stack, deployed, lambda parent: analysis.resolver(parent, deployed)
        )
        values = Concrete(
            env=env,
            region=stack.region,
            stack_name=stack.name,
            parameters=parameters,
            settings=deployed.settings,
        )
        found.append((stack.name, stack.template, values))
    return found


def standalone_templates() -> list[Path]:
    """The templates under addons/ that deploy as stacks of their own (the edge web ACL, the
    registry, the feature environments' sweep, the network): every file but the addons folders
    Copilot merges into the environment's and the service's nested stacks."""
    merged = {support.ENVIRONMENT_ADDONS, support.SERVICE_ADDONS}
    return sorted(
        path
        for path in ADDONS.rglob("*.y*ml")
        if path.parent not in merged and path.name not in templates.PARAMETERS_FILE_NAMES
    )


def stack_region(template: dict[str, Any], env: str) -> str:
    """A stack whose Rules pin its region (the CloudFront web ACL: us-east-1) deploys there."""
    for rule in (template.get("Rules") or {}).values():
        for assertion in rule.get("Assertions") or []:
            equals = assertion["Assert"].get("Fn::Equals") or []
            if {"Ref": "AWS::Region"} in equals:
                (region,) = [v for v in equals if isinstance(v, str)]
                return region
    return manifests.region(env)


def standalone_stacks(env: str) -> list[tuple[str, dict[str, Any], Concrete]]:
    found = []
    for path in standalone_templates():
        template = templates.expand_for_each(templates.load(path))
        declared = template.get("Parameters") or {}
        parameters = {
            name: value
            for name, value in {"App": manifests.APP, "Env": env}.items()
            if name in declared
        }
        where = str(path.relative_to(support.ROOT))
        values = Concrete(
            env=env,
            region=stack_region(template, env),
            stack_name=f"{manifests.APP}-{env}-{path.stem}",
            parameters=parameters,
            settings=manifests.settings(env),
        )
        found.append((where, template, values))
    return found


# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_name_fits_awss_limits_in_every_rendered_stack(env):
    problems = [
        problem
        for name, template, values in rendered_stacks(env)
        for problem in name_problems(template, values, where=name)
    ]
    assert problems == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_name_fits_awss_limits_in_every_standalone_stack(env):
    problems = [
        problem
        for where, template, values in standalone_stacks(env)
        for problem in name_problems(template, values, where=where)
    ]
    assert problems == []


def test_the_environments_include_the_standby_and_the_longest_feature_name():
    longest = longest_feature_env()
    assert longest == "feat-" + "f" * 12
    assert {"dev", "staging", "prod", "prod-eu-central-1", longest} == set(ENVIRONMENTS)
    regions = {values.env: values.region for values in environments()}
    assert regions["prod-eu-central-1"] == "eu-central-1"
    # A longer name is refused by the script before anything is made.
    with pytest.raises(feature_env.FeatureEnvError, match="lower-case letters"):
        feature_env.env_name("f" * 13)


def test_the_name_check_sees_a_name_over_its_limit():
    template = {
        "Parameters": {"App": {"Type": "String"}, "Env": {"Type": "String"}},
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": {
                        "Fn::Sub": "${App}-${Env}-audit-archive-${AWS::AccountId}-${AWS::Region}"
                    }
                },
            },
            "Group": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {"Name": {"Fn::Sub": "${App}-${Env}-api-targets"}},
            },
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"RoleName": {"Fn::Sub": "${App}-${Env}-" + "r" * 40}},
            },
        },
    }
    values = Concrete(
        env="prod-eu-central-1",
        region="eu-central-1",
        parameters={"App": "teamtasks", "Env": "prod-eu-central-1"},
    )
    problems = name_problems(template, values)
    assert len(problems) == 3, problems
    assert "67 characters, over the limit of 63" in problems[0]
    assert "over the limit of 32" in problems[1]
    assert "over the limit of 64" in problems[2]
    # In dev every one of them fits.
    dev = Concrete(env="dev", region="eu-west-1", parameters={"App": "teamtasks", "Env": "dev"})
    assert name_problems(template, dev) == []


def test_s3s_other_bucket_rules():
    assert bucket_name_problems("a..b") == ["has two adjacent periods"]
    assert bucket_name_problems("192.168.5.4") == ["is formatted as an IP address"]
    assert bucket_name_problems("xn--bucket") and bucket_name_problems("bucket-s3alias")
    assert bucket_name_problems("teamtasks-dev-logs-111122223333-eu-west-1") == []


# -- transforms ----------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_rendered_stack_declares_the_transforms_it_needs(env):
    """The addons merged (Copilot keeps one Transform for the nested stack), and the
    environment and service stacks as the overrides leave them (Copilot's have none)."""
    problems = [
        problem
        for name, template, _ in rendered_stacks(env)
        for problem in transform_problems(template, name)
    ]
    assert problems == []


def test_every_standalone_stack_declares_the_transforms_it_needs():
    problems = [
        problem
        for path in standalone_templates()
        for problem in transform_problems(templates.load(path), str(path.relative_to(support.ROOT)))
    ]
    assert problems == []


def test_the_transform_check_sees_an_intrinsic_deletion_policy_without_the_transform():
    """The defect of issue 19.1: cfn-lint passes it, CloudFormation refuses it."""
    edge = templates.load(ADDONS / "edge" / "cloudfront-waf.yml")
    edge.pop("Transform", None)
    (problem,) = transform_problems(edge, "edge")
    assert "LogKey.DeletionPolicy" in problem and "AWS::LanguageExtensions" in problem
    patched = render(
        "dev",
        environment_patches=[
            {
                "op": "add",
                "path": "/Resources/AccessLog",
                "value": {
                    "Type": "AWS::S3::Bucket",
                    "DeletionPolicy": {"Fn::If": ["CreateALB", "Delete", "Retain"]},
                },
            }
        ],
    )
    assert transform_problems(patched.stack("environment").template, "environment")


# -- what AWS requires of properties ---------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod-eu-central-1"])
def test_every_template_meets_what_aws_requires_of_its_properties(env):
    problems = [
        problem
        for where, template, values in [*rendered_stacks(env), *standalone_stacks(env)]
        for problem in requirement_problems(template, values, where)
    ]
    assert problems == []


def test_a_repository_creation_template_with_tags_and_no_role_is_reported():
    """The defect of issue 19.5, put back."""
    registry = templates.load(ADDONS / "network" / "registry.yml")
    registry["Resources"]["EcrPublicCacheRepositories"]["Properties"].pop("CustomRoleArn")
    values = Concrete(env="dev", region="eu-west-1", parameters={"App": "teamtasks"})
    (problem,) = requirement_problems(registry, values, "registry")
    assert "without a CustomRoleArn" in problem


def test_ecr_may_create_and_tag_only_the_caches_repositories_as_the_role():
    registry = templates.load(ADDONS / "network" / "registry.yml")
    values = Concrete(env="dev", region="eu-west-1", parameters={"App": "teamtasks"})
    role = resolver(registry, values).resolve(
        registry["Resources"]["EcrPublicCacheRepositoryCreator"]["Properties"]
    )
    trust = role["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "ecr.amazonaws.com"}
    policy = [p["PolicyDocument"] for p in role["Policies"]]
    cached = "arn:aws:ecr:eu-west-1:111122223333:repository/teamtasks-ecr-public/aws-otel"
    for action in ("ecr:CreateRepository", "ecr:TagResource"):
        assert allowed(policy, Request(action, cached))
        assert not allowed(policy, Request(action, cached.replace("-ecr-public", "/api")))
