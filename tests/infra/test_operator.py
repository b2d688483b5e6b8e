"""The operator's one-off tasks (issue 19.10): a migration and the audit archive's check run as
the environment's operator role in a task inside the VPC (ops/operator_task.py), because the
table's resource policy admits only requests through the VPC's DynamoDB endpoint and the data
key names its users. Every call they make is allowed there, by the role's policy, the key's and
the table's; from a workstation the table refuses it, as docs/data-model.md says."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from ops import operator_task
from tests.infra import support
from tests.infra.aws_rules import Concrete, resolver
from tests.infra.aws_rules.concrete import UNKNOWN
from tests.infra.aws_rules.policies import Request, allowed, denied

REGION = "eu-west-1"
ACCOUNT = "111122223333"
ENV = support.merged(support.ENVIRONMENT_ADDONS)
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/teamtasks-prod-operator"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/teamtasks-prod-tasks"
BUCKET = f"teamtasks-prod-audit-{ACCOUNT}-{REGION}"
# What docs/data-model.md's migration step asks of the table (TransactWriteItems is authorised
# as its items' actions), and the index's status it waits for.
MIGRATION = [
    "DescribeTable",
    "Scan",
    "GetItem",
    "BatchGetItem",
    "Query",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "ConditionCheckItem",
]


@pytest.fixture()
def aws() -> Iterator[Any]:
    with support.mocked_account(REGION, ACCOUNT):
        yield boto3.session.Session(region_name=REGION)


def resolved(logical_id: str) -> dict[str, Any]:
    values = Concrete(env="prod", region=REGION, parameters={"App": "teamtasks", "Env": "prod"})
    return resolver(ENV, values).resolve(ENV["Resources"][logical_id]["Properties"])


def operator_policy() -> dict[str, Any]:
    document = resolved("OperatorPolicy")["PolicyDocument"]
    # The resources as AWS names them (the resolver leaves other resources unknown).
    text = json.dumps(document, ensure_ascii=False)
    for unknown, real in {
        f"{UNKNOWN}TasksTable.Arn": TABLE,
        f"{UNKNOWN}AuditArchiveBucket.Arn": f"arn:aws:s3:::{BUCKET}",
        f"{UNKNOWN}DataKey.Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/data",
        f"{UNKNOWN}StreamKey.Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/stream",
    }.items():
        text = text.replace(unknown, real)
    return json.loads(text)


def table_policy() -> dict[str, Any]:
    (replica,) = resolved("TasksTable")["Replicas"]
    return replica["ResourcePolicy"]["PolicyDocument"]


def endpoint() -> str:
    (statement,) = table_policy()["Statement"]
    (vpce,) = statement["Condition"]["StringNotEquals"]["aws:SourceVpce"]
    return vpce


def data_key_policy() -> dict[str, Any]:
    return resolved("DataKey")["KeyPolicy"]


def table_requests(inside: bool) -> list[Request]:
    context = {"aws:SourceVpce": endpoint()} if inside else {}
    return [
        Request(f"dynamodb:{action}", TABLE, principal=OPERATOR, context=context)
        for action in MIGRATION
    ]


def test_the_migration_runs_inside_the_vpc_as_the_operator():
    via = {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}
    for request in table_requests(inside=True):
        assert allowed(operator_policy(), request), request.action
        assert not denied(table_policy(), request), request.action
    assert allowed(data_key_policy(), Request("kms:Decrypt", "*", principal=OPERATOR, context=via))


def test_from_a_workstation_the_table_refuses_it():
    """The defect of issue 19.10: the runbook had an operator run the migration and the
    archive's check from a checkout, whose requests do not come through the VPC's endpoint."""
    for principal in (OPERATOR, f"arn:aws:iam::{ACCOUNT}:role/Admin"):
        for outside in table_requests(inside=False):
            request = Request(outside.action, outside.resource, principal=principal)
            assert denied(table_policy(), request), request.action
    # Nor does the data key let anyone else decrypt the table.
    via = {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}
    admin = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    assert not allowed(data_key_policy(), Request("kms:Decrypt", "*", principal=admin, context=via))


def iam_request(service: str, operation: str, params: dict[str, Any]) -> Request:
    if service == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        action = {
            "ListObjectVersions": ("s3:ListBucketVersions", bucket),
            "ListObjectsV2": ("s3:ListBucket", bucket),
            "GetObject": (
                "s3:GetObjectVersion" if "VersionId" in params else "s3:GetObject",
                f"{bucket}/{params.get('Key', '')}",
            ),
        }[operation]
        return Request(*action, principal=OPERATOR)
    return Request(
        f"dynamodb:{operation}",
        TABLE,
        principal=OPERATOR,
        context={"aws:SourceVpce": endpoint()},
    )


def test_every_call_of_the_archives_check_is_the_operators_to_make(aws):
    """The check (lambdas/audit_archive/audit_chain.py) against an archive the archive
    function's own code wrote, its calls recorded and held to the role and the table."""
    s3, dynamodb = aws.client("s3"), aws.client("dynamodb")
    s3.create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    dynamodb.create_table(
        TableName="teamtasks-prod-tasks",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
    )
    sys.path.insert(0, str(support.ROOT / "lambdas" / "audit_archive"))
    try:
        import audit_archive  # noqa: PLC0415 -- the function's folder, as Lambda loads it
        import audit_chain  # noqa: PLC0415
    finally:
        sys.path.pop(0)
    archiver = audit_archive.from_environment(
        {"TABLE_NAME": "teamtasks-prod-tasks", "ARCHIVE_BUCKET": BUCKET, "AWS_REGION": REGION},
        aws,
    )
    event = {"id": "E1", "workspace_id": "W1", "at": datetime.now(UTC).isoformat()}
    archiver.append("W1", [event])
    calls: list[Request] = []
    operator = boto3.session.Session(region_name=REGION)
    operator.events.register(
        "provide-client-params.*.*",
        lambda model, params, **_: calls.append(
            iam_request(model.service_model.service_name, model.name, params)
        ),
    )
    report = audit_chain.verify(operator.client("s3"), BUCKET)
    heads, _events = audit_chain.table_state(
        operator.client("dynamodb"), "teamtasks-prod-tasks", report.workspaces
    )
    assert heads and not report.problems
    assert {c.action for c in calls} >= {"s3:ListBucketVersions", "dynamodb:GetItem"}
    refused = [c for c in calls if not allowed(operator_policy(), c)]
    assert refused == []
    assert not [c for c in calls if c.action.startswith("dynamodb") and denied(table_policy(), c)]


# -- ops/operator_task.py ----------------------------------------------------------------------


def test_the_task_runs_the_command_as_the_operator_in_the_private_subnets(aws):
    ecs, ssm, ec2 = aws.client("ecs"), aws.client("ssm"), aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{16 + 4 * i}.0/22")["Subnet"]["SubnetId"]
        for i in range(2)
    ]
    group = ec2.create_security_group(GroupName="env", Description="tasks", VpcId=vpc)["GroupId"]
    cluster = ecs.create_cluster(clusterName="teamtasks-prod-Cluster-1")["cluster"]["clusterArn"]
    definition = ecs.register_task_definition(
        family="teamtasks-prod-api",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
        containerDefinitions=[{"name": "api", "image": "api:1", "cpu": 1024, "memory": 2048}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=cluster, serviceName="teamtasks-prod-api-Service-1", taskDefinition=definition
    )
    ssm.put_parameter(
        Name="/teamtasks/prod/network/private-subnets", Value=",".join(subnets), Type="String"
    )
    aws.client("cloudformation").create_stack(
        StackName="teamtasks-prod",
        TemplateBody=json.dumps(
            {
                "Resources": {
                    "Marker": {
                        "Type": "AWS::SSM::Parameter",
                        "Properties": {"Name": "/marker", "Type": "String", "Value": "x"},
                    }
                },
                "Outputs": {
                    "ClusterId": {"Value": cluster, "Export": {"Name": "teamtasks-prod-ClusterId"}},
                    "Group": {
                        "Value": group,
                        "Export": {"Name": "teamtasks-prod-EnvironmentSecurityGroup"},
                    },
                },
            }
        ),
    )
    where = operator_task.placement(aws, "prod")
    assert where == operator_task.Placement(
        cluster=cluster,
        task_definition=definition,
        subnets=subnets,
        security_group=group,
        role_arn=OPERATOR,
    )
    # moto 5.2.5 cannot run a Fargate task in an awsvpc network (its network interface lacks
    # private_dns_name), so the request is checked as ECS would receive it.
    command = ["python", "-m", "migrations.m001_due_order_and_labels", "--table", "t"]
    request = operator_task.run_task_request(where, command)
    assert request["taskDefinition"] == definition
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": subnets,
        "securityGroups": [group],
        "assignPublicIp": "DISABLED",
    }
    assert request["overrides"] == {
        "taskRoleArn": OPERATOR,
        "containerOverrides": [{"name": "api", "command": command}],
    }


def test_the_image_holds_what_the_operators_tasks_run():
    dockerfile = (support.ROOT / "Dockerfile").read_text()
    assert "COPY migrations ./migrations" in dockerfile
    assert "COPY lambdas/audit_archive/audit_chain.py ./lambdas/audit_archive/" in dockerfile
