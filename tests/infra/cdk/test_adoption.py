"""Adopting an environment deployed by Copilot while it keeps serving (cdk/adopt, docs/deploy.md).

Checked without AWS, for each of Copilot's environments, from the Copilot path's rendered stacks
as the account would report them (copilot_account.py) and the session's synthesised CDK app:
the plan holds its checks (every kept resource in the CDK stack under its logical id and type,
an identifier of its type's primary identifier, import templates that hold every required
property and refer only to what they import, no create-only property that the first
deployment would change); the data, the users and the keys are kept; everything not kept has a
fate, and cleanup deletes only Copilot's serving path; after the import the CDK service is
configured with the same resources as Copilot's tasks; the first deployment can hold /api/* on
Copilot's load balancer.

On the emulator (moto): `retain` and `release` leave every resource of Copilot's stacks running
(the service behind its load balancer, the data), a second stack can be created that names them,
and `cleanup` deletes the serving path and nothing kept. What the emulator cannot show: moto's
CloudFormation treats an IMPORT change set as a CREATE (moto 5.2), replaces a nested stack on
update instead of updating it (so the emulator's addons are a stack of their own), and makes no
distribution, secret or user pool: the import, the nested retain and those types are checked
statically here, and only AWS can run them."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import boto3
import pytest
from moto import mock_aws

from app.config import Settings
from cdk.adopt import copilot, plan, steps
from cdk.adopt.describe import ATTRIBUTES, Describer, Where
from cdk.environment import MissingContext
from devstack.intrinsics import Resolver, Unresolvable
from tests.infra.cdk import copilot_account
from tests.infra.cdk.conftest import ACCOUNT, context
from tests.infra.rendered import manifests

pytestmark = pytest.mark.timeout(1800)
COPILOT_ENVIRONMENTS = ("dev", "staging", "prod", "prod-eu-central-1")
SSM_TYPED = "AWS::SSM::Parameter::Value<"
DATA = {
    "TasksTable",
    "UserPool",
    "UserPoolClient",
    "DataKey",
    "FrontendKey",
    "StreamKey",
    "CursorSigningSecret",
    # Issue 21's mail: the key that signs the links of emails already sent, and the identity
    # whose DKIM records the operator published (made again, it would need new ones).
    "UnsubscribeSigningSecret",
    "MailIdentity",
    "MailConfigurationSet",
    "OriginVerifySecret",
    "AuditArchiveBucket",
    "FrontendBucket",
}


def cdk_templates(synthesised, env: str) -> dict[str, dict[str, Any]]:
    return {role: synthesised.template(env, role) for role in plan.CDK_STACKS}


def values(deployment: copilot.Deployment, templates: dict[str, dict[str, Any]]) -> plan.Values:
    """The CDK templates' parameters at the environment's settings (as `plan` reads them from
    SSM), and the exports the account has."""
    settings = manifests.settings(deployment.env)
    parameters = {
        name: settings[spec["Default"]]
        for template in templates.values()
        for name, spec in (template.get("Parameters") or {}).items()
        if str(spec.get("Type", "")).startswith(SSM_TYPED) and spec.get("Default") in settings
    }
    return plan.Values(
        region=deployment.region,
        account=deployment.account,
        parameters=parameters,
        exports=deployment.exports,
    )


@pytest.fixture(scope="module")
def plans(synthesised) -> dict[str, dict[str, Any]]:
    found = {}
    for env in COPILOT_ENVIRONMENTS:
        deployment = copilot_account.deployment(env)
        templates = cdk_templates(synthesised, env)
        found[env] = plan.make(deployment, templates, values(deployment, templates))
    return found


# -- the plan ----------------------------------------------------------------------------------


@pytest.mark.parametrize("env", COPILOT_ENVIRONMENTS)
def test_the_plan_holds_its_checks(synthesised, plans, env):
    # plan.make refuses a plan that fails a check; here the checks' reach is counted too.
    the_plan = plans[env]
    templates = cdk_templates(synthesised, env)
    deployment = copilot_account.deployment(env)
    compared = sum(
        plan.replacement_problems(t, templates[s], s, values(deployment, templates))[1]
        for s, t in the_plan["import_templates"].items()
    )
    assert compared > 40, compared
    kept = {m["cdk_id"] for m in the_plan["kept"]}
    logs = "DisposableAccessLogsBucket" if env == "dev" else "AccessLogsBucket"
    assert {logs, "Distribution", "TaskRole", "LogGroup", "CloudformationExecutionRole"} <= kept
    assert len(the_plan["import_templates"]["environment"]["Resources"]) > 40


@pytest.mark.parametrize("env", ["prod", "prod-eu-central-1"])
def test_the_data_the_users_and_the_keys_are_kept(plans, env):
    kept = {m["cdk_id"]: m for m in plans[env]["kept"]}
    # The standby holds no table and no archive of its own (prod's table has its replica
    # there), but its keys, secrets, pool and browser app's bucket.
    standby = {"TasksTable", "AuditArchiveBucket"} if env == "prod-eu-central-1" else set()
    expected = DATA - standby
    assert expected <= set(kept), expected - set(kept)
    assert {"BackupVault", "AlarmTopic", "AlarmEmailSubscription"} <= set(kept)
    if env == "prod":
        # The stream functions keep their mappings' positions: no event archived twice or lost.
        assert {"ArchiveEventSourceMapping", "PurgeEventSourceMapping"} <= set(kept)
        # So do the notifier's and the task index's (no notification sent twice, no word entry
        # missed), with their named roles, and the digest's named schedule and its role.
        assert {
            "NotifierEventSourceMapping",
            "TaskIndexWordsMapping",
            "TaskIndexLabelsMapping",
            "NotifierRole",
            "TaskIndexRole",
            "DailyDigestSchedule",
            "DigestScheduleRole",
            "MailEvents",
            "MailEventsRule",
        } <= set(kept)
        # A rule's physical id is its name; the import names it by its ARN.
        rule = kept["MailEventsRule"]
        assert rule["identifier"] == {
            "Arn": f"arn:aws:events:{plans[env]['region']}:{ACCOUNT}:rule/{rule['physical_id']}"
        }
        assert (
            kept["MailEvents"]["identifier"]["ConfigurationSetName"]
            == (kept["MailConfigurationSet"]["physical_id"])
        )
    client = kept["UserPoolClient"]["identifier"]
    assert client == {
        "UserPoolId": kept["UserPool"]["physical_id"],
        "ClientId": kept["UserPoolClient"]["physical_id"],
    }
    assert kept["WebAcl"]["identifier"]["Scope"] == "REGIONAL"


def test_everything_not_kept_has_a_fate_and_cleanup_deletes_only_the_serving_path(plans):
    the_plan = plans["prod"]
    assert set(steps.DELETERS) == set(plan.DELETED_BY_CLEANUP)
    deleted = {
        (r["copilot_stack"], r["logical_id"]) for r in the_plan["left"] if r["action"] == "cleanup"
    }
    assert {
        ("environment", "PublicLoadBalancer"),
        ("environment", "Cluster"),
        ("environment", "EnvironmentSecurityGroup"),
        ("service", "Service"),
        ("service", "TaskDefinition"),
        ("service", "ExecutionRole"),
    } <= deleted
    kept = {(m["copilot_stack"], m["copilot_id"]) for m in the_plan["kept"]}
    assert not deleted & kept
    assert all(r["fate"] for r in the_plan["left"])
    buckets = [r for r in the_plan["left"] if r["type"] == "AWS::S3::Bucket"]
    assert [b["action"] for b in buckets] == ["none"], "Copilot's load balancer logs are kept"


def test_the_roles_paths_are_said_as_copilot_says_them(synthesised, plans):
    """The defect the replacement check found: Copilot's roles say Path "/", the CDK's said
    nothing; a role's path is create-only, so the first deployment would have replaced
    CloudFormation's own role. Put back, the check reports it."""
    templates = cdk_templates(synthesised, "prod")
    imported = plans["prod"]["import_templates"]["deployment"]
    deployment = copilot_account.deployment("prod")
    broken = copy.deepcopy(templates["deployment"])
    del broken["Resources"]["CloudformationExecutionRole"]["Properties"]["Path"]
    problems, _ = plan.replacement_problems(
        imported, broken, "deployment", values(deployment, templates)
    )
    assert problems == [
        "deployment/CloudformationExecutionRole.Path: '/' now, None in the CDK app's: the first "
        "deployment would replace it"
    ]


def test_a_changed_name_of_what_is_kept_is_reported(synthesised, plans):
    templates = cdk_templates(synthesised, "prod")
    deployment = copilot_account.deployment("prod")
    broken = copy.deepcopy(templates["environment"])
    broken["Resources"]["TasksTable"]["Properties"]["TableName"] = "teamtasks-prod-tasks-v2"
    problems, _ = plan.replacement_problems(
        plans["prod"]["import_templates"]["environment"],
        broken,
        "environment",
        values(deployment, templates),
    )
    assert len(problems) == 1 and problems[0].startswith("environment/TasksTable.TableName")


def test_an_import_that_lacks_what_its_resources_refer_to_is_refused(synthesised, plans):
    the_plan = copy.deepcopy(plans["prod"])
    templates = cdk_templates(synthesised, "prod")
    deployment = copilot_account.deployment("prod")
    # The user pool's client without its pool, and the task role without its trust policy.
    environment = the_plan["import_templates"]["environment"]["Resources"]
    del environment["UserPool"]
    the_plan["kept"] = [m for m in the_plan["kept"] if m["cdk_id"] != "UserPool"]
    del the_plan["import_templates"]["api"]["Resources"]["TaskRole"]["Properties"][
        "AssumeRolePolicyDocument"
    ]
    problems = plan.checks(the_plan, templates, values(deployment, templates))
    assert "environment/UserPoolClient: refers to ['UserPool'], which the import lacks" in problems
    assert "api/TaskRole: required property AssumeRolePolicyDocument missing" in problems


def test_a_value_that_cannot_be_known_is_refused_not_guessed(synthesised):
    # The distribution's origin is Copilot's load balancer's DNS name, which the stack outputs;
    # without that output nothing in the account says it.
    deployment = copilot_account.deployment("prod")
    del deployment.stack("environment").outputs["PublicLoadBalancerDNSName"]
    templates = cdk_templates(synthesised, "prod")
    with pytest.raises(plan.AdoptionError, match=r"PublicLoadBalancer\.DNSName"):
        plan.make(deployment, templates, values(deployment, templates))


@pytest.mark.parametrize("role", copilot_account.ROLES)
def test_retaining_changes_only_the_deletion_policies(role):
    template = copilot_account.deployment("prod").stack(role).template
    changed = plan.retained(template)
    for logical_id, resource in changed["Resources"].items():
        before = dict(template["Resources"][logical_id])
        if resource["Type"] == "AWS::CloudFormation::Stack":
            assert resource == before  # deleted with its root; its resources are retained
            continue
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
        before.update(DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
        assert resource == before
    assert {k: v for k, v in changed.items() if k != "Resources"} == {
        k: v for k, v in template.items() if k != "Resources"
    }


# -- after the import: the CDK service names what is kept -----------------------------------------


def _exports_after_import(the_plan: dict[str, Any], environment: dict[str, Any]) -> dict[str, str]:
    """What the CDK environment stack exports once it holds the kept resources: its outputs,
    resolved at their physical ids."""
    kept = {m["cdk_id"]: m for m in the_plan["kept"] if m["cdk_stack"] == "environment"}

    class Attributes(dict):
        def __init__(self, logical_id: str):
            move = kept.get(logical_id)
            super().__init__(Ref=move["physical_id"] if move else f"<{logical_id}>")
            self.move = move

        def __missing__(self, attribute: str) -> str:
            derive = ATTRIBUTES.get((self.move["type"], attribute)) if self.move else None
            if derive is None:
                return f"<{attribute}>"
            resource = copilot.Resource(self.move["cdk_id"], self.move["type"], self["Ref"])
            return derive(Where(resource, {}, the_plan["region"], ACCOUNT, "aws"))

    resolver = Resolver(
        environment,
        parameters={},
        pseudo={"AWS::Region": the_plan["region"], "AWS::AccountId": ACCOUNT},
        resources={k: Attributes(k) for k in environment["Resources"]},
        exports={},
    )
    found = {}
    for output in (environment.get("Outputs") or {}).values():
        if "Export" in output and "Condition" not in output:
            name = resolver.resolve(output["Export"]["Name"])
            try:
                found[name] = str(resolver.resolve(output["Value"]))
            except (Unresolvable, KeyError, TypeError):  # an output of what is not kept
                continue
    return found


def _container_environment(
    template: dict[str, Any], resolve: Any, names: tuple[str, ...] | None = None
) -> dict[str, str]:
    (definition,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    container = definition["Properties"]["ContainerDefinitions"][0]
    return {
        v["Name"]: str(resolve(v["Value"]))
        for v in container["Environment"]
        if names is None or v["Name"] in names
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_after_the_import_the_service_names_the_same_resources_as_copilots(synthesised, plans, env):
    """The table, the pool, its client, the cursor secret and the unsubscribe links' signing
    key the CDK service is given are the ones Copilot's tasks use; the service's configuration
    reads them."""
    the_plan = plans[env]
    deployment = copilot_account.deployment(env)
    exports = _exports_after_import(the_plan, synthesised.template(env, "environment"))
    api = synthesised.template(env, "api")
    resolver = Resolver(
        api, parameters={}, pseudo={}, resources={}, exports={**deployment.exports, **exports}
    )
    cdk_variables = _container_environment(api, resolver.resolve)
    named = (
        "TASKS_TABLE_NAME",
        "USER_POOL_ID",
        "USER_POOL_CLIENT_ID",
        "CURSOR_SECRET_ARN",
        "UNSUBSCRIBE_SECRET_ARN",
    )
    describer = Describer(deployment, "service", lambda *_: None)
    copilot_variables = _container_environment(
        {"Resources": {"T": deployment.stack("service").template["Resources"]["TaskDefinition"]}},
        describer.value,
        named,
    )
    for name in named:
        assert cdk_variables[name] == copilot_variables[name], name
    settings = Settings.from_env({**cdk_variables, "AWS_REGION": deployment.region})
    assert settings.tasks_table_name == copilot_variables["TASKS_TABLE_NAME"]
    assert settings.user_pool_id == copilot_variables["USER_POOL_ID"]
    assert settings.unsubscribe_secret_arn == copilot_variables["UNSUBSCRIBE_SECRET_ARN"]
    assert ":secret:/teamtasks/" in settings.unsubscribe_secret_arn


# -- the first deployment holds /api/* on Copilot's load balancer --------------------------------


def test_the_first_deployment_can_hold_the_api_on_copilots_load_balancer(synthesised, tmp_path):
    import aws_cdk as cdk  # noqa: PLC0415

    from cdk import app as cdk_app  # noqa: PLC0415
    from cdk import config  # noqa: PLC0415

    held = "teamt-Publi-1ABC-123456789.eu-west-1.elb.amazonaws.com"
    app = cdk.App(
        context={
            **cdk_app.cdk_json_context(),
            **context(),
            "adopting": "dev",
            "copilotApiOrigin": held,
        },
        outdir=str(tmp_path),
        analytics_reporting=False,
    )
    stage = cdk_app.EnvironmentStage(
        app, config.environment("dev", account=ACCOUNT, region="eu-west-1")
    )
    adopting = stage.synth().get_stack_by_name("teamtasks-dev").template
    usual = synthesised.template("dev", "environment")

    def api_origin(template: dict[str, Any]) -> dict[str, Any]:
        config_ = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
        (behaviour,) = [b for b in config_["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
        (origin,) = [o for o in config_["Origins"] if o["Id"] == behaviour["TargetOriginId"]]
        return origin

    assert api_origin(adopting)["DomainName"] == held
    assert api_origin(usual)["DomainName"]["Fn::GetAtt"][1] == "DNSName"
    # Nothing else differs: the origin's header, shield and protocol are the same.
    for template in (adopting, usual):
        api_origin(template)["DomainName"] = "-"
    assert json.dumps(adopting["Resources"], sort_keys=True) == json.dumps(
        usual["Resources"], sort_keys=True
    )


def test_adopting_without_copilots_load_balancer_is_refused(tmp_path):
    import aws_cdk as cdk  # noqa: PLC0415

    from cdk import app as cdk_app  # noqa: PLC0415
    from cdk import config  # noqa: PLC0415

    app = cdk.App(
        context={**cdk_app.cdk_json_context(), **context(), "adopting": "dev"},
        outdir=str(tmp_path),
    )
    with pytest.raises(MissingContext, match="copilotApiOrigin"):
        cdk_app.EnvironmentStage(
            app, config.environment("dev", account=ACCOUNT, region="eu-west-1")
        )


# -- on the emulator ------------------------------------------------------------------------------

REGION = "eu-west-1"
CLUSTER = "teamtasks-dev-Cluster-1ABC"


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


def _network() -> tuple[str, list[str]]:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    return vpc, subnets


def _trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def _copilot_like(vpc: str, subnets: list[str]) -> dict[str, dict[str, Any]]:
    """Copilot's stacks of dev as the emulator can make them, with their logical ids: the
    environment (serving path, roles, access-log bucket), the data (Copilot nests it in the
    environment's stack; here a stack of its own), the service (with its load balancer rule)."""
    environment = {
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": CLUSTER}},
            "PublicHTTPLoadBalancerSecurityGroup": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "load balancer", "VpcId": vpc},
            },
            "EnvironmentSecurityGroup": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "tasks", "VpcId": vpc},
            },
            "PublicLoadBalancer": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {
                    "Subnets": subnets,
                    "SecurityGroups": [{"Ref": "PublicHTTPLoadBalancerSecurityGroup"}],
                },
            },
            "DefaultHTTPTargetGroup": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {"Port": 80, "Protocol": "HTTP", "VpcId": vpc, "TargetType": "ip"},
            },
            "HTTPListener": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {
                    "LoadBalancerArn": {"Ref": "PublicLoadBalancer"},
                    "Port": 80,
                    "Protocol": "HTTP",
                    # A fixed response (moto's update of a listener's forward action fails).
                    "DefaultActions": [
                        {
                            "Type": "fixed-response",
                            "FixedResponseConfig": {"StatusCode": "403"},
                        }
                    ],
                },
            },
            "CloudformationExecutionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "teamtasks-dev-CFNExecutionRole",
                    "AssumeRolePolicyDocument": _trust("cloudformation.amazonaws.com"),
                },
            },
            "EnvironmentManagerRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "teamtasks-dev-EnvManagerRole",
                    "AssumeRolePolicyDocument": _trust("cloudformation.amazonaws.com"),
                },
            },
            "DisposableAccessLogsBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": f"teamtasks-dev-logs-{ACCOUNT}-{REGION}"},
            },
        },
        # No outputs: moto evaluates a deleted stack's outputs, and fails, on every describe.
    }
    data = {
        "Resources": {
            "TasksTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": "teamtasks-dev-tasks",
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                },
            },
            "DataKey": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "Description": "data",
                    "KeyPolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ],
                    },
                },
            },
            "AuditArchiveBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": f"teamtasks-dev-audit-{ACCOUNT}-{REGION}"},
            },
            "PurgeLogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": "/aws/lambda/teamtasks-dev-purge"},
            },
        },
    }
    service = {
        "Resources": {
            "TaskRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "teamtasks-dev-api-task",
                    "AssumeRolePolicyDocument": _trust("ecs-tasks.amazonaws.com"),
                },
            },
            "ExecutionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": _trust("ecs-tasks.amazonaws.com")},
            },
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": "/copilot/teamtasks-dev-api"},
            },
            "TaskDefinition": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": "teamtasks-dev-api",
                    "RequiresCompatibilities": ["FARGATE"],
                    "NetworkMode": "awsvpc",
                    "Cpu": "256",
                    "Memory": "512",
                    "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
                    "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                    "ContainerDefinitions": [
                        {
                            "Name": "api",
                            "Image": "public.ecr.aws/docker/library/python:3.11",
                            "PortMappings": [{"ContainerPort": 8080}],
                            "Environment": [
                                {"Name": "TASKS_TABLE_NAME", "Value": "teamtasks-dev-tasks"}
                            ],
                        }
                    ],
                },
            },
            "TargetGroup": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {"Port": 8080, "Protocol": "HTTP", "VpcId": vpc, "TargetType": "ip"},
            },
            "HTTPListenerRuleWithDomain": {
                "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
                "Properties": {
                    "ListenerArn": "<the environment's listener>",
                    "Priority": 100,
                    "Conditions": [{"Field": "path-pattern", "Values": ["/api/*"]}],
                    "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}],
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "DependsOn": "HTTPListenerRuleWithDomain",
                "Properties": {
                    "Cluster": CLUSTER,
                    "TaskDefinition": {"Ref": "TaskDefinition"},
                    "DesiredCount": 1,
                    "LaunchType": "FARGATE",
                    "LoadBalancers": [
                        {
                            "ContainerName": "api",
                            "ContainerPort": 8080,
                            "TargetGroupArn": {"Ref": "TargetGroup"},
                        }
                    ],
                    "NetworkConfiguration": {
                        "AwsvpcConfiguration": {"Subnets": subnets, "AssignPublicIp": "DISABLED"}
                    },
                },
            },
        },
    }
    return {
        "environment": environment,
        "environment-addons": data,
        "service": service,
    }


NAMES = {
    "environment": "teamtasks-dev",
    "environment-addons": "teamtasks-dev-addons",
    "service": "teamtasks-dev-api",
}


def _deploy(templates: dict[str, dict[str, Any]]) -> None:
    """The service names the environment's listener by its ARN (Copilot imports its export;
    the emulator's exports would break the deleted stacks' descriptions)."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    for role in ("environment", "environment-addons", "service"):
        body = json.dumps(templates[role]).replace("<the environment's listener>", _listener())
        cloudformation.create_stack(
            StackName=NAMES[role], TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"]
        )


def _secrets(rotation_days: int = 30) -> Any:
    """The origin secret, rotating every `rotation_days` (moto's CloudFormation makes no
    secret)."""
    secretsmanager = boto3.client("secretsmanager", region_name=REGION)
    name = "/teamtasks/dev/origin-verify"
    try:
        secretsmanager.describe_secret(SecretId=name)
    except secretsmanager.exceptions.ResourceNotFoundException:
        secretsmanager.create_secret(Name=name, SecretString="a value")
    # moto sets the schedule, then finds no function to call.
    with contextlib.suppress(secretsmanager.exceptions.ResourceNotFoundException):
        secretsmanager.rotate_secret(
            SecretId=name,
            RotationLambdaARN=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:origin-rotation",
            RotationRules={"AutomaticallyAfterDays": rotation_days},
            RotateImmediately=False,
        )
    return secretsmanager


def _emulated_plan() -> dict[str, Any]:
    """The plan's parts the emulator can make: what is kept and left, from its stacks."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    deployment = copilot.read(cloudformation, "dev", account=ACCOUNT, names=NAMES)
    kept = plan.moves(deployment)
    environment = deployment.stack("environment").resources
    return {
        "env": "dev",
        "region": REGION,
        "account": ACCOUNT,
        "copilot_stacks": {role: s.name for role, s in deployment.stacks.items()},
        "kept": [asdict(m) for m in kept],
        "left": plan.left(deployment, kept),
        "serving": {
            "load_balancer_arn": environment["PublicLoadBalancer"].physical_id,
            "load_balancer_dns": boto3.client(
                "elbv2", region_name=REGION
            ).describe_load_balancers()["LoadBalancers"][0]["DNSName"],
        },
    }


def _still_running() -> dict[str, Any]:
    ecs = boto3.client("ecs", region_name=REGION)
    elb = boto3.client("elbv2", region_name=REGION)
    (cluster,) = ecs.list_clusters()["clusterArns"]
    services = ecs.describe_services(
        cluster=cluster, services=ecs.list_services(cluster=cluster)["serviceArns"]
    )["services"]
    return {
        "service": [(s["status"], s["desiredCount"]) for s in services],
        "target groups": len(elb.describe_target_groups()["TargetGroups"]),
        "load balancers": len(elb.describe_load_balancers()["LoadBalancers"]),
        "rules": len(elb.describe_rules(ListenerArn=_listener())["Rules"]),
        "roles": sorted(
            r["RoleName"]
            for r in boto3.client("iam").list_roles()["Roles"]
            if r["RoleName"].startswith("teamtasks-dev")
        ),
        "items": boto3.client("dynamodb", region_name=REGION).scan(TableName="teamtasks-dev-tasks")[
            "Count"
        ],
        "buckets": sorted(b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]),
        "log groups": sorted(
            g["logGroupName"]
            for g in boto3.client("logs", region_name=REGION).describe_log_groups()["logGroups"]
        ),
    }


def _listener() -> str:
    elb = boto3.client("elbv2", region_name=REGION)
    balancers = elb.describe_load_balancers()["LoadBalancers"]
    if not balancers:
        return "<the environment's listener>"
    (balancer,) = balancers
    (listener,) = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    return listener["ListenerArn"]


def test_on_the_emulator_copilots_stacks_go_and_everything_keeps_running(aws):
    vpc, subnets = _network()
    _deploy(_copilot_like(vpc, subnets))
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName="teamtasks-dev-tasks", Item={"pk": {"S": "a task"}}
    )
    before = _still_running()
    assert before["service"] == [("ACTIVE", 1)] and before["target groups"] == 2
    the_plan = _emulated_plan()
    kept = {m["cdk_id"] for m in the_plan["kept"]}
    assert {"TasksTable", "DataKey", "AuditArchiveBucket", "TaskRole", "LogGroup"} <= kept
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)

    with pytest.raises(plan.AdoptionError, match="not retained: run retain first"):
        steps.release(cloudformation, _secrets(), the_plan)
    steps.retain(cloudformation, s3, the_plan)
    with pytest.raises(plan.AdoptionError, match="origin-verify rotates at"):
        steps.release(cloudformation, _secrets(rotation_days=1), the_plan)
    assert sorted(steps.release(cloudformation, _secrets(), the_plan)) == sorted(NAMES.values())

    # Every resource stays, the service behind its load balancer and rule, the data with it.
    assert _still_running() == before
    # A second stack can name what is kept: a task definition with the kept role and table.
    cloudformation.create_stack(
        StackName="teamtasks-dev-probe",
        TemplateBody=json.dumps(
            {
                "Resources": {
                    "TaskDefinition": {
                        "Type": "AWS::ECS::TaskDefinition",
                        "Properties": {
                            "Family": "teamtasks-dev-api",
                            "TaskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/teamtasks-dev-api-task",
                            "ContainerDefinitions": [
                                {
                                    "Name": "api",
                                    "Image": "api",
                                    "Memory": 512,
                                    "Environment": [
                                        {"Name": "TASKS_TABLE_NAME", "Value": "teamtasks-dev-tasks"}
                                    ],
                                }
                            ],
                        },
                    }
                }
            }
        ),
    )
    assert (
        cloudformation.describe_stacks(StackName="teamtasks-dev-probe")["Stacks"][0]["StackStatus"]
        == "CREATE_COMPLETE"
    )


def test_on_the_emulator_without_retain_copilots_stacks_take_everything_with_them(aws):
    # Why the step exists.
    vpc, subnets = _network()
    _deploy(_copilot_like(vpc, subnets))
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    for role in ("service", "environment-addons", "environment"):
        cloudformation.delete_stack(StackName=NAMES[role])
    assert (
        "teamtasks-dev-tasks"
        not in boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]
    )


def test_on_the_emulator_cleanup_deletes_the_serving_path_and_nothing_kept(aws):
    vpc, subnets = _network()
    _deploy(_copilot_like(vpc, subnets))
    the_plan = _emulated_plan()
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    steps.retain(cloudformation, boto3.client("s3", region_name=REGION), the_plan)
    steps.release(cloudformation, _secrets(), the_plan)
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(
        Name="/copilot/applications/teamtasks/environments/dev", Value="{}", Type="String"
    )
    # The distribution (moto's CloudFormation makes none): still on Copilot's load balancer.
    cloudfront = boto3.client("cloudfront", region_name=REGION)
    distribution = _distribution(cloudfront, the_plan["serving"]["load_balancer_dns"])
    the_plan["serving"]["distribution_id"] = distribution
    with pytest.raises(plan.AdoptionError, match="still has Copilot's load balancer"):
        steps.cleanup(lambda service: boto3.client(service, region_name=REGION), the_plan)

    _move_api_origin(cloudfront, distribution, "cdk-alb-1.eu-west-1.elb.amazonaws.com")
    deleted = steps.cleanup(lambda service: boto3.client(service, region_name=REGION), the_plan)

    kinds = [line.split(" ")[0] for line in deleted]
    assert kinds == sorted(kinds, key=plan.DELETED_BY_CLEANUP.index)
    assert {"AWS::ECS::Service", "AWS::ElasticLoadBalancingV2::LoadBalancer"} <= set(kinds)
    ecs = boto3.client("ecs", region_name=REGION)
    assert not [
        c
        for c in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"])["clusters"]
        if c["status"] == "ACTIVE"
    ]
    assert (
        boto3.client("elbv2", region_name=REGION).describe_load_balancers()["LoadBalancers"] == []
    )
    roles = {r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]}
    assert {"teamtasks-dev-api-task", "teamtasks-dev-CFNExecutionRole"} <= roles
    assert not [r for r in roles if "ExecutionRole" in r and "CFN" not in r]
    assert (
        boto3.client("dynamodb", region_name=REGION).describe_table(
            TableName="teamtasks-dev-tasks"
        )["Table"]["TableStatus"]
        == "ACTIVE"
    )
    assert ssm.get_parameters(Names=["/copilot/applications/teamtasks/environments/dev"])[
        "InvalidParameters"
    ]


def _distribution(cloudfront: Any, origin: str) -> str:
    return cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "adoption",
            "Comment": "teamtasks-dev",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "api",
                        "DomainName": origin,
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "api",
                "ViewerProtocolPolicy": "https-only",
                "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            },
        }
    )["Distribution"]["Id"]


def _move_api_origin(cloudfront: Any, distribution: str, origin: str) -> None:
    found = cloudfront.get_distribution_config(Id=distribution)
    config = found["DistributionConfig"]
    config["Origins"]["Items"][0]["DomainName"] = origin
    cloudfront.update_distribution(
        Id=distribution, IfMatch=found["ETag"], DistributionConfig=config
    )


def test_on_the_emulator_an_import_too_large_to_send_goes_by_s3(aws, plans):
    s3 = boto3.client("s3", region_name=REGION)
    bucket = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    templates = plans["prod"]["import_templates"]
    small = steps.template_argument(s3, bucket, REGION, "d.json", templates["deployment"])
    assert json.loads(small["TemplateBody"]) == templates["deployment"]
    large = steps.template_argument(s3, bucket, REGION, "e.json", templates["environment"])
    assert large == {"TemplateURL": f"https://{bucket}.s3.{REGION}.amazonaws.com/e.json"}
    stored = s3.get_object(Bucket=bucket, Key="e.json")["Body"].read()
    assert len(stored) > steps.TEMPLATE_BODY_LIMIT
    assert json.loads(stored) == templates["environment"]
