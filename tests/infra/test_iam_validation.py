"""Every IAM policy the repository writes, checked by a policy validator: Parliament (duo-labs),
in its own environment (tools/parliament), since IAM Access Analyzer's policy validation needs
AWS. cfn-lint's IAM rules run too, with the rest of cfn-lint (test_linters.py,
test_rendered_stacks.py).

Parliament checks that each action exists, that each resource ARN is of a type the action
takes, that condition keys exist for the actions and have the right operator, and the document's
shape. It needs real ARNs, so the policies are resolved as CloudFormation would resolve them in
prod, with ARNs of the shapes AWS gives each resource type and every import followed to the
output that exports it (the rendered stacks, tests/infra/rendered)."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import pytest

from devstack.intrinsics import Resolver
from tests.infra import support
from tests.infra.rendered import Scenario, analysis, render
from tests.infra.rendered.model import Deployment, Stack

PARLIAMENT = support.ROOT / "tools" / "parliament" / ".venv" / "bin" / "python"
REGION, ACCOUNT = "eu-west-1", "111122223333"
VALIDATOR = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from parliament import analyze_policy_string
documents = json.load(sys.stdin)
out = {}
for name, (kind, document) in documents.items():
    policy = analyze_policy_string(
        json.dumps(document), include_community_auditors=True, private_auditors_custom_path=None,
        ignore_private_auditors=True,
    ) if kind == "identity" else analyze_policy_string(json.dumps(document))
    out[name] = [
        {"issue": f.issue, "detail": str(f.detail), "location": str(f.location)}
        for f in policy.findings
    ]
json.dump(out, sys.stdout)
"""
# Findings that do not apply: (policy or None for any, issue, action or None) -> why.
ACCEPTED = {
    (None, "RESOURCE_STAR", None): "a key policy's resource, *, is the key it is attached to",
    ("environment-addons/OriginRotationPolicy", "RESOURCE_MISMATCH", "ModifyRule"): (
        "Parliament's data gives ModifyRule only the network load balancer's rule ARN "
        "(listener-rule/net/...); an application load balancer's are listener-rule/app/..."
    ),
    ("network/DynamoDbEndpoint", "RESOURCE_MISMATCH", None): (
        "an endpoint policy admits its service's actions (dynamodb:*) on this account's tables: "
        "an action that takes no table (global tables, DescribeEndpoints) is not let through"
    ),
    ("network/CognitoEndpoint", "RESOURCE_MISMATCH", None): (
        "an endpoint policy admits cognito-idp:* on this account's user pools: the actions "
        "that take no user pool (the user's own, with an access token) are not let through"
    ),
    (
        "environment-addons/BackupRole.BackUpAndRestoreTheTable",
        "UNKNOWN_CONDITION_FOR_ACTION",
        None,
    ): (
        "kms:ResourceAliases (2021) is missing from Parliament's data; it names the standby's "
        "data key by its alias"
    ),
    (
        "environment-addons/BackupRole.BackUpAndRestoreTheTable",
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        None,
    ): (
        "AWS Backup makes KMS grants for the recovery points it writes, only through Backup and "
        "DynamoDB (kms:ViaService)"
    ),
    ("environment-addons/OriginRotationPolicy", "RESOURCE_POLICY_PRIVILEGE_ESCALATION", None): (
        "CloudFront updates a distribution with standard logging only for a caller that may "
        "read and write the log bucket's ACL (its developer guide); the bucket blocks and ignores "
        "public ACLs, and the role is the rotation function's alone"
    ),
    ("environment-addons/OriginRotationPolicy", "PERMISSIONS_MANAGEMENT_ACTIONS", None): (
        "s3:PutBucketAcl on the log bucket only, which CloudFront requires of whoever updates a "
        "distribution that logs there (issue 19.8)"
    ),
    (
        "environment-addons/RestoreRole.RestoreTheCopiesHere",
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        None,
    ): (
        "a restore makes a KMS grant for the restored table, only through Backup and DynamoDB "
        "(kms:ViaService), in the standby's region"
    ),
    ("environment-addons/DataBreakGlassPolicy", "PERMISSIONS_MANAGEMENT_ACTIONS", None): (
        "a point-in-time restore makes a KMS grant for the new table; the statement lets only "
        "DynamoDB make it (kms:GrantIsForAWSResource)"
    ),
}


def accepted(name: str, finding: dict[str, str]) -> bool:
    return any(
        policy in (None, name)
        and issue == finding["issue"]
        and (action is None or action in finding["detail"])
        for policy, issue, action in ACCEPTED
    )


class _Physical(dict):
    """Ref and GetAtt values of one resource, in the shape AWS returns them."""

    def __init__(self, logical_id: str, resource: dict[str, Any], names: Resolver):
        super().__init__()
        self.logical_id, self.resource, self.names = logical_id, resource, names

    def _name(self, prop: str, default: str) -> str:
        value = (self.resource.get("Properties") or {}).get(prop)
        return str(self.names.resolve(value)) if value is not None else default

    def __missing__(self, attribute: str) -> str:
        kind = self.resource["Type"]
        logical = self.logical_id.lower()
        prefix = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:"
        values = {
            "AWS::DynamoDB::GlobalTable": lambda: {
                "Ref": (name := self._name("TableName", logical)),
                "Arn": prefix.format("dynamodb") + f"table/{name}",
                "StreamArn": prefix.format("dynamodb")
                + f"table/{name}/stream/2026-01-01T00:00:00.000",
            },
            "AWS::EC2::VPCEndpoint": lambda: {"Ref": "vpce-0a1b2c3d4e5f60718"},
            "AWS::EC2::SecurityGroup": lambda: {
                "Ref": "sg-0a1b2c3d4e5f60718",
                "GroupId": "sg-0a1b2c3d4e5f60718",
            },
            "AWS::Backup::BackupVault": lambda: {
                "Ref": (name := self._name("BackupVaultName", logical)),
                "BackupVaultArn": prefix.format("backup") + f"backup-vault:{name}",
            },
            "AWS::DynamoDB::Table": lambda: {
                "Ref": (name := self._name("TableName", logical)),
                "Arn": prefix.format("dynamodb") + f"table/{name}",
                "StreamArn": prefix.format("dynamodb")
                + f"table/{name}/stream/2026-01-01T00:00:00.000",
            },
            "AWS::SecretsManager::Secret": lambda: {
                "Ref": prefix.format("secretsmanager")
                + f"secret:{self._name('Name', logical)}-AbCdEf"
            },
            "AWS::KMS::Key": lambda: {
                "Ref": "1234abcd-12ab-34cd-56ef-1234567890ab",
                "Arn": prefix.format("kms") + "key/1234abcd-12ab-34cd-56ef-1234567890ab",
            },
            "AWS::S3::Bucket": lambda: {
                "Ref": (name := self._name("BucketName", logical)),
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
            },
            "AWS::Logs::LogGroup": lambda: {
                "Ref": (name := self._name("LogGroupName", logical)),
                "Arn": prefix.format("logs") + f"log-group:{name}:*",
            },
            "AWS::SNS::Topic": lambda: {
                "Ref": prefix.format("sns") + self._name("TopicName", logical),
            },
            "AWS::Lambda::Function": lambda: {
                "Ref": (name := self._name("FunctionName", logical)),
                "Arn": prefix.format("lambda") + f"function:{name}",
            },
            "AWS::IAM::Role": lambda: {
                "Ref": (name := self._name("RoleName", logical)),
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
            },
            "AWS::IAM::ManagedPolicy": lambda: {
                "Ref": f"arn:aws:iam::{ACCOUNT}:policy/{logical}",
            },
            "AWS::Cognito::UserPool": lambda: {
                "Ref": f"{REGION}_AbCdEfGhI",
                "Arn": prefix.format("cognito-idp") + f"userpool/{REGION}_AbCdEfGhI",
            },
            "AWS::WAFv2::WebACL": lambda: {
                "Arn": prefix.format("wafv2")
                + f"regional/webacl/{self._name('Name', logical)}/1a2b",
            },
            "AWS::SQS::Queue": lambda: {
                "Ref": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/"
                + (name := self._name("QueueName", logical)),
                "Arn": prefix.format("sqs") + name,
                "QueueName": name,
            },
            "AWS::CloudFront::Distribution": lambda: {"Ref": "E2EXAMPLE1"},
            "AWS::ElasticLoadBalancingV2::LoadBalancer": lambda: {
                "Ref": prefix.format("elasticloadbalancing")
                + "loadbalancer/app/teamtasks-prod/1a2b3c"
            },
            "AWS::ElasticLoadBalancingV2::Listener": lambda: {
                "Ref": prefix.format("elasticloadbalancing")
                + "listener/app/teamtasks-prod/1a2b3c/4d5e6f"
            },
        }
        known = values.get(kind, lambda: {})()
        if attribute not in known:
            return f"{logical}-{attribute.lower()}"
        self.update(known)
        return self[attribute]


def realistic(stack: Stack, deployment: Deployment) -> Resolver:
    """A resolver for `stack` that gives AWS-shaped values, parameters as deployed, and imports
    followed to their exporting stack."""
    # What CloudFormation reads from the environment's settings (SSM) at deploy time is filled
    # in from the deployment's settings.
    parameters = analysis.parameter_values(
        stack, deployment, lambda parent: realistic(parent, deployment)
    )
    resources: dict[str, _Physical] = {}
    resolver = Resolver(
        stack.template,
        parameters=parameters,
        pseudo={
            "AWS::Region": stack.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.name,
        },
        resources=resources,
        exports=_Exports(deployment),
    )
    # Filled after: a resource's name may refer to parameters and to other resources.
    for logical_id, resource in (stack.template.get("Resources") or {}).items():
        resources[logical_id] = _Physical(logical_id, resource, resolver)
    return resolver


class _Exports(dict):
    def __init__(self, deployment: Deployment):
        super().__init__()
        self.deployment = deployment

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> str:
        for stack in self.deployment.stacks:
            resolve = realistic(stack, self.deployment)
            for output in (stack.template.get("Outputs") or {}).values():
                if "Export" in output and resolve.resolve(output["Export"]["Name"]) == name:
                    self[name] = str(resolve.resolve(output["Value"]))
                    return self[name]
        raise KeyError(name)


POLICY_TYPES = {
    "AWS::IAM::ManagedPolicy": ("identity", "PolicyDocument"),
    "AWS::KMS::Key": ("resource", "KeyPolicy"),
    "AWS::S3::BucketPolicy": ("resource", "PolicyDocument"),
    "AWS::SNS::TopicPolicy": ("resource", "PolicyDocument"),
    "AWS::EC2::VPCEndpoint": ("resource", "PolicyDocument"),
}


def documents_of(stack: Stack, deployment: Deployment, only: set[str] | None = None):
    resolve = realistic(stack, deployment)
    for logical_id, resource in (stack.template.get("Resources") or {}).items():
        if only is not None and logical_id not in only:
            continue
        properties = resource.get("Properties") or {}
        kind = POLICY_TYPES.get(resource["Type"])
        if kind:
            yield f"{stack.role}/{logical_id}", kind[0], resolve.resolve(properties[kind[1]])
        if resource["Type"] == "AWS::IAM::Role":
            # (Trust policies have no Resource, which Parliament does not take; test_iam.py
            # checks them.)
            for policy in properties.get("Policies") or []:
                document = resolve.resolve(policy["PolicyDocument"])
                yield f"{stack.role}/{logical_id}.{policy['PolicyName']}", "identity", document


@cache
def policies() -> dict[str, tuple[str, Any]]:
    """Every policy the repository writes: the addons', the patches' (resources they add to
    Copilot's stacks), the edge stack's."""
    deployment = render("prod", Scenario.DEPLOYED)
    found = {}
    for role in ("network", "environment-addons", "service-addons"):
        for name, kind, document in documents_of(deployment.stack(role), deployment):
            found[name] = (kind, document)
    environment = deployment.stack("environment")
    for name, kind, document in documents_of(
        environment, deployment, only={"AccessLogsBucketPolicy"}
    ):
        found[name] = (kind, document)
    edge_template = support.load_yaml_cfn(support.ROOT / "addons" / "edge" / "cloudfront-waf.yml")
    edge = Stack("teamtasks-prod-edge", "edge", edge_template, {"Env": "prod"}, region="us-east-1")
    edge_deployment = Deployment(env="prod", scenario=Scenario.DEPLOYED, stacks=[edge])
    for name, kind, document in documents_of(edge, edge_deployment):
        found[name] = (kind, document)
    return found


@pytest.fixture(scope="module")
def findings() -> dict[str, list[dict[str, str]]]:
    assert PARLIAMENT.exists(), "the parliament tool environment is missing: run make test-infra"
    result = subprocess.run(
        [str(PARLIAMENT), "-c", VALIDATOR],
        input=json.dumps(policies()),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_policies_resolve_to_real_arns():
    found = policies()
    assert {"environment-addons/TaskPolicy", "service-addons/TaskPolicy"} & set(found)
    task = found["service-addons/TaskPolicy"][1]
    resources = [r for s in task["Statement"] for r in s["Resource"]]
    assert f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/teamtasks-prod-tasks" in resources
    assert not [r for r in resources if "<" in str(r) or "import" in str(r)]
    assert len(found) >= 11


def test_parliament_finds_nothing(findings):
    problems = [
        f"{name}: {f['issue']} {f['detail']}"
        for name, found in findings.items()
        for f in found
        if not accepted(name, f)
    ]
    assert problems == []


def test_parliament_would_report(tmp_path):
    broken = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:Querry", "Resource": "arn:aws:s3:::bucket"},
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t",
            },
        ],
    }
    result = subprocess.run(
        [str(PARLIAMENT), "-c", VALIDATOR],
        input=json.dumps({"broken": ["identity", broken]}),
        capture_output=True,
        text=True,
        check=True,
    )
    issues = {f["issue"] for f in json.loads(result.stdout)["broken"]}
    assert {"UNKNOWN_ACTION", "RESOURCE_MISMATCH"} <= issues
