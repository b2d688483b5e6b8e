"""The steps that change the account, in their order (docs/deploy.md, "Adopting an environment
deployed by Copilot"). Each checks what it needs first and refuses with AdoptionError; each can
be run again after a failure.

    retain   every resource of Copilot's four stacks gets DeletionPolicy Retain
    release  Copilot's stacks are deleted; every resource stays, and keeps serving
    import   the CDK stacks are created by importing what is kept
    cleanup  Copilot's serving path is deleted, once the distribution no longer uses it
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from cdk.adopt import copilot
from cdk.adopt.plan import CDK_STACKS, DELETED_BY_CLEANUP, NESTED, AdoptionError, retained
from cdk.config import APP
from cdk.deployment import BOOTSTRAP_QUALIFIER

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
CHANGE_SET = "adopt-from-copilot"
STACK_TIMEOUT_S = 3600
# The largest template a request may carry; a larger one goes by S3 (CloudFormation quotas). The
# environment's import (70 resources as Copilot declared them) is larger.
TEMPLATE_BODY_LIMIT = 51_200
# The move, from release to cleanup, takes an hour or two; no rotation may fall in it.
ROTATION_MARGIN = timedelta(days=1)
_POLL_S = 5


# -- retain: in Copilot's stacks ------------------------------------------------------------------


def retain(cloudformation: Any, s3: Any, the_plan: dict[str, Any]) -> list[str]:
    """Set Retain on every resource of Copilot's stacks, through the roots (a nested stack's new
    template goes beside its current one, and the root is updated to name it), then check each
    stack's template says so. Nothing but the policies changes. Returns the roots updated."""
    stacks = the_plan["copilot_stacks"]
    updated = []
    for role, name in stacks.items():
        if role not in copilot.ROOTS and not _is_nested(cloudformation, name):
            # A stack of its own (the emulator's addons): updated as it is.
            template = retained(copilot.template(cloudformation, name))
            _update(cloudformation, name, {"TemplateBody": json.dumps(template)}, {})
            updated.append(name)
    for role in copilot.ROOTS:
        root_name = stacks[role]
        root_template = copilot.template(cloudformation, root_name)
        replaced: dict[str, str] = {}
        nested_role = copilot.ADDONS[role]
        root_body: dict[str, str] = {"TemplateBody": json.dumps(retained(root_template))}
        if NESTED in root_template["Resources"] and nested_role in stacks:
            nested = retained(copilot.template(cloudformation, stacks[nested_role]))
            url = urlparse(_nested_url(cloudformation, root_name, root_template))
            bucket, region = url.netloc.split(".s3")[0], the_plan["region"]
            key = f"adoption/{the_plan['env']}-{nested_role}.json"
            new_url = template_argument(s3, bucket, region, key, nested, always=True)
            properties = root_template["Resources"][NESTED]["Properties"]
            if isinstance(properties["TemplateURL"], dict):  # the service's: a parameter
                replaced[properties["TemplateURL"]["Ref"]] = new_url["TemplateURL"]
            else:
                properties["TemplateURL"] = new_url["TemplateURL"]
            root_body = template_argument(
                s3,
                bucket,
                region,
                f"adoption/{the_plan['env']}-{role}.json",
                retained(root_template),
            )
        _update(cloudformation, root_name, root_body, replaced)
        updated.append(root_name)
    problems = [
        f"{stack}: {logical_id} is not retained"
        for stack in stacks.values()
        for logical_id, resource in copilot.template(cloudformation, stack)["Resources"].items()
        if resource.get("Type") != "AWS::CloudFormation::Stack"
        and resource.get("DeletionPolicy") != "Retain"
    ]
    if problems:
        raise AdoptionError("; ".join(problems))
    return updated


def _is_nested(cloudformation: Any, stack: str) -> bool:
    return bool(cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("ParentId"))


def _nested_url(cloudformation: Any, root: str, root_template: dict[str, Any]) -> str:
    url = root_template["Resources"][NESTED]["Properties"]["TemplateURL"]
    if isinstance(url, dict):
        parameters = cloudformation.describe_stacks(StackName=root)["Stacks"][0]["Parameters"]
        url = {p["ParameterKey"]: p["ParameterValue"] for p in parameters}[url["Ref"]]
    return str(url)


def template_argument(
    s3: Any, bucket: str, region: str, key: str, template: dict[str, Any], *, always: bool = False
) -> dict[str, str]:
    """How a request names `template`: its body when it fits, else (or `always`) its URL once
    put in `bucket`."""
    body = json.dumps(template, separators=(",", ":"))
    if len(body.encode()) <= TEMPLATE_BODY_LIMIT and not always:
        return {"TemplateBody": body}
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    return {"TemplateURL": f"https://{bucket}.s3.{region}.amazonaws.com/{key}"}


def _update(
    cloudformation: Any, stack: str, template: dict[str, str], replaced: dict[str, str]
) -> None:
    """`template`: TemplateBody or TemplateURL."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    try:
        cloudformation.update_stack(
            StackName=stack,
            **template,
            Parameters=[
                {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
                for p in described.get("Parameters", [])
                if p["ParameterKey"] not in replaced
            ]
            + [{"ParameterKey": k, "ParameterValue": v} for k, v in replaced.items()],
            Capabilities=CAPABILITIES,
        )
    except ClientError as error:
        if "No updates are to be performed" in str(error):
            return  # a run again after it succeeded
        raise
    status = wait(cloudformation, stack)
    if status != "UPDATE_COMPLETE":
        raise AdoptionError(f"{stack}: {status}")


# -- release: Copilot's stacks go, their resources stay ----------------------------------------


def rotation_due(secretsmanager: Any, env: str, within: timedelta = ROTATION_MARGIN) -> str | None:
    """Why the origin secret may rotate during the move, or None. From `release` to `cleanup`
    two load balancers serve /api/*, and a rotation moves one rule only (the one its function
    names): the other would answer 403 until the distribution reaches the first."""
    name = f"/{APP}/{env}/origin-verify"
    described = secretsmanager.describe_secret(SecretId=name)
    due = described.get("NextRotationDate")
    if described.get("RotationEnabled") and due and due < datetime.now(due.tzinfo) + within:
        return (
            f"{name} rotates at {due.isoformat()}: rotate it now (aws secretsmanager "
            "rotate-secret), wait until it completes, then move"
        )
    return None


def release(cloudformation: Any, secretsmanager: Any, the_plan: dict[str, Any]) -> list[str]:
    """Delete Copilot's root stacks (the service's first: it imports the environment's exports)
    with CloudFormation, not `copilot env delete`, which deletes the environment's two roles
    after the stack (env_delete.go, tryDeleteRoles) although the stack retains them. Refuses
    unless every resource is retained, and while the origin secret is due to rotate."""
    reason = rotation_due(secretsmanager, the_plan["env"])
    if reason:
        raise AdoptionError(reason)
    stacks = the_plan["copilot_stacks"]
    for stack in stacks.values():
        if not _exists(cloudformation, stack):
            continue
        for logical_id, resource in copilot.template(cloudformation, stack)["Resources"].items():
            if resource.get("Type") == "AWS::CloudFormation::Stack":
                continue
            if resource.get("DeletionPolicy") != "Retain":
                raise AdoptionError(f"{stack}: {logical_id} is not retained: run retain first")
    deleted = []
    order = ["service", "service-addons", "environment", "environment-addons"]
    for role in [r for r in order if r in stacks]:
        name = stacks[role]
        if not _exists(cloudformation, name) or _is_nested(cloudformation, name):
            continue  # gone already, or deleted with its root
        cloudformation.delete_stack(StackName=name)
        status = wait(cloudformation, name)
        if status not in ("DELETE_COMPLETE", "GONE"):
            raise AdoptionError(f"{name}: {status}")
        deleted.append(name)
    return deleted


# -- import: into the CDK app's stacks ------------------------------------------------------------


def import_stacks(
    cloudformation: Any, cloudfront: Any, s3: Any, the_plan: dict[str, Any]
) -> list[str]:
    """Create each CDK stack by an IMPORT change set of exactly what it keeps, in CDK_STACKS'
    order; `cdk deploy` then makes the rest. Copilot's stacks must be gone: a resource is in
    one stack. The distribution's monitoring subscription, which the CDK app makes again, is
    removed first."""
    env = the_plan["env"]
    for stack in the_plan["copilot_stacks"].values():
        if _exists(cloudformation, stack):
            raise AdoptionError(f"Copilot's stack {stack} still exists: run release first")
    _remove_monitoring_subscription(cloudfront, the_plan["serving"]["distribution_id"])
    done = []
    for role, pattern in CDK_STACKS.items():
        name = pattern.format(app=APP, env=env)
        template = the_plan["import_templates"][role]
        if _exists(cloudformation, name):
            continue  # imported by an earlier run
        arguments: dict[str, Any] = {
            "StackName": name,
            "ChangeSetName": CHANGE_SET,
            "ChangeSetType": "IMPORT",
            # In the CDK bootstrap's staging bucket (the environment's import is too large to
            # send).
            **template_argument(
                s3,
                f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{the_plan['account']}-{the_plan['region']}",
                the_plan["region"],
                f"adoption/{name}.json",
                template,
            ),
            "ResourcesToImport": [
                {
                    "ResourceType": m["type"],
                    "LogicalResourceId": m["cdk_id"],
                    "ResourceIdentifier": m["identifier"],
                }
                for m in the_plan["kept"]
                if m["cdk_stack"] == role
            ],
            "Capabilities": CAPABILITIES,
        }
        if role != "deployment":
            # Deployed as the environment's CloudFormation role, as `cdk deploy` will.
            arguments["RoleARN"] = (
                f"arn:aws:iam::{the_plan['account']}:role/{APP}-{env}-CFNExecutionRole"
            )
        cloudformation.create_change_set(**arguments)
        waiter = cloudformation.get_waiter("change_set_create_complete")
        waiter.wait(StackName=name, ChangeSetName=CHANGE_SET)
        cloudformation.execute_change_set(StackName=name, ChangeSetName=CHANGE_SET)
        status = wait(cloudformation, name)
        if status != "IMPORT_COMPLETE":
            raise AdoptionError(f"{name}: {status}")
        done.append(name)
    return done


def _remove_monitoring_subscription(cloudfront: Any, distribution_id: str) -> None:
    try:
        cloudfront.delete_monitoring_subscription(DistributionId=distribution_id)
    except ClientError as error:
        if error.response["Error"]["Code"] not in (
            "NoSuchMonitoringSubscription",
            "NoSuchDistribution",
        ):
            raise


# -- cleanup: Copilot's serving path --------------------------------------------------------------


def serving_from_copilot(cloudfront: Any, the_plan: dict[str, Any]) -> str | None:
    """Why the distribution may still send requests to Copilot's load balancer, or None."""
    distribution = the_plan["serving"]["distribution_id"]
    found = cloudfront.get_distribution(Id=distribution)["Distribution"]
    origins = found["DistributionConfig"]["Origins"]["Items"]
    old = the_plan["serving"]["load_balancer_dns"]
    if any(origin["DomainName"] == old for origin in origins):
        return f"distribution {distribution} still has Copilot's load balancer {old} as an origin"
    if found["Status"] != "Deployed":
        return (
            f"distribution {distribution} is {found['Status']}: edges may still use the old origin"
        )
    return None


def cleanup(clients: Callable[[str], Any], the_plan: dict[str, Any]) -> list[str]:
    """Delete what Copilot's serving path left running, once nothing sends to it, dependents
    first (plan.DELETED_BY_CLEANUP's order); then Copilot's record of the environment, so that a
    later `copilot app delete` does not delete the kept roles (it runs env delete for every
    environment it knows). Returns what was deleted, in that order."""
    reason = serving_from_copilot(clients("cloudfront"), the_plan)
    if reason:
        raise AdoptionError(f"{reason}: run cleanup once it does not")
    left = [r for r in the_plan["left"] if r["action"] == "cleanup"]
    deleted = []
    for kind in DELETED_BY_CLEANUP:
        for resource in [r for r in left if r["type"] == kind]:
            DELETERS[kind](clients, resource["physical_id"])
            deleted.append(f"{kind} {resource['physical_id']}")
    forget_copilot_environment(clients("ssm"), the_plan["env"])
    return deleted


def forget_copilot_environment(ssm: Any, env: str) -> None:
    """Copilot's record of the environment (env_delete.go, deleteFromStore)."""
    try:
        ssm.delete_parameter(Name=f"/copilot/applications/{APP}/environments/{env}")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ParameterNotFound":
            raise


def _ignore_missing(call: Callable[[], Any], *codes: str) -> None:
    try:
        call()
    except ClientError as error:
        if error.response["Error"]["Code"] not in codes:
            raise


def _delete_service(clients: Callable[[str], Any], arn: str) -> None:
    ecs = clients("ecs")
    cluster = arn.split("/")[-2]
    _ignore_missing(
        lambda: ecs.update_service(cluster=cluster, service=arn, desiredCount=0),
        "ServiceNotFoundException",
        "ServiceNotActiveException",
        "ClusterNotFoundException",
    )
    _ignore_missing(
        lambda: ecs.delete_service(cluster=cluster, service=arn, force=True),
        "ServiceNotFoundException",
        "ClusterNotFoundException",
    )
    ecs.get_waiter("services_inactive").wait(cluster=cluster, services=[arn])


def _deregister_scalable_target(clients: Callable[[str], Any], physical_id: str) -> None:
    resource_id, dimension, namespace = physical_id.split("|")
    _ignore_missing(
        lambda: clients("application-autoscaling").deregister_scalable_target(
            ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension
        ),
        "ObjectNotFoundException",
    )


def _delete_load_balancer(clients: Callable[[str], Any], arn: str) -> None:
    elb = clients("elbv2")
    _ignore_missing(lambda: elb.delete_load_balancer(LoadBalancerArn=arn), "LoadBalancerNotFound")
    elb.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[arn])


def _delete_security_group(clients: Callable[[str], Any], group_id: str) -> None:
    """Its rules first (another orphan group's rule may name it), then the group, again while
    the load balancer's and the tasks' network interfaces are being released."""
    ec2 = clients("ec2")
    try:
        (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "InvalidGroup.NotFound":
            return
        raise
    if group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(
            GroupId=group_id, IpPermissions=group["IpPermissionsEgress"]
        )
    deadline = time.monotonic() + 900
    while True:
        try:
            ec2.delete_security_group(GroupId=group_id)
            return
        except ClientError as error:
            if (
                error.response["Error"]["Code"] != "DependencyViolation"
                or time.monotonic() > deadline
            ):
                raise
            time.sleep(15)


def _delete_role(clients: Callable[[str], Any], name: str) -> None:
    iam = clients("iam")
    try:
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchEntity":
            return
        raise
    for policy in attached:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


def _delete_cloudfront(kind: str) -> Callable[[Callable[[str], Any], str], None]:
    def delete(clients: Callable[[str], Any], physical_id: str) -> None:
        cloudfront = clients("cloudfront")
        if kind == "function":
            name = physical_id.rsplit("/", 1)[1]
            etag = cloudfront.describe_function(Name=name)["ETag"]
            cloudfront.delete_function(Name=name, IfMatch=etag)
        elif kind == "origin-access-control":
            etag = cloudfront.get_origin_access_control(Id=physical_id)["ETag"]
            cloudfront.delete_origin_access_control(Id=physical_id, IfMatch=etag)
        else:
            etag = cloudfront.get_response_headers_policy(Id=physical_id)["ETag"]
            cloudfront.delete_response_headers_policy(Id=physical_id, IfMatch=etag)

    return delete


def _client_call(service: str, method: str, key: str, *missing: str):
    def delete(clients: Callable[[str], Any], physical_id: str) -> None:
        _ignore_missing(lambda: getattr(clients(service), method)(**{key: physical_id}), *missing)

    return delete


# How `cleanup` deletes each type of plan.DELETED_BY_CLEANUP (which says the order).
DELETERS: dict[str, Callable[[Callable[[str], Any], str], None]] = {
    "AWS::ApplicationAutoScaling::ScalableTarget": _deregister_scalable_target,
    "AWS::ECS::Service": _delete_service,
    "AWS::ServiceDiscovery::Service": _client_call(
        "servicediscovery", "delete_service", "Id", "ServiceNotFound"
    ),
    "AWS::ElasticLoadBalancingV2::ListenerRule": _client_call(
        "elbv2", "delete_rule", "RuleArn", "RuleNotFound"
    ),
    "AWS::ElasticLoadBalancingV2::Listener": _client_call(
        "elbv2", "delete_listener", "ListenerArn", "ListenerNotFound"
    ),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _delete_load_balancer,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _client_call(
        "elbv2", "delete_target_group", "TargetGroupArn", "TargetGroupNotFound"
    ),
    "AWS::ECS::TaskDefinition": _client_call(
        "ecs", "deregister_task_definition", "taskDefinition", "ClientException"
    ),
    "AWS::ECS::Cluster": _client_call(
        "ecs", "delete_cluster", "cluster", "ClusterNotFoundException"
    ),
    "AWS::ServiceDiscovery::PrivateDnsNamespace": _client_call(
        "servicediscovery", "delete_namespace", "Id", "NamespaceNotFound"
    ),
    "AWS::EC2::SecurityGroup": _delete_security_group,
    "AWS::Lambda::Function": _client_call(
        "lambda", "delete_function", "FunctionName", "ResourceNotFoundException"
    ),
    "AWS::IAM::Role": _delete_role,
    "AWS::CloudFront::Function": _delete_cloudfront("function"),
    "AWS::CloudFront::OriginAccessControl": _delete_cloudfront("origin-access-control"),
    "AWS::CloudFront::ResponseHeadersPolicy": _delete_cloudfront("response-headers-policy"),
}


# -- waiting ---------------------------------------------------------------------------------------


def wait(cloudformation: Any, stack: str, timeout_s: float = STACK_TIMEOUT_S) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as error:
            if "does not exist" in str(error):
                return "GONE"
            raise
        status = found[0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            return status
        if time.monotonic() > deadline:
            raise AdoptionError(f"{stack} still {status}")
        time.sleep(_POLL_S)


def _exists(cloudformation: Any, stack: str) -> bool:
    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError:
        return False
    return bool(found) and found[0]["StackStatus"] != "DELETE_COMPLETE"
