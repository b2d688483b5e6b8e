"""AWS's rules over every template the repository deploys, at every environment's concrete
values (tests/infra/aws_rules): the stacks Copilot renders with the addons and the overrides
(tests/infra/rendered), and every other template under addons/ as the stack it is deployed as.
The templates are found, not listed: a new addon or stack is checked without an edit here."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from devstack import templates
from ops import feature_env
from tests.infra import support
from tests.infra.aws_rules import Concrete, environments, name_problems, quotas, transform_problems
from tests.infra.aws_rules.concrete import longest_feature_env, resolver
from tests.infra.aws_rules.names import bucket_name_problems
from tests.infra.aws_rules.policies import Request, allowed
from tests.infra.aws_rules.requirements import requirement_problems
from tests.infra.aws_rules.security_groups import mixed_rule_problems
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


# -- quotas ----------------------------------------------------------------------------------

PRIMARY = ("dev", "staging", "prod", "prod-eu-central-1")
# Quotas the manifests' sizes decide (the service's scaling range and task size), not the
# templates: docs/deploy.md asks for their increase before prod's first deployment.
SIZED_BY_THE_MANIFEST = {"fargate-on-demand-vcpu", "fargate-spot-vcpu"}


def feature_envs() -> list[str]:
    longest = longest_feature_env()
    return [f"{longest[:-1]}{number}" for number in range(feature_env.MAX_FEATURE_ENVIRONMENTS)]


def account_stacks() -> list[tuple[str, dict[str, Any], Concrete]]:
    """Everything one account deploys in docs/deploy.md's layout: the four environments, as
    many feature environments as ops/feature_env.py allows at once (dev's network, not their
    own), each environment's edge stack, and the stacks without an environment (the registry,
    the sweep) in each region."""
    stacks = [s for env in PRIMARY for s in rendered_stacks(env)]
    for env in feature_envs():
        stacks += [s for s in rendered_stacks(env) if not s[0].endswith("-network")]
    rendered_separately = {templates.NETWORK_TEMPLATE}
    regions = {manifests.region(env) for env in PRIMARY}
    for path in standalone_templates():
        if path in rendered_separately:
            continue
        template = templates.expand_for_each(templates.load(path))
        if "Env" in (template.get("Parameters") or {}):
            places = [(env, stack_region(template, env)) for env in PRIMARY]
        else:
            places = [("dev", region) for region in sorted(regions)]
        for env, region in places:
            values = Concrete(
                env=env,
                region=region,
                stack_name=f"{manifests.APP}-{env}-{path.stem}",
                parameters={"App": manifests.APP, "Env": env},
            )
            stacks.append((f"{path.relative_to(support.ROOT)} ({env}, {region})", template, values))
    return stacks


def fargate_vcpus() -> dict[str, dict[str, float]]:
    """vCPUs per region and capacity at the service's largest: a rolling deployment (up to 200%
    of the desired count) while the service runs its range's maximum."""
    found: dict[str, dict[str, float]] = {}
    for env in (*PRIMARY, *feature_envs()):
        manifest = manifests.service_manifest(env)
        count = manifest["count"]
        scaling = count["range"] if isinstance(count, dict) else {"min": count, "max": count}
        tasks = 2 * scaling["max"]
        capacity = "spot" if scaling.get("spot_from") == 1 else "on-demand"
        region = found.setdefault(manifests.region(env), {})
        region[capacity] = region.get(capacity, 0) + tasks * manifest["cpu"] / 1024
    return found


@cache
def account_demand() -> dict[str, dict[str, float]]:
    return quotas.demand(quotas.existing(account_stacks()), fargate_vcpus())


def test_no_template_asks_more_than_a_new_accounts_quotas():
    asked = {k: v for k, v in account_demand().items() if k not in SIZED_BY_THE_MANIFEST}
    assert quotas.quota_problems(asked) == []


@pytest.mark.parametrize("env", PRIMARY)
def test_no_templates_own_defaults_ask_more_either(env):
    """The addons deployed without Copilot take their parameters' defaults (docs/deploy.md,
    "Without Copilot"): those must fit a new account too, not only the settings' values."""
    stacks = []
    for folder in (support.ENVIRONMENT_ADDONS, support.SERVICE_ADDONS):
        values = Concrete(
            env=env,
            region=manifests.region(env),
            parameters={"App": manifests.APP, "Env": env, "Name": "api"},
        )
        stacks.append((folder.name, support.packaged(folder), values))
    assert quotas.quota_problems(quotas.demand(quotas.existing(stacks))) == []


def test_the_quota_check_counts_what_the_templates_declare():
    asked = account_demand()
    # prod's three NAT gateways, one each in dev and staging: five Elastic IPs in eu-west-1.
    assert asked["elastic-ips"] == {"eu-west-1": 5, "eu-central-1": 3}
    assert asked["vpcs"] == {"eu-west-1": 4, "eu-central-1": 2}
    # One response headers policy per environment, feature environments included.
    assert asked["response-headers-policies"] == {
        "account": len(PRIMARY) + feature_env.MAX_FEATURE_ENVIRONMENTS
    }
    assert asked["lambda-unreserved-headroom"] == {"eu-west-1": 0, "eu-central-1": 0}


def test_a_reservation_on_a_new_account_is_reported():
    """The defect of issue 19.6 put back: the old defaults (purge 2, archive 4, rotations 1
    each) cannot be reserved from a new account's concurrency of 10."""
    template = support.packaged(support.ENVIRONMENT_ADDONS)
    old = {
        "PurgeReservedConcurrency": 2,
        "ArchiveReservedConcurrency": 4,
        "RotationReservedConcurrency": 1,
    }
    for name, default in old.items():
        template["Parameters"][name]["Default"] = default
    values = Concrete(
        env="prod", region="eu-west-1", parameters={"App": "teamtasks", "Env": "prod"}
    )
    asked = quotas.demand(quotas.existing([("prod-addons", template, values)]))
    (problem,) = quotas.quota_problems(
        {"lambda-unreserved-headroom": asked["lambda-unreserved-headroom"]}
    )
    assert "8 asked, the quota is 0" in problem


def test_staging_with_a_nat_gateway_per_zone_would_exceed_the_elastic_ips():
    network = templates.network_template()
    network["Conditions"]["NatPerZone"] = {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "Profile"}, "development"]}]
    }
    stacks = []
    for env in ("dev", "staging", "prod"):
        profile = {"dev": "development", "staging": "staging", "prod": "production"}[env]
        values = Concrete(
            env=env,
            region="eu-west-1",
            parameters={
                "Env": env,
                "Profile": profile,
                "S3PrefixListId": "pl-1",
                "DynamoDbPrefixListId": "pl-2",
            },
        )
        stacks.append((f"{env}-network", network, values))
    asked = quotas.demand(quotas.existing(stacks))
    assert quotas.quota_problems({"elastic-ips": asked["elastic-ips"]}) == [
        "Elastic IP addresses (eu-west-1): 6 asked, the quota is 5"
    ]


def documented_quotas() -> dict[str, dict[str, str]]:
    text = (support.ROOT / "docs" / "deploy.md").read_text()
    lines = text.split("### Quotas a deploy depends on", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    header, _, *body = table
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def test_docs_list_every_quota_with_a_new_accounts_value_and_what_is_asked():
    documented = documented_quotas()
    assert set(documented) == {q.name for q in quotas.QUOTAS.values()}
    asked = account_demand()
    for key, quota in quotas.QUOTAS.items():
        row = documented[quota.name]
        assert row["A new account"] == f"{quota.default:g}", quota.name
        most = max(asked[key].values(), default=0)
        assert row["This deployment asks"].startswith(f"{most:g}"), (quota.name, most)
        if most > quota.default:
            # Only what the manifest's sizes ask may exceed a new account's quota, and then the
            # docs say to raise it, to at least what is asked.
            assert key in SIZED_BY_THE_MANIFEST, quota.name
            raised = re.search(r"raise to (\d+)", row["Before you deploy"])
            assert raised and float(raised.group(1)) >= most, quota.name


# -- security groups ---------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_security_group_mixes_inline_and_separate_rules(env):
    resources = quotas.existing(rendered_stacks(env))
    assert mixed_rule_problems(resources) == []


def test_a_group_with_inline_and_separate_egress_is_reported():
    """The layout of issue 19.12 put back: the tasks' group with an inline rule (replacing the
    default allow-all) and separate egress rules in the addons."""
    parent = {
        "Resources": {
            "EnvironmentSecurityGroup": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "tasks",
                    "SecurityGroupEgress": [{"IpProtocol": "icmp", "CidrIp": "255.255.255.255/32"}],
                },
            }
        }
    }
    addons = {
        "Parameters": {"EnvironmentSecurityGroup": {"Type": "String"}},
        "Resources": {
            "TasksToS3": {
                "Type": "AWS::EC2::SecurityGroupEgress",
                "Properties": {"GroupId": {"Ref": "EnvironmentSecurityGroup"}, "IpProtocol": "tcp"},
            }
        },
    }
    values = Concrete(env="dev", region="eu-west-1")
    child = Concrete(
        env="dev",
        region="eu-west-1",
        parameters={"EnvironmentSecurityGroup": "<EnvironmentSecurityGroup>"},
    )
    resources = quotas.existing([("env", parent, values), ("env-addons", addons, child)])
    assert mixed_rule_problems(resources) == [
        "EnvironmentSecurityGroup has inline SecurityGroupEgress and separate rules "
        "env-addons/TasksToS3"
    ]
