"""The Copilot path's gates over the CDK app (tests/infra/aws_rules, issue 19): every synthesised
template of every environment (dev, staging, prod, prod's standby, the longest feature
environment name) at its concrete values against AWS's name limits and the transforms it needs,
everything one account deploys against a new account's quotas, what AWS requires of properties,
and security groups that mix inline and separate rules. The synthesised templates are found, not
listed: a new stack or addon is checked without an edit here."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk import config
from ops import feature_env
from tests.infra.aws_rules import Concrete, name_problems, quotas, transform_problems
from tests.infra.aws_rules.concrete import UNKNOWN, longest_feature_env
from tests.infra.aws_rules.requirements import requirement_problems
from tests.infra.aws_rules.security_groups import mixed_rule_problems
from tests.infra.cdk.conftest import ENVIRONMENTS, FEATURE
from tests.infra.rendered import manifests

pytestmark = pytest.mark.timeout(1800)
SSM_TYPED = "AWS::SSM::Parameter::Value<"
PRIMARY = ("dev", "staging", "prod", "prod-eu-central-1")
# What the manifest sizes (the service's range and task size), not the templates: docs/deploy.md
# asks for the increase before prod's first deployment, as on the Copilot path.
SIZED_BY_THE_MANIFEST = {"fargate-on-demand-vcpu", "fargate-spot-vcpu"}


def concrete(env: str, stack: dict[str, Any]) -> Concrete:
    """The values the stack deploys with: its SSM-typed parameters (the environment's settings,
    whose default is the setting's name) take the settings' values; a setting the example
    values do not have stays unknown, and is then never part of a name checked."""
    settings = manifests.settings(env)
    parameters = {
        name: settings.get(spec.get("Default"), f"{UNKNOWN}{name}")
        for name, spec in (stack["template"].get("Parameters") or {}).items()
        if str(spec.get("Type", "")).startswith(SSM_TYPED)
    }
    return Concrete(
        env=env,
        region=stack["region"],
        stack_name=stack["name"],
        parameters=parameters,
        settings=settings,
    )


def environment_stacks(synthesised, env: str) -> list[tuple[str, dict[str, Any], Concrete]]:
    return [
        (stack["name"], stack["template"], concrete(env, stack))
        for stack in synthesised.stacks(env).values()
    ]


def account_level_stacks(synthesised) -> list[tuple[str, dict[str, Any], Concrete]]:
    """The registries and the pipeline: no environment's, checked at the primary's."""
    return [
        (f"{stack['name']} ({stack['region']})", stack["template"], concrete("prod", stack))
        for stack in synthesised.account_stacks().values()
    ]


# -- names and transforms ----------------------------------------------------------------------


def test_the_feature_environment_is_the_longest_name_allowed():
    assert f"feat-{FEATURE}" == longest_feature_env() == "feat-" + "f" * 12
    with pytest.raises(feature_env.FeatureEnvError):
        feature_env.env_name(FEATURE + "f")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_name_fits_awss_limits(synthesised, env):
    problems = [
        problem
        for name, template, values in environment_stacks(synthesised, env)
        for problem in name_problems(template, values, where=name)
    ]
    assert problems == []


def test_every_name_of_the_registries_and_the_pipeline_fits(synthesised):
    problems = [
        problem
        for name, template, values in account_level_stacks(synthesised)
        for problem in name_problems(template, values, where=name)
    ]
    assert problems == []


def test_the_names_are_checked_at_their_values(synthesised):
    # Not vacuous: the access-log bucket's name is resolved in the standby's region, where it
    # is longest, and the name it had before issue 19 is reported there.
    stacks = {name: (t, v) for name, t, v in environment_stacks(synthesised, "prod-eu-central-1")}
    template, values = stacks["teamtasks-prod-eu-central-1"]
    bucket = {"Resources": {"AccessLogsBucket": template["Resources"]["AccessLogsBucket"]}}
    assert name_problems(bucket, values) == []
    before = json.loads(json.dumps(bucket).replace("-logs-", "-access-logs-"))
    (problem,) = name_problems(before, values)
    assert "65 characters, over the limit of 63" in problem


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_template_declares_the_transforms_it_needs(synthesised, env):
    problems = [
        problem
        for name, template, _ in environment_stacks(synthesised, env)
        for problem in transform_problems(template, name)
    ] + [
        problem
        for name, template, _ in account_level_stacks(synthesised)
        for problem in transform_problems(template, name)
    ]
    assert problems == []


# -- what AWS requires of properties; security groups ----------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_template_meets_what_aws_requires_of_its_properties(synthesised, env):
    problems = [
        problem
        for name, template, values in [
            *environment_stacks(synthesised, env),
            *account_level_stacks(synthesised),
        ]
        for problem in requirement_problems(template, values, name)
    ]
    assert problems == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_security_group_mixes_inline_and_separate_rules(synthesised, env):
    resources = quotas.existing(environment_stacks(synthesised, env))
    groups = [r for r in resources if r.type == "AWS::EC2::SecurityGroup"]
    assert len(groups) >= 3, [g.logical_id for g in groups]
    assert mixed_rule_problems(resources) == []


# -- quotas ------------------------------------------------------------------------------------


def account_stacks(synthesised) -> list[tuple[str, dict[str, Any], Concrete]]:
    """Everything one account deploys with the CDK app: the four environments' stages, as many
    feature environments as ops/feature_env.py allows at once (the synthesised one's stacks,
    which differ from the others' only by name: dev's network and web ACL, none of their own),
    the registry of each region and the pipeline."""
    stacks = [s for env in PRIMARY for s in environment_stacks(synthesised, env)]
    feature = environment_stacks(synthesised, f"feat-{FEATURE}")
    for number in range(feature_env.MAX_FEATURE_ENVIRONMENTS):
        stacks += [(f"{name} #{number}", template, values) for name, template, values in feature]
    return stacks + account_level_stacks(synthesised)


def fargate_vcpus() -> dict[str, dict[str, float]]:
    """vCPUs per region and capacity at the service's largest: a rolling deployment (up to 200%
    of the desired count) while the service runs its range's maximum."""
    found: dict[str, dict[str, float]] = {}
    for env in (*PRIMARY, *[f"feat-{FEATURE}"] * feature_env.MAX_FEATURE_ENVIRONMENTS):
        service = config.service_settings(env)
        tasks = 2 * service.capacity_range[1]
        capacity = "spot" if service.spot_from == 1 else "on-demand"
        region = found.setdefault(manifests.region(env), {})
        region[capacity] = region.get(capacity, 0) + tasks * service.cpu / 1024
    return found


@pytest.fixture(scope="module")
def account_demand(synthesised) -> dict[str, dict[str, float]]:
    return quotas.demand(quotas.existing(account_stacks(synthesised)), fargate_vcpus())


def test_no_template_asks_more_than_a_new_accounts_quotas(account_demand):
    asked = {k: v for k, v in account_demand.items() if k not in SIZED_BY_THE_MANIFEST}
    assert quotas.quota_problems(asked) == []


def test_the_quota_check_counts_what_the_templates_declare(account_demand):
    # prod's three NAT gateways, one each in dev and staging: five Elastic IPs in eu-west-1,
    # the region's quota; the standby's three in eu-central-1.
    assert account_demand["elastic-ips"] == {"eu-west-1": 5, "eu-central-1": 3}
    # One response headers policy per environment, feature environments included.
    assert account_demand["response-headers-policies"] == {
        "account": len(PRIMARY) + feature_env.MAX_FEATURE_ENVIRONMENTS
    }
    assert account_demand["lambda-unreserved-headroom"] == {"eu-west-1": 0, "eu-central-1": 0}
    assert sum(account_demand["iam-roles"].values()) > 20
    # Each network's interface endpoints: ECR (two), logs, Secrets Manager, KMS, X-Ray, STS,
    # Cognito and SES (the notifier's email, issue 21).
    assert set(account_demand["interface-endpoints"].values()) == {9}
    assert len(account_demand["interface-endpoints"]) == 4
