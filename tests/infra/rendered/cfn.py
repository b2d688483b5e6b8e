"""CloudFormation intrinsics in their long (JSON) form, to write the model's templates."""

from __future__ import annotations

from typing import Any

NO_VALUE = {"Ref": "AWS::NoValue"}


def ref(name: str) -> dict[str, Any]:
    return {"Ref": name}


def sub(text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Fn::Sub": [text, variables] if variables else text}


def getatt(logical_id: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def import_value(name: Any) -> dict[str, Any]:
    return {"Fn::ImportValue": sub(name) if isinstance(name, str) else name}


def if_(condition: str, when_true: Any, when_false: Any) -> dict[str, Any]:
    return {"Fn::If": [condition, when_true, when_false]}


def join(separator: str, values: list[Any]) -> dict[str, Any]:
    return {"Fn::Join": [separator, values]}


def equals(a: Any, b: Any) -> dict[str, Any]:
    return {"Fn::Equals": [a, b]}


def not_(condition: Any) -> dict[str, Any]:
    return {"Fn::Not": [condition]}


def and_(*conditions: Any) -> dict[str, Any]:
    return {"Fn::And": list(conditions)}


def condition(name: str) -> dict[str, Any]:
    return {"Condition": name}


def export(suffix: str) -> dict[str, Any]:
    """An output's export as Copilot names its own: <stack name>-<suffix>."""
    return {"Name": sub(f"${{AWS::StackName}}-{suffix}")}


def service_role(service: str, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """An IAM role that an AWS service assumes, with the rest of its properties."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": trust, **(properties or {})},
    }


def lambda_role(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The role Copilot gives its custom-resource functions (AWSLambdaBasicExecutionRole)."""
    basic = "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    return service_role(
        "lambda.amazonaws.com", {"Path": "/", "ManagedPolicyArns": [sub(basic)], **(extra or {})}
    )


def custom_resource_function(role: str, handler: str = "index.handler") -> dict[str, Any]:
    """One of Copilot's Node.js custom-resource functions; its code is in Copilot's bucket."""
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {
                "S3Bucket": "stackset-teamtasks-infrastru-pipelinebuiltartifactbuc",
                "S3Key": "manual/scripts/custom-resources/function.zip",
            },
            "Handler": handler,
            "Timeout": 600,
            "MemorySize": 512,
            "Role": getatt(role, "Arn"),
            "Runtime": "nodejs20.x",
        },
    }
