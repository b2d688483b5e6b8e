"""Least privilege, read from the templates and from the code that uses the permissions."""

from __future__ import annotations

import re
from typing import Any

from tests.infra import support

ENV = support.merged(support.ENVIRONMENT_ADDONS)
SVC = support.merged(support.SERVICE_ADDONS)
# Actions IAM cannot scope to a resource: only these may have Resource "*".
NO_RESOURCE_LEVEL = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    # What a function in a VPC needs to manage its network interfaces (stream*.yml).
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
}
# boto3 calls -> the IAM actions they need (TransactWriteItems is authorised item by item).
DYNAMODB_CALLS = {
    "get_item": {"dynamodb:GetItem"},
    "batch_get_item": {"dynamodb:BatchGetItem"},
    "query": {"dynamodb:Query"},
    "delete_item": {"dynamodb:DeleteItem"},
    "put_item": {"dynamodb:PutItem"},
    "update_item": {"dynamodb:UpdateItem"},
    "scan": {"dynamodb:Scan"},
    "transact_write_items": {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    },
}


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def identity_policies() -> dict[str, dict[str, Any]]:
    found = {}
    for template in (ENV, SVC):
        for logical_id, resource in template["Resources"].items():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::ManagedPolicy":
                found[logical_id] = properties["PolicyDocument"]
            for policy in (
                properties.get("Policies", []) if resource["Type"] == "AWS::IAM::Role" else []
            ):
                found[f"{logical_id}.{policy['PolicyName']}"] = policy["PolicyDocument"]
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
    """The DynamoDB operations app/storage (the only module that talks to DynamoDB) calls,
    directly (client.query(...)) or by name (self._call("get_item", ...))."""
    calls = set()
    for path in (support.ROOT / "app" / "storage").rglob("*.py"):
        text = path.read_text()
        calls |= set(re.findall(r"\.(\w+)\(", text)) & set(DYNAMODB_CALLS)
        calls |= set(re.findall(r"[\"'](\w+)[\"']", text)) & set(DYNAMODB_CALLS)
    assert calls, "no DynamoDB call found in app/storage"
    return set().union(*(DYNAMODB_CALLS[c] for c in calls))


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
    assert users["Action"] == ["cognito-idp:ListUsers"]
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
    return support.resolver(ENV, env, CloudFrontDistributionId="E2EXAMPLE").resolve(policy)[
        "Statement"
    ]


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
        principal = (condition.get("ArnEquals") or condition.get("ArnLike") or {}).get(
            "aws:PrincipalArn"
        )
        if principal:
            users[principal] = s
            assert "kms:ViaService" in condition["StringEquals"], principal
    assert set(users) == {
        "arn:aws:iam::111122223333:role/teamtasks-prod-CFNExecutionRole",
        "arn:aws:iam::111122223333:role/teamtasks-prod-api-TaskRole-*",
        "arn:aws:iam::111122223333:role/teamtasks-prod-cursor-rotation",
        "arn:aws:iam::111122223333:role/teamtasks-prod-stream-purge",
        "arn:aws:iam::111122223333:role/teamtasks-prod-audit-archive",
    }
    task = users["arn:aws:iam::111122223333:role/teamtasks-prod-api-TaskRole-*"]
    assert task["Action"] == ["kms:Decrypt"]


def test_the_rotation_role_name_is_the_one_the_key_policy_names():
    role = ENV["Resources"]["CursorRotationRole"]["Properties"]["RoleName"]
    assert support.resolver(ENV, "prod").resolve(role) == "teamtasks-prod-cursor-rotation"
