"""Every named resource against AWS's name limits, at one environment's concrete values.

cfn-lint checks a name's length and characters only where the template writes the name out;
ours are built with !Sub from the application, the environment, the account and the region, so
the same template deploys in dev and is refused in prod-eu-central-1. Here each resource that
exists at the given values is resolved, and each string of its properties (nested ones too) is
held to the constraints of the resource's schema (cfn-lint ships AWS's CloudFormation resource
schemas: maxLength, minLength, and the pattern of a name) and to the limits AWS documents that
the schemas leave out (EXTRA_LIMITS, S3's bucket rules). The resources are enumerated from the
template, not from a list: a new addon's names are checked as soon as it exists."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from devstack.intrinsics import Unresolvable
from tests.infra.aws_rules.concrete import Concrete, is_concrete, resolver


@dataclass(frozen=True)
class Limit:
    max_length: int
    pattern: str
    source: str
    min_length: int = 1


# Limits AWS documents for names the resource schemas leave unconstrained (or constrain less).
EXTRA_LIMITS: dict[tuple[str, str], Limit] = {
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "Name"): Limit(
        32,
        r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$",
        "Elastic Load Balancing: target group names",
    ),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name"): Limit(
        32,
        r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$",
        "Elastic Load Balancing: load balancer names",
    ),
    ("AWS::SQS::Queue", "QueueName"): Limit(80, r"^[A-Za-z0-9_-]+(\.fifo)?$", "SQS: queue names"),
    ("AWS::CodeBuild::Project", "Name"): Limit(
        255, r"^[A-Za-z0-9][A-Za-z0-9_-]*$", "CodeBuild: project names", min_length=2
    ),
    ("AWS::ECS::Cluster", "ClusterName"): Limit(255, r"^[A-Za-z0-9_-]+$", "ECS: cluster names"),
    ("AWS::ECS::Service", "ServiceName"): Limit(255, r"^[A-Za-z0-9_-]+$", "ECS: service names"),
    ("AWS::DynamoDB::Table", "TableName"): Limit(
        255, r"^[A-Za-z0-9_.-]+$", "DynamoDB: table names", min_length=3
    ),
    ("AWS::DynamoDB::GlobalTable", "TableName"): Limit(
        255, r"^[A-Za-z0-9_.-]+$", "DynamoDB: table names", min_length=3
    ),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"): Limit(
        128, r"^[\w+=,.@-]+$", "IAM: policy names"
    ),
    ("AWS::Backup::BackupPlan", "BackupPlanName"): Limit(
        50, r"^[A-Za-z0-9_.-]+$", "AWS Backup: plan names"
    ),
    ("AWS::Backup::BackupPlan", "RuleName"): Limit(
        50, r"^[A-Za-z0-9_.-]+$", "AWS Backup: rule names"
    ),
    ("AWS::Backup::BackupSelection", "SelectionName"): Limit(
        50, r"^[A-Za-z0-9_.-]+$", "AWS Backup: selection names"
    ),
    ("AWS::Backup::BackupVault", "BackupVaultName"): Limit(
        50, r"^[A-Za-z0-9_.-]+$", "AWS Backup: vault names", min_length=2
    ),
    ("AWS::SES::ConfigurationSet", "Name"): Limit(
        64, r"^[A-Za-z0-9_-]+$", "SES: configuration set names"
    ),
    ("AWS::Scheduler::Schedule", "Name"): Limit(
        64, r"^[0-9a-zA-Z-_.]+$", "EventBridge Scheduler: schedule names"
    ),
    ("AWS::CloudFormation::Stack", "StackName"): Limit(
        128, r"^[A-Za-z][A-Za-z0-9-]*$", "CloudFormation: stack names"
    ),
}
# Properties whose value is a name (their schema's pattern applies); every other string is held
# to its schema's lengths only (a description, an ARN, a policy).
_NAME_KEY = re.compile(r"(Name|Prefix)$")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")


def name_problems(template: Mapping[str, Any], values: Concrete, where: str = "") -> list[str]:
    """Every string property of every resource that exists at `values`, against its limits."""
    resolve = resolver(template, values)
    problems: list[str] = []
    label = f"{where or values.stack_name or values.env} ({values.env}, {values.region})"
    for logical_id, resource in (template.get("Resources") or {}).items():
        condition = resource.get("Condition")
        try:
            if condition and not resolve.condition(condition):
                continue
        except Unresolvable as error:
            problems.append(f"{label} {logical_id}: its condition cannot be resolved ({error})")
            continue
        properties = {}
        for key, value in (resource.get("Properties") or {}).items():
            try:
                properties[key] = resolve.resolve(value)
            except (Unresolvable, IndexError, KeyError, TypeError, ValueError) as error:
                # A value computed from what is unknown before deployment (a Select on another
                # resource's id): not a name, unless it is one, which must be checkable.
                if _NAME_KEY.search(key):
                    problems.append(f"{label} {logical_id}.{key}: cannot be resolved ({error})")
        schema = _schema(resource["Type"])
        for path, key, written, constraints in _strings(properties, schema, schema):
            text = values.with_settings(written)
            if not is_concrete(text):
                continue
            for problem in _violations(resource["Type"], key, text, constraints):
                problems.append(f"{label} {logical_id}.{path}: {text!r} {problem}")
    return problems


def bucket_name_problems(name: str) -> list[str]:
    """S3's rules for general purpose bucket names beyond length and characters."""
    problems = []
    if ".." in name:
        problems.append("has two adjacent periods")
    if name.startswith(_BUCKET_PREFIXES) or name.endswith(_BUCKET_SUFFIXES):
        problems.append("uses a prefix or suffix S3 reserves")
    try:
        ipaddress.ip_address(name)
        problems.append("is formatted as an IP address")
    except ValueError:
        pass
    return problems


@cache
def _schema(resource_type: str) -> dict[str, Any]:
    if (
        resource_type.startswith("Custom::")
        or resource_type == "AWS::CloudFormation::CustomResource"
    ):
        return {}
    return PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema


def _strings(
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str = "", key: str = ""
) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    """(path, property name, value, its schema) for every string under `value`."""
    schema = _dereferenced(schema, root)
    if isinstance(value, str):
        yield path, key, value, schema
    elif isinstance(value, list):
        items = schema.get("items") or {}
        for index, item in enumerate(value):
            yield from _strings(item, items, root, f"{path}[{index}]", key)
    elif isinstance(value, dict):
        properties = schema.get("properties") or {}
        for name, item in value.items():
            where = f"{path}.{name}" if path else name
            yield from _strings(item, properties.get(name) or {}, root, where, name)


def _dereferenced(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        reference = schema["$ref"]
        if not reference.startswith("#/definitions/"):
            return {}
        schema = {
            **(root.get("definitions") or {}).get(reference.removeprefix("#/definitions/"), {}),
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
    return schema


def _violations(
    resource_type: str, key: str, text: str, constraints: Mapping[str, Any]
) -> list[str]:
    found = []
    extra = EXTRA_LIMITS.get((resource_type, key))
    maximum = min(
        [m for m in (constraints.get("maxLength"), extra and extra.max_length) if m] or [0]
    )
    minimum = max(constraints.get("minLength") or 0, extra.min_length if extra else 0)
    if maximum and len(text) > maximum:
        found.append(f"is {len(text)} characters, over the limit of {maximum}")
    if len(text) < minimum:
        found.append(f"is {len(text)} characters, under the minimum of {minimum}")
    if _NAME_KEY.search(key):
        for pattern in (constraints.get("pattern"), extra and extra.pattern):
            if pattern and not _matches(pattern, text):
                found.append(f"does not match {pattern}")
    if resource_type == "AWS::S3::Bucket" and key == "BucketName":
        found.extend(bucket_name_problems(text))
    return found


def _matches(pattern: str, text: str) -> bool:
    try:
        compiled = re.compile(pattern)
    except re.error:
        return True  # a pattern in a dialect Python's re does not read: its lengths still apply
    return compiled.search(text) is not None
