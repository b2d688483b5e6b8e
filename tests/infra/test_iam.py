"""Least privilege, read from the templates and from the code that uses the permissions."""

from __future__ import annotations

import re
from typing import Any

from tests.infra import support
from tests.infra.rendered import analysis, render

ENV = support.merged(support.ENVIRONMENT_ADDONS)
SVC = support.merged(support.SERVICE_ADDONS)
# Actions IAM cannot scope to a resource: only these may have Resource "*".
NO_RESOURCE_LEVEL = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "cloudformation:ListExports",
    "cloudfront:ListDistributions",
    "elasticloadbalancing:DescribeRules",
    "backup:DescribeRestoreJob",
    # What a function in a VPC needs to manage its network interfaces, and what Lambda checks a
    # stream's mapping for (stream*.yml).
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "dynamodb:ListStreams",
}
# Every optional part present: the load balancer, the distribution, Copilot's manager role.
DEPLOYED = {
    "CloudFrontDistributionId": "E2EXAMPLE",
    "PublicLoadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:"
    "loadbalancer/app/x/1",
    "EnvironmentManagerRoleName": "teamtasks-prod-EnvManagerRole",
    "HTTPSListenerArn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/x/1/2",
    "CloudFrontWebAclArn": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/x/1",
}
# DynamoDB operations -> the IAM actions they need (TransactWriteItems is authorised item by
# item).
DYNAMODB_CALLS = {
    "GetItem": {"dynamodb:GetItem"},
    "BatchGetItem": {"dynamodb:BatchGetItem"},
    "Query": {"dynamodb:Query"},
    "DeleteItem": {"dynamodb:DeleteItem"},
    "PutItem": {"dynamodb:PutItem"},
    "UpdateItem": {"dynamodb:UpdateItem"},
    "Scan": {"dynamodb:Scan"},
    "TransactWriteItems": {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    },
}


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def identity_policies() -> dict[str, dict[str, Any]]:
    """Every identity policy of the addons, its intrinsics evaluated in prod with every optional
    part present."""
    found = {}
    for template in (ENV, SVC):
        resolver = support.resolver(template, "prod", **DEPLOYED)
        for logical_id, resource in template["Resources"].items():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::ManagedPolicy":
                found[logical_id] = resolver.resolve(properties["PolicyDocument"])
            for policy in (
                properties.get("Policies", []) if resource["Type"] == "AWS::IAM::Role" else []
            ):
                name = f"{logical_id}.{policy['PolicyName']}"
                found[name] = resolver.resolve(policy["PolicyDocument"])
    return found


def test_there_are_identity_policies_to_check():
    assert {"TaskPolicy", "CursorRotationPolicy"} <= set(identity_policies())


def test_no_wildcard_action_and_no_wildcard_resource_where_an_arn_is_known():
    for name, document in identity_policies().items():
        for statement in document["Statement"]:
            actions = listed(statement["Action"])
            for action in actions:
                assert "*" not in action, f"{name}: {action}"
            if "*" in listed(statement["Resource"]):
                assert set(actions) <= NO_RESOURCE_LEVEL, f"{name}: {actions} on *"
            assert "NotAction" not in statement and "NotResource" not in statement


def test_no_role_gets_aws_managed_policies():
    for template in (ENV, SVC):
        for resource in support.resources_of(template, "AWS::IAM::Role").values():
            assert "ManagedPolicyArns" not in resource["Properties"]


def dynamodb_actions_the_code_needs() -> set[str]:
    """The DynamoDB operations app/storage (the only module that talks to DynamoDB) calls, by
    their names (`client.call("GetItem", ...)`, `self._call("Query", ...)`)."""
    calls = set()
    for path in (support.ROOT / "app" / "storage").rglob("*.py"):
        text = path.read_text()
        calls |= set(re.findall(r"[\"'](\w+)[\"']", text)) & set(DYNAMODB_CALLS)
    assert calls, "no DynamoDB call found in app/storage"
    return set().union(*(DYNAMODB_CALLS[c] for c in calls))


def cognito_actions_the_code_needs() -> set[str]:
    """The Cognito user pool operations the service calls (app/aws/directory.py and anything
    else under app/ that calls `.cognito.<operation>(`), as IAM actions."""
    calls = set()
    for path in (support.ROOT / "app").rglob("*.py"):
        calls |= set(re.findall(r"\.cognito\.(\w+)\(", path.read_text()))
    assert calls, "no Cognito call found in app/"
    return {"cognito-idp:" + "".join(w.capitalize() for w in c.split("_")) for c in calls}


def statement(sid: str) -> dict[str, Any]:
    (found,) = [
        s
        for s in SVC["Resources"]["TaskPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if s["Sid"] == sid
    ]
    return found


def test_the_task_gets_exactly_the_dynamodb_actions_the_code_calls():
    granted = set()
    for s in SVC["Resources"]["TaskPolicy"]["Properties"]["PolicyDocument"]["Statement"]:
        granted |= {a for a in listed(s["Action"]) if a.startswith("dynamodb:")}
    needed = dynamodb_actions_the_code_needs()
    assert "dynamodb:Scan" not in needed
    assert granted == needed
    assert listed(statement("TasksTableIndexes")["Action"]) == ["dynamodb:Query"]
    table_arn = {"Fn::ImportValue": {"Fn::Sub": "${App}-${Env}-TasksTableArn"}}
    assert statement("TasksTableItems")["Resource"] == [table_arn]
    (index,) = statement("TasksTableIndexes")["Resource"]
    assert index["Fn::Sub"][0] == "${TableArn}/index/*"


def test_the_task_reads_one_secret_and_decrypts_through_the_services_only():
    secret = statement("CursorSigningKey")
    assert secret["Action"] == ["secretsmanager:GetSecretValue"]
    assert secret["Resource"] == [{"Fn::ImportValue": {"Fn::Sub": "${App}-${Env}-CursorSecretArn"}}]
    kms = statement("DecryptThroughTheServicesOnly")
    assert kms["Action"] == ["kms:Decrypt"]
    services = kms["Condition"]["StringEquals"]["kms:ViaService"]
    assert {s["Fn::Sub"].split(".")[0] for s in services} == {"dynamodb", "secretsmanager"}
    users = statement("UserDirectory")
    assert users["Action"] == sorted(cognito_actions_the_code_needs())
    assert users["Resource"] == [{"Fn::ImportValue": {"Fn::Sub": "${App}-${Env}-UserPoolArn"}}]


def test_the_rotation_function_touches_its_secret_only():
    document = ENV["Resources"]["CursorRotationPolicy"]["Properties"]["PolicyDocument"]
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["RotateTheCursorSecret"]["Resource"] == {"Ref": "CursorSigningSecret"}
    assert by_sid["EncryptThroughSecretsManagerOnly"]["Resource"] == {
        "Fn::GetAtt": ["DataKey", "Arn"]
    }
    role = ENV["Resources"]["CursorRotationRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }


def key_policy(logical_id: str, env: str = "prod") -> list[dict[str, Any]]:
    policy = ENV["Resources"][logical_id]["Properties"]["KeyPolicy"]
    return support.resolver(ENV, env, **DEPLOYED).resolve(policy)["Statement"]


def test_no_key_allows_anyone():
    for logical_id in support.resources_of(ENV, "AWS::KMS::Key"):
        for s in key_policy(logical_id):
            if s["Effect"] == "Allow":
                assert s["Principal"] not in ("*", {"AWS": "*"}), logical_id


def test_the_data_key_names_each_user_and_the_account_only_administers():
    statements = key_policy("DataKey")
    account = "arn:aws:iam::111122223333:root"
    admin = [s for s in statements if s["Principal"] == {"AWS": account} and "Condition" not in s]
    (admin,) = admin
    assert not any(
        a.startswith(("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt"))
        for a in admin["Action"]
    )
    assert "kms:*" not in admin["Action"]
    users = {}
    for s in statements:
        condition = s.get("Condition", {})
        assert "aws:PrincipalArn" not in condition.get("ArnLike", {}), "a name pattern is trusted"
        principals = (condition.get("ArnEquals") or {}).get("aws:PrincipalArn")
        for principal in [principals] if isinstance(principals, str) else principals or []:
            users[principal] = s
            assert "kms:ViaService" in condition["StringEquals"], principal
    role = "arn:aws:iam::111122223333:role/teamtasks-prod-"
    assert set(users) == {
        f"{role}CFNExecutionRole",
        f"{role}api-task",
        f"{role}cursor-rotation",
        f"{role}origin-rotation",
        f"{role}data-break-glass",
        f"{role}backup",
        f"{role}stream-purge",
        f"{role}audit-archive",
        f"{role}operator",
        f"{role}task-index",
        f"{role}notifier",
    }
    assert users[f"{role}api-task"]["Action"] == ["kms:Decrypt"]
    assert users[f"{role}operator"]["Action"] == ["kms:Decrypt"]
    assert users[f"{role}data-break-glass"]["Condition"]["StringEquals"]["kms:ViaService"] == (
        "dynamodb.eu-west-1.amazonaws.com"
    )


def test_the_task_role_the_key_trusts_is_the_one_copilot_creates():
    """The service's patch names Copilot's task role; the key's policy names that name."""
    deployment = render("prod")
    service = deployment.stack("service")
    name = analysis.resolver(service, deployment).resolve(
        service.template["Resources"]["TaskRole"]["Properties"]["RoleName"]
    )
    assert f"arn:aws:iam::111122223333:role/{name}" in {
        principal
        for s in key_policy("DataKey")
        for principal in [(s.get("Condition", {}).get("ArnEquals") or {}).get("aws:PrincipalArn")]
        if isinstance(principal, str)
    }


def test_break_glass_takes_mfa_and_reads_only_restored_copies():
    role = ENV["Resources"]["DataBreakGlassRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": True}}
    document = identity_policies()["DataBreakGlassPolicy"]
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["RestoreTheTable"]["Resource"].endswith(":table/teamtasks-prod-tasks")
    # It may read the source (to check a restore against it) but never write it.
    assert set(by_sid["RestoreTheTable"]["Action"]) == {
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:DescribeTable",
        "dynamodb:RestoreTableToPointInTime",
        "dynamodb:CreateBackup",
        "dynamodb:Scan",
        "dynamodb:GetItem",
    }
    for resource in by_sid["FillReadAndDeleteTheRestoredCopies"]["Resource"]:
        assert ":table/teamtasks-prod-tasks-restored-" in resource
    assert by_sid["PassTheBackupRoleToAwsBackup"]["Resource"].endswith(
        ":role/teamtasks-prod-backup"
    )


def test_the_rotation_role_names_are_the_ones_the_key_policy_names():
    for logical_id, name in (
        ("CursorRotationRole", "teamtasks-prod-cursor-rotation"),
        ("OriginRotationRole", "teamtasks-prod-origin-rotation"),
        ("DataBreakGlassRole", "teamtasks-prod-data-break-glass"),
        ("BackupRole", "teamtasks-prod-backup"),
    ):
        role = ENV["Resources"][logical_id]["Properties"]["RoleName"]
        assert support.resolver(ENV, "prod").resolve(role) == name
