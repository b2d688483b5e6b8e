"""Copilot's stacks of one environment as the account would report them to the adoption
(cdk/adopt/copilot.py), made from the Copilot path's rendered-stack model (tests/infra/rendered):
each stack's template, the parameter values it is deployed with, a physical id for each
resource that exists there in the format AWS gives that type, its outputs and the region's
exports. The ids are made up; their formats are AWS's, which the adoption reads."""

from __future__ import annotations

from typing import Any

from cdk.adopt import copilot
from cdk.adopt.describe import Describer, Undescribable
from devstack.intrinsics import Unresolvable
from tests.infra.rendered import Scenario, analysis, render
from tests.infra.rendered.manifests import region as region_of

ACCOUNT = "111122223333"
ROLES = ("environment", "environment-addons", "service", "service-addons")


def _physical_id(kind: str, stack: str, logical_id: str, props: dict[str, Any], region: str) -> str:
    arn = f"arn:aws:{{}}:{region}:{ACCOUNT}:"
    short = f"{stack[:12]}-{logical_id[:8]}-1ABC2DEF3GH4"
    named = {
        "AWS::IAM::Role": "RoleName",
        "AWS::IAM::ManagedPolicy": None,
        "AWS::S3::Bucket": "BucketName",
        "AWS::DynamoDB::GlobalTable": "TableName",
        "AWS::Logs::LogGroup": "LogGroupName",
        "AWS::Lambda::Function": "FunctionName",
        "AWS::KMS::Alias": "AliasName",
        "AWS::Backup::BackupVault": "BackupVaultName",
        "AWS::CloudWatch::Alarm": "AlarmName",
        "AWS::CloudWatch::Dashboard": "DashboardName",
        "AWS::ECS::Cluster": "ClusterName",
        "AWS::SES::ConfigurationSet": "Name",
        "AWS::SES::EmailIdentity": "EmailIdentity",
        "AWS::Scheduler::Schedule": "Name",
    }
    if kind in named and isinstance(props.get(named[kind] or ""), str):
        return props[named[kind]]
    by_kind = {
        "AWS::IAM::ManagedPolicy": f"arn:aws:iam::{ACCOUNT}:policy/{short}",
        "AWS::KMS::Key": f"{abs(hash(logical_id)) % 10**8:08d}-1111-2222-3333-444455556666",
        "AWS::SecretsManager::Secret": arn.format("secretsmanager")
        + f"secret:{props.get('Name', short)}-AbCdEf",
        "AWS::Cognito::UserPool": f"{region}_AbCdEf123",
        "AWS::Cognito::UserPoolClient": "1example23456789abcdefghij",
        "AWS::SQS::Queue": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/"
        + str(props.get("QueueName", short)),
        "AWS::SNS::Topic": arn.format("sns") + str(props.get("TopicName", short)),
        "AWS::SNS::Subscription": arn.format("sns") + f"{short}:0a1b2c3d",
        "AWS::WAFv2::WebACL": "|".join(
            [str(props.get("Name", short)), "0a1b2c3d-4e5f", str(props.get("Scope", "REGIONAL"))]
        ),
        "AWS::WAFv2::LoggingConfiguration": arn.format("wafv2") + f"regional/webacl/{short}",
        "AWS::ElasticLoadBalancingV2::LoadBalancer": arn.format("elasticloadbalancing")
        + "loadbalancer/app/teamt-Publi-1ABC/0123456789abcdef",
        "AWS::ElasticLoadBalancingV2::Listener": arn.format("elasticloadbalancing")
        + f"listener/app/teamt-Publi-1ABC/0123456789abcdef/{abs(hash(logical_id)) % 10**6}",
        "AWS::ElasticLoadBalancingV2::ListenerRule": arn.format("elasticloadbalancing")
        + f"listener-rule/app/teamt-Publi-1ABC/0123/45/{abs(hash(logical_id)) % 10**6}",
        "AWS::ElasticLoadBalancingV2::TargetGroup": arn.format("elasticloadbalancing")
        + f"targetgroup/{logical_id[:12]}-1ABC/0123456789abcdef",
        "AWS::ECS::Service": arn.format("ecs") + f"service/{stack}-Cluster-1ABC/{short}",
        "AWS::ECS::TaskDefinition": arn.format("ecs") + f"task-definition/{stack}:7",
        "AWS::ApplicationAutoScaling::ScalableTarget": (
            f"service/{stack}-Cluster-1ABC/{short}|ecs:service:DesiredCount|ecs"
        ),
        "AWS::CloudFront::Distribution": "E1EXAMPLE2DIST",
        "AWS::CloudFront::Function": f"arn:aws:cloudfront::{ACCOUNT}:function/{short}",
        "AWS::EC2::SecurityGroup": f"sg-0{abs(hash(logical_id)) % 10**8:08d}",
        "AWS::SecretsManager::RotationSchedule": arn.format("secretsmanager") + f"secret:{short}",
        "AWS::SecretsManager::ResourcePolicy": arn.format("secretsmanager") + f"secret:{short}",
        "AWS::Backup::BackupPlan": "0a1b2c3d-plan",
        "AWS::Backup::BackupSelection": "0a1b2c3d-selection",
        "AWS::Lambda::EventSourceMapping": f"{abs(hash(logical_id)) % 10**8:08d}-aaaa-bbbb",
        "AWS::CloudFormation::Stack": arn.format("cloudformation")
        + f"stack/{stack}-{logical_id}-1ABC/0a1b2c3d",
    }
    return by_kind.get(kind, short)


def deployment(env: str) -> copilot.Deployment:
    """Copilot's four stacks of `env` as deployed (the api service included)."""
    rendered = render(env, Scenario.DEPLOYED)
    rendered.settings.update(_network_settings(rendered))
    region = region_of(env)
    stacks: dict[str, copilot.Stack] = {}
    for role in ROLES:
        stack = rendered.stack(role)
        resolve = analysis.resolver(stack, rendered)
        parameters = analysis.parameter_values(
            stack, rendered, lambda parent: analysis.resolver(parent, rendered)
        )
        resources = {}
        for logical_id, resource in stack.template["Resources"].items():
            condition = resource.get("Condition")
            if condition and not resolve.condition(condition):
                continue
            props = {}
            for name, value in (resource.get("Properties") or {}).items():
                try:
                    props[name] = analysis.with_settings(str(resolve.resolve(value)), rendered)
                except (Unresolvable, TypeError, KeyError, IndexError):
                    continue
            resources[logical_id] = copilot.Resource(
                logical_id,
                resource["Type"],
                _physical_id(resource["Type"], stack.name, logical_id, props, region),
            )
        name = stack.name
        if role.endswith("-addons"):
            name = resources_of_parent(stacks, role)
        stacks[role] = copilot.Stack(role, name, stack.template, parameters, resources)
    account = copilot.Deployment(env, region, ACCOUNT, "aws", stacks, {})
    account.exports.update(_network_exports(rendered))
    for role in ROLES:
        if role.endswith("-addons"):
            _passed_parameters(account, rendered, role)
        _outputs(account, role)
    return account


def _passed_parameters(account: copilot.Deployment, rendered: Any, role: str) -> None:
    """What the root passes its addons stack, at the root's resources' ids (the rendered model
    knows only their names)."""
    parent = role.removesuffix("-addons")
    passed = account.stack(parent).template["Resources"][copilot.NESTED]["Properties"]
    describer = Describer(account, parent, lambda *_: None)
    for name, value in (passed.get("Parameters") or {}).items():
        resolved = describer.value(value)
        account.stack(role).parameters[name] = analysis.with_settings(str(resolved), rendered)


def resources_of_parent(stacks: dict[str, copilot.Stack], role: str) -> str:
    parent = role.removesuffix("-addons")
    return stacks[parent].resources[copilot.NESTED].physical_id


def _outputs(account: copilot.Deployment, role: str) -> None:
    """Each output's value (an attribute the stack's resources do not determine gets a value of
    its form) and the exports it declares."""
    stack = account.stack(role)
    describer = Describer(account, role, lambda *_: None)
    for name, output in (stack.template.get("Outputs") or {}).items():
        condition = output.get("Condition")
        if condition and not describer.condition(condition):
            continue
        try:
            value = describer.value(output["Value"])
        except Undescribable:
            value = _made_up(output["Value"], account.region)
        stack.outputs[name] = value
        if "Export" in output:
            account.exports[str(describer.value(output["Export"]["Name"]))] = str(value)


def _made_up(value: Any, region: str) -> str:
    target = value.get("Fn::GetAtt") if isinstance(value, dict) else None
    if target and list(target)[-1] == "DNSName":
        return f"teamt-Publi-1ABC-123456789.{region}.elb.amazonaws.com"
    return f"made-up-{abs(hash(str(value))) % 10**8}"


def _network_exports(rendered: Any) -> dict[str, str]:
    network = rendered.stack("network")
    resolve = analysis.resolver(network, rendered)
    found = {}
    for name, output in (network.template.get("Outputs") or {}).items():
        if "Export" not in output:
            continue
        try:
            value = str(resolve.resolve(output["Value"]))
        except Unresolvable:
            value = f"<{name}>"
        found[str(resolve.resolve(output["Export"]["Name"]))] = value
    return found


def _network_settings(rendered: Any) -> dict[str, str]:
    """The settings the network stack writes (vpc.yml's SSM parameters: the VPC, its subnets)."""
    network = rendered.stack("network")
    resolve = analysis.resolver(network, rendered)
    found = {}
    for resource in network.template["Resources"].values():
        if resource["Type"] != "AWS::SSM::Parameter":
            continue
        condition = resource.get("Condition")
        if condition and not resolve.condition(condition):
            continue
        properties = resource["Properties"]
        found[str(resolve.resolve(properties["Name"]))] = str(resolve.resolve(properties["Value"]))
    return found
