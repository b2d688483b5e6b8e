"""What the move keeps and where it goes (docs/deploy.md, "Adopting an environment deployed by
Copilot").

Kept, by resource import into the CDK app's stacks, under the logical ids those stacks give them:

- every resource of Copilot's two addons stacks whose type CloudFormation can import: the same
  templates are included in the CDK stacks under the same logical ids (the environment's in
  `teamtasks-<env>`, the service's in `teamtasks-<env>-api`). The data (table, user pool and
  client, keys, secrets, archive, browser app's bucket, vault) and everything the addons name
  (roles, functions and their stream mappings, log groups, alarms, topic and its confirmed
  subscription, web ACL, backup plan) stay the same resources;
- from Copilot's root stacks, ROOT: the roles whose names policies use, the access-log bucket,
  the distribution (its id is what the browser app's bucket and key admit, and what the domain
  points at), the service's task role and log group.

Left where they run, outside any stack, until `cleanup` deletes them: Copilot's serving path
(its load balancer, listeners and rules, target group, cluster, service, task definition,
groups, its custom resources' functions and roles). The distribution keeps sending /api/* to
that load balancer until the CDK app's serves; nothing serves from Copilot's afterwards.

Not imported, made again by the first deployment: the types CloudFormation cannot import
(NOT_IMPORTED)."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cdk.adopt.copilot import NESTED, Deployment
from cdk.adopt.describe import Describer, Undescribable, references
from devstack.intrinsics import Resolver, Unresolvable

# The CDK app's stacks that import, in the order they are imported (the environment's and the
# service's are deployed through the deployment stack's CloudFormation role).
CDK_STACKS = {
    "deployment": "{app}-{env}-deployment",
    "environment": "{app}-{env}",
    "api": "{app}-{env}-api",
}
# Copilot's addons stacks go whole into these CDK stacks, under the same logical ids.
ADDON_TARGETS = {"environment-addons": "environment", "service-addons": "api"}


@dataclass(frozen=True)
class Root:
    cdk_stack: str
    cdk_id: str
    why: str


# From Copilot's root stacks: (role, logical id) -> where it goes.
ROOT: dict[tuple[str, str], Root] = {
    ("environment", "CloudformationExecutionRole"): Root(
        "deployment",
        "CloudformationExecutionRole",
        "the data key's policy names it: CloudFormation deploys the environment as this role",
    ),
    ("environment", "EnvironmentManagerRole"): Root(
        "deployment", "EnvironmentManagerRole", "the browser app's publisher, by name"
    ),
    ("environment", "AccessLogsBucket"): Root(
        "environment", "AccessLogsBucket", "a year of the distribution's and the bucket's logs"
    ),
    ("environment", "DisposableAccessLogsBucket"): Root(
        "environment", "DisposableAccessLogsBucket", "dev's access logs, under the same name"
    ),
    ("environment", "CloudFrontDistribution"): Root(
        "environment",
        "Distribution",
        "the domain points at it, and the browser app's bucket and key admit it by its id",
    ),
    ("service", "TaskRole"): Root(
        "api", "TaskRole", "the data key's policy names it; running tasks hold its credentials"
    ),
    ("service", "LogGroup"): Root("api", "LogGroup", "the service's logs"),
}
# Addon resource types not imported, and what happens to Copilot's.
NOT_IMPORTED = {
    "AWS::SNS::TopicPolicy": "not importable: the deployment sets the kept topic's policy again",
    "AWS::SQS::QueuePolicy": "not importable: the deployment sets the kept queue's policy again",
    "AWS::WAFv2::WebACLAssociation": (
        "not importable: the deployment associates the kept web ACL with the new load balancer; "
        "the old association goes with Copilot's load balancer"
    ),
    "AWS::Lambda::Permission": (
        "the deployment adds the same grant to the kept function; Copilot's statement stays "
        "beside it (the same principal and source)"
    ),
}
# Copilot's root resources the CDK app makes again on the kept distribution: removed by
# `import`, before the first deployment, which would otherwise fail on them.
REPLACED_BEFORE_DEPLOYMENT = {
    "AWS::CloudFront::MonitoringSubscription": (
        "a distribution has one monitoring subscription; the CDK app's replaces Copilot's "
        "(real-time metrics pause from the import until the first deployment)"
    ),
}


# Copilot's serving path, which `cleanup` deletes (cdk/adopt/steps.py, DELETERS), in order.
DELETED_BY_CLEANUP = (
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ECS::Service",
    "AWS::ServiceDiscovery::Service",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::Cluster",
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
    "AWS::EC2::SecurityGroup",
    "AWS::Lambda::Function",
    "AWS::IAM::Role",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
)
# Copilot's root resources that stay, and why.
STAYS = {
    "AWS::ApplicationAutoScaling::ScalingPolicy": "deregistered with its scalable target",
    "AWS::EC2::SecurityGroupIngress": "revoked with its group",
    "AWS::EC2::SecurityGroupEgress": "revoked with its group",
    "AWS::S3::Bucket": "Copilot's load balancer logs: kept as evidence (delete when they expire)",
    "AWS::S3::BucketPolicy": (
        "stays on its bucket; the kept access-log bucket's is replaced by the CDK app's at the "
        "first deployment"
    ),
}


@dataclass(frozen=True)
class Move:
    copilot_stack: str  # role: environment, environment-addons, service, service-addons
    copilot_id: str
    type: str
    physical_id: str
    cdk_stack: str  # deployment, environment, api
    cdk_id: str
    identifier: dict[str, str]


class AdoptionError(RuntimeError):
    """A precondition of the move does not hold: the message says which and what to do."""


# -- what the resource schemas say -----------------------------------------------------------


@cache
def schema(kind: str) -> dict[str, Any]:
    """AWS's registry schema of the type, as cfn-lint ships it."""
    from cfnlint.data import schemas  # noqa: PLC0415 -- only the planning needs cfn-lint

    folder = Path(schemas.__file__).parent
    digests = json.loads((folder / "providers" / "us-east-1.json").read_text())
    return json.loads((folder / "resources" / f"{digests[kind]}.json").read_text())


def primary_identifier(kind: str) -> list[str]:
    return [p.removeprefix("/properties/") for p in schema(kind)["primaryIdentifier"]]


def importable(kind: str) -> bool:
    """A registry type with read and list handlers: CloudFormation's resource import (and drift
    detection) are the types Cloud Control reads ("Resource type support")."""
    if kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource":
        return False
    return {"read", "list"} <= set(schema(kind).get("handlers") or {})


def required(kind: str) -> list[str]:
    return list(schema(kind).get("required") or [])


def create_only(kind: str) -> list[str]:
    """Top-level properties whose change replaces the resource."""
    return sorted(
        {
            p.removeprefix("/properties/").split("/")[0]
            for p in schema(kind).get("createOnlyProperties") or []
        }
    )


# -- the plan ----------------------------------------------------------------------------------


def _rule_arn(physical_id: str, deployment: Deployment) -> str:
    # A rule's physical id is its name, or <bus>|<name> on a bus other than the default.
    return (
        f"arn:{deployment.partition}:events:{deployment.region}:{deployment.account}:"
        f"rule/{physical_id.replace('|', '/')}"
    )


# Types whose primary identifier is not their physical id (nor in their properties), and how
# it follows from the physical id.
IDENTIFIER_FROM_PHYSICAL_ID = {"AWS::Events::Rule": ("Arn", _rule_arn)}


def identifier(
    kind: str, physical_id: str, properties: dict[str, Any], deployment: Deployment
) -> dict[str, str]:
    """The ResourceIdentifier an import names: each primary identifier property from the
    resource's own properties where its template sets it, else from the physical id (a
    composite id, name|id|scope, gives them in order)."""
    if kind in IDENTIFIER_FROM_PHYSICAL_ID:
        key, derive = IDENTIFIER_FROM_PHYSICAL_ID[kind]
        return {key: derive(physical_id, deployment)}
    keys = primary_identifier(kind)
    missing = [k for k in keys if not isinstance(properties.get(k), str | int)]
    found = {k: str(properties[k]) for k in keys if k not in missing}
    parts = physical_id.split("|")
    if missing and len(keys) > 1 and len(parts) == len(keys):
        found.update({k: parts[keys.index(k)] for k in missing})
    elif len(missing) == 1:
        found[missing[0]] = physical_id
    elif missing:
        raise AdoptionError(f"{kind} {physical_id}: cannot tell {missing} from its id")
    return found


def moves(deployment: Deployment) -> list[Move]:
    """Every resource the move keeps, with its import identifier."""
    found = []
    for role, stack in deployment.stacks.items():
        describer = Describer(deployment, role, lambda *_: None)
        for logical_id, resource in sorted(stack.resources.items()):
            destination = _destination(role, logical_id, resource.type)
            if destination is None:
                continue
            cdk_stack, cdk_id = destination
            properties = describer.literal_properties(logical_id)
            found.append(
                Move(
                    copilot_stack=role,
                    copilot_id=logical_id,
                    type=resource.type,
                    physical_id=resource.physical_id,
                    cdk_stack=cdk_stack,
                    cdk_id=cdk_id,
                    identifier=identifier(
                        resource.type, resource.physical_id, properties, deployment
                    ),
                )
            )
    return found


def _destination(role: str, logical_id: str, kind: str) -> tuple[str, str] | None:
    if (role, logical_id) in ROOT:
        root = ROOT[(role, logical_id)]
        return root.cdk_stack, root.cdk_id
    if role in ADDON_TARGETS and kind not in NOT_IMPORTED and importable(kind):
        return ADDON_TARGETS[role], logical_id
    return None


def left(deployment: Deployment, kept: list[Move]) -> list[dict[str, str]]:
    """Everything of Copilot's stacks the move does not keep, and what becomes of it: `action`
    is "cleanup" for what `cleanup` deletes, else "none"."""
    taken = {(m.copilot_stack, m.copilot_id) for m in kept}
    found = []
    for role, stack in deployment.stacks.items():
        for logical_id, resource in sorted(stack.resources.items()):
            if (role, logical_id) in taken:
                continue
            action, fate = "none", _fate(role, logical_id, resource.type)
            if fate is None:
                action, fate = "cleanup", "Copilot's serving path: runs until the CDK app's serves"
            found.append(
                {
                    "copilot_stack": role,
                    "logical_id": logical_id,
                    "type": resource.type,
                    "physical_id": resource.physical_id,
                    "action": action,
                    "fate": fate,
                }
            )
    return found


def _fate(role: str, logical_id: str, kind: str) -> str | None:
    """What becomes of a resource that is not kept, unless `cleanup` deletes it (None)."""
    if logical_id == NESTED and kind == "AWS::CloudFormation::Stack":
        return "the nested stack: deleted with its root, its resources retained"
    if role in ADDON_TARGETS:
        return NOT_IMPORTED.get(kind, "not importable: the deployment makes it again")
    if kind.startswith("Custom::"):
        return (
            "a custom resource: retained, so its function is not called; nothing exists behind it"
        )
    if kind in REPLACED_BEFORE_DEPLOYMENT:
        return REPLACED_BEFORE_DEPLOYMENT[kind]
    if kind in STAYS:
        return STAYS[kind]
    if kind not in DELETED_BY_CLEANUP:
        raise AdoptionError(f"{role}/{logical_id}: nothing says what becomes of a {kind}")
    return None


def import_template(deployment: Deployment, kept: list[Move], cdk_stack: str) -> dict[str, Any]:
    """The template of the IMPORT change set that creates `cdk_stack`: exactly the resources it
    keeps, each as Copilot declared it (describe.py), with Retain."""
    here = {(m.copilot_stack, m.copilot_id): m.cdk_id for m in kept if m.cdk_stack == cdk_stack}
    resources = {}
    for (role, logical_id), cdk_id in sorted(here.items(), key=lambda item: item[1]):
        describer = Describer(deployment, role, lambda r, i: here.get((r, i)))
        kind = deployment.stack(role).resources[logical_id].type
        try:
            properties = describer.properties(logical_id)
        except Undescribable as error:
            raise AdoptionError(f"{role}/{logical_id} -> {cdk_stack}/{cdk_id}: {error}") from None
        resources[cdk_id] = {
            "Type": kind,
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": properties,
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Adopted from Copilot: {len(resources)} resources kept (cdk/adopt)",
        "Resources": resources,
    }


def make(
    deployment: Deployment, cdk_templates: dict[str, dict[str, Any]], values: Values
) -> dict[str, Any]:
    """The plan: what is kept (and its import templates), what is left, and what the first
    deployment keeps serving from; refused when a check fails (checks())."""
    kept = moves(deployment)
    templates = {stack: import_template(deployment, kept, stack) for stack in CDK_STACKS}
    the_plan = {
        "env": deployment.env,
        "region": deployment.region,
        "account": deployment.account,
        "copilot_stacks": {role: s.name for role, s in deployment.stacks.items()},
        "kept": [asdict(m) for m in kept],
        "left": left(deployment, kept),
        "import_templates": templates,
        "serving": serving(deployment),
    }
    problems = checks(the_plan, cdk_templates, values)
    if problems:
        raise AdoptionError("the plan fails its checks:\n  " + "\n  ".join(problems))
    return the_plan


def serving(deployment: Deployment) -> dict[str, str]:
    """What serves today: the distribution, and the load balancer it sends /api/* to."""
    resources = deployment.stack("environment").resources
    for needed in ("CloudFrontDistribution", "PublicLoadBalancer"):
        if needed not in resources:
            raise AdoptionError(f"Copilot's environment stack has no {needed}: is api deployed?")
    describer = Describer(deployment, "environment", lambda *_: None)
    try:
        dns = describer.attribute("PublicLoadBalancer", "DNSName")  # an output of the stack
    except Undescribable as error:
        raise AdoptionError(str(error)) from None
    return {
        "distribution_id": resources["CloudFrontDistribution"].physical_id,
        "load_balancer_arn": resources["PublicLoadBalancer"].physical_id,
        "load_balancer_dns": str(dns),
    }


# -- the checks ----------------------------------------------------------------------------------


def checks(
    the_plan: dict[str, Any], cdk_templates: dict[str, dict[str, Any]], values: Values
) -> list[str]:
    """What CloudFormation requires of each import, and what the deployment after it needs:

    - each kept resource is in the CDK stack's template under its logical id with its type;
    - its identifier names exactly the type's primary identifier;
    - each import template holds exactly the stack's kept resources, each with a deletion
      policy, every property its schema requires, and references only to what it imports;
    - the first deployment replaces none of them: their create-only properties agree with the
      CDK template's where both are values."""
    problems = []
    by_stack: dict[str, set[str]] = {}
    for move in the_plan["kept"]:
        by_stack.setdefault(move["cdk_stack"], set()).add(move["cdk_id"])
        where = (
            f"{move['copilot_stack']}/{move['copilot_id']} -> {move['cdk_stack']}/{move['cdk_id']}"
        )
        cdk = (cdk_templates.get(move["cdk_stack"]) or {}).get("Resources", {}).get(move["cdk_id"])
        if cdk is None or cdk.get("Type") != move["type"]:
            problems.append(f"{where}: the CDK template has no {move['type']} {move['cdk_id']}")
        if sorted(move["identifier"]) != sorted(primary_identifier(move["type"])):
            problems.append(f"{where}: identifier {move['identifier']}")
    for stack, template in the_plan["import_templates"].items():
        resources = template["Resources"]
        if set(resources) != by_stack.get(stack, set()):
            problems.append(f"{stack}: the import holds {sorted(resources)}")
        for logical_id, resource in resources.items():
            where = f"{stack}/{logical_id}"
            if resource.get("DeletionPolicy") != "Retain":
                problems.append(f"{where}: no DeletionPolicy Retain")
            properties = resource.get("Properties") or {}
            for name in required(resource["Type"]):
                if name not in properties:
                    problems.append(f"{where}: required property {name} missing")
            outside = references(properties) - set(resources)
            if outside:
                problems.append(f"{where}: refers to {sorted(outside)}, which the import lacks")
        found, _ = replacement_problems(template, cdk_templates.get(stack) or {}, stack, values)
        problems += found
    return problems


@dataclass(frozen=True)
class Values:
    """What the CDK templates are deployed with: their parameters' values (the SSM settings,
    read at plan time), the exports they import, and the place."""

    region: str
    account: str
    partition: str = "aws"
    parameters: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)


def replacement_problems(
    imported: dict[str, Any], cdk: dict[str, Any], stack: str, values: Values
) -> tuple[list[str], int]:
    """A create-only property whose value differs between the import and the CDK template:
    the first deployment would replace the resource (a kept name would collide, its data be
    left behind). Both sides are resolved at the environment's values, references to resources
    by logical id; a property either side cannot resolve is not compared. Returns the problems
    and how many properties were compared."""
    problems, compared = [], 0
    ours_resolver = _resolver(imported, values)
    theirs_resolver = _resolver(cdk, values)
    for logical_id, resource in imported["Resources"].items():
        theirs = ((cdk.get("Resources") or {}).get(logical_id) or {}).get("Properties") or {}
        ours = resource.get("Properties") or {}
        for name in create_only(resource["Type"]):
            if name not in ours and name not in theirs:
                continue
            try:
                a = ours_resolver.resolve(ours.get(name))
                b = theirs_resolver.resolve(theirs.get(name))
            except (Unresolvable, IndexError, KeyError, TypeError, ValueError):
                continue
            compared += 1
            if _normal(a) != _normal(b):
                problems.append(
                    f"{stack}/{logical_id}.{name}: {a!r} now, {b!r} in the CDK app's: the first "
                    "deployment would replace it"
                )
    return problems, compared


class _Markers(dict):
    def __init__(self, logical_id: str):
        super().__init__(Ref=f"<{logical_id}>")
        self.logical_id = logical_id

    def __missing__(self, attribute: str) -> str:
        return f"<{self.logical_id}.{attribute}>"


def _resolver(template: dict[str, Any], values: Values) -> Resolver:
    parameters = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec and not str(spec.get("Type", "")).startswith("AWS::SSM::")
    }
    parameters.update(values.parameters)
    return Resolver(
        template,
        parameters=parameters,
        pseudo={
            "AWS::Region": values.region,
            "AWS::AccountId": values.account,
            "AWS::Partition": values.partition,
            "AWS::URLSuffix": "amazonaws.com",
        },
        resources={k: _Markers(k) for k in template.get("Resources") or {}},
        exports=values.exports,
    )


def _normal(value: Any) -> Any:
    """CloudFormation reads "true" and true, "5" and 5 alike."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if value is not None else None


def retained(template: dict[str, Any]) -> dict[str, Any]:
    """`template` with DeletionPolicy and UpdateReplacePolicy Retain on every resource but a
    nested stack (deleted with its root: its own resources are retained by its template)."""
    result = copy.deepcopy(template)
    for resource in result["Resources"].values():
        if resource.get("Type") == "AWS::CloudFormation::Stack":
            continue
        resource["DeletionPolicy"] = "Retain"
        resource["UpdateReplacePolicy"] = "Retain"
    return result
