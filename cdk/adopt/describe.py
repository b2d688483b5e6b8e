"""A resource described as Copilot's stack declared it, at the values that stack was deployed
with: what an IMPORT change set must say about it. CloudFormation does not compare an imported
resource's template with the resource, but it keeps that template as the stack's, and the first
deployment's rollback returns the resource to it: so the description is the one the resource
was made from, not the CDK app's.

A reference to a resource the same import brings stays a reference (renamed to its logical id
in the CDK stack), so that CloudFormation reads it at the import; any other reference becomes
the value it has: a parameter's value, a resource's physical id, an attribute the stack outputs
or one the physical id determines (ATTRIBUTES), an export's value. Conditions are evaluated.
What cannot be known this way is refused (Undescribable), never guessed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from cdk.adopt.copilot import NESTED, Deployment, Resource, Stack
from devstack.intrinsics import NO_VALUE, SUB_VARIABLE, Resolver


class Undescribable(Exception):
    """A value of the resource cannot be known from Copilot's stacks."""


@dataclass(frozen=True)
class Symbol:
    """A part of a value CloudFormation resolves at the import (a reference kept)."""

    expression: Any


@dataclass(frozen=True)
class Where:
    """What an attribute derivation may use: the resource, its resolved properties, the place."""

    resource: Resource
    properties: Mapping[str, Any]
    region: str
    account: str
    partition: str


def _arn(service: str, resource: str, *, regional: bool = True, account: bool = True):
    def derive(w: Where) -> str:
        return (
            f"arn:{w.partition}:{service}:{w.region if regional else ''}:"
            f"{w.account if account else ''}:{resource.format(id=w.resource.physical_id)}"
        )

    return derive


def _role_arn(w: Where) -> str:
    path = w.properties.get("Path") or "/"
    return f"arn:{w.partition}:iam::{w.account}:role{path}{w.resource.physical_id}"


def _unique_values(w: Where) -> list[str]:
    """Copilot's UniqueJSONValuesFunction: the distinct values, in order, of the JSON object of
    lists in `Aliases` under the keys `FilterFor` names (cf-custom-resources/lib/
    unique-json-values.js at v1.33.2)."""
    aliases = json.loads(w.properties.get("Aliases") or "{}")
    keys = [k for k in str(w.properties.get("FilterFor") or "").split(",") if k]
    found: list[str] = []
    for key in keys or list(aliases):
        for value in aliases.get(key) or []:
            if value not in found:
                found.append(value)
    return found


# Attributes a resource's physical id (or its own properties) determines, where the stack does
# not output them: AWS's documented ARN formats and Ref values.
ATTRIBUTES: dict[tuple[str, str], Callable[[Where], Any]] = {
    ("AWS::S3::Bucket", "Arn"): _arn("s3", "{id}", regional=False, account=False),
    ("AWS::S3::Bucket", "DomainName"): lambda w: f"{w.resource.physical_id}.s3.amazonaws.com",
    ("AWS::S3::Bucket", "RegionalDomainName"): (
        lambda w: f"{w.resource.physical_id}.s3.{w.region}.amazonaws.com"
    ),
    ("AWS::IAM::Role", "Arn"): _role_arn,
    ("AWS::Logs::LogGroup", "Arn"): _arn("logs", "log-group:{id}:*"),
    ("AWS::DynamoDB::GlobalTable", "Arn"): _arn("dynamodb", "table/{id}"),
    ("AWS::DynamoDB::Table", "Arn"): _arn("dynamodb", "table/{id}"),
    ("AWS::Lambda::Function", "Arn"): _arn("lambda", "function:{id}"),
    ("AWS::KMS::Key", "Arn"): _arn("kms", "key/{id}"),
    ("AWS::SQS::Queue", "Arn"): lambda w: (
        f"arn:{w.partition}:sqs:{w.region}:{w.account}:{w.resource.physical_id.rsplit('/', 1)[1]}"
    ),
    ("AWS::SQS::Queue", "QueueName"): lambda w: w.resource.physical_id.rsplit("/", 1)[1],
    ("AWS::SNS::Topic", "TopicArn"): lambda w: w.resource.physical_id,
    ("AWS::SecretsManager::Secret", "Id"): lambda w: w.resource.physical_id,
    ("AWS::Cognito::UserPool", "Arn"): _arn("cognito-idp", "userpool/{id}"),
    ("AWS::Backup::BackupVault", "BackupVaultArn"): _arn("backup", "backup-vault:{id}"),
    ("AWS::Backup::BackupVault", "BackupVaultName"): lambda w: w.resource.physical_id,
    ("AWS::WAFv2::WebACL", "Arn"): lambda w: (
        f"arn:{w.partition}:wafv2:{w.region}:{w.account}:regional/webacl/"
        + "/".join(w.resource.physical_id.split("|")[:2])
    ),
    ("AWS::EC2::SecurityGroup", "GroupId"): lambda w: w.resource.physical_id,
    ("AWS::ECS::Cluster", "Arn"): _arn("ecs", "cluster/{id}"),
    ("AWS::ECS::Service", "Name"): lambda w: w.resource.physical_id.rsplit("/", 1)[1],
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName"): (
        lambda w: w.resource.physical_id.split(":loadbalancer/", 1)[1]
    ),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "TargetGroupFullName"): (
        lambda w: w.resource.physical_id.rsplit(":", 1)[1]
    ),
    ("AWS::CloudFront::Function", "FunctionMetadata.FunctionARN"): (
        lambda w: w.resource.physical_id
    ),
    ("AWS::CloudFront::Function", "FunctionARN"): lambda w: w.resource.physical_id,
    ("AWS::CloudFront::OriginAccessControl", "Id"): lambda w: w.resource.physical_id,
    ("AWS::CloudFront::ResponseHeadersPolicy", "Id"): lambda w: w.resource.physical_id,
    ("AWS::CloudFront::Distribution", "Id"): lambda w: w.resource.physical_id,
    ("Custom::UniqueJSONValuesFunction", "UniqueValues"): _unique_values,
}


class Describer(Resolver):
    """Describes resources of one Copilot stack for one import. `target(role, logical_id)` is the
    resource's logical id in the import's template when the import brings it, else None.

    CloudFormation's functions evaluate as the Resolver's, but that a reference the import keeps
    is a Symbol, which the functions carry along (the import's template says them), and that
    what cannot be known raises Undescribable."""

    FUNCTIONS: ClassVar[dict[str, str]] = {**Resolver.FUNCTIONS, "Fn::ToJsonString": "_to_json"}

    def __init__(
        self,
        deployment: Deployment,
        role: str,
        target: Callable[[str, str], str | None],
    ):
        self._deployment = deployment
        self._stack: Stack = deployment.stack(role)
        self._target = target
        template = self._stack.template
        pseudo = {
            "AWS::Region": deployment.region,
            "AWS::AccountId": deployment.account,
            "AWS::Partition": deployment.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self._stack.name.split("/")[1]
            if self._stack.name.startswith("arn:")
            else self._stack.name,
            "AWS::StackId": self._stack.name,
        }
        defaults = {
            name: spec.get("Default")
            for name, spec in (template.get("Parameters") or {}).items()
            if "Default" in spec
        }
        super().__init__(
            template,
            parameters={**defaults, **self._stack.parameters},
            pseudo=pseudo,
            resources={},
            exports=deployment.exports,
        )

    # -- the public face ---------------------------------------------------------------------

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties, as the import's template gives them."""
        resource = self._stack.template["Resources"][logical_id]
        value = self._evaluate(resource.get("Properties") or {})
        return _expressions(value)

    def literal_properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties where they are values (references kept are left out)."""
        resource = self._stack.template["Resources"][logical_id]
        properties = {}
        for name, value in (resource.get("Properties") or {}).items():
            try:
                evaluated = self._evaluate(value)
            except Undescribable:
                continue
            if evaluated is not NO_VALUE and not _has_symbol(evaluated):
                properties[name] = evaluated
        return properties

    def attribute(self, logical_id: str, attribute: str) -> Any:
        return _expressions(self._get_att([logical_id, attribute]))

    def value(self, value: Any) -> Any:
        """Any value of the stack's template (an output's, an export's name), as the import's
        template would give it."""
        return _expressions(self._evaluate(value))

    # -- evaluation ----------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            definition = (self._stack.template.get("Conditions") or {}).get(name)
            if definition is None:
                raise Undescribable(f"{self._stack.role}: no condition {name}")
            result = self._evaluate(definition)
            if isinstance(result, Symbol) or _has_symbol(result):
                raise Undescribable(f"{self._stack.role}: condition {name} is not a value")
            self._conditions[name] = bool(result)
        return self._conditions[name]

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._names:
            return self._names[name]
        resource = self._resource(name)
        target = self._target(self._stack.role, name)
        if target:
            return Symbol({"Ref": target})
        return resource.physical_id

    def _get_att(self, argument: Any) -> Any:
        logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
        attribute = self._evaluate(attribute)
        if logical_id == NESTED and attribute.startswith("Outputs."):
            return self._nested_output(attribute.removeprefix("Outputs."))
        resource = self._resource(logical_id)
        target = self._target(self._stack.role, logical_id)
        if target:
            return Symbol({"Fn::GetAtt": [target, attribute]})
        for output, definition in (self._stack.template.get("Outputs") or {}).items():
            value = definition.get("Value")
            if _is_attribute(value, logical_id, attribute) and output in self._stack.outputs:
                return self._stack.outputs[output]
        derive = ATTRIBUTES.get((resource.type, attribute))
        if derive is None:
            raise Undescribable(
                f"{self._stack.role}: {logical_id}.{attribute} ({resource.type}) is neither an "
                "output of the stack nor derived from the physical id (describe.ATTRIBUTES)"
            )
        properties = self._stack.template["Resources"][logical_id].get("Properties") or {}
        where = Where(
            resource,
            {k: v for k, v in self._evaluate(properties).items() if not _has_symbol(v)},
            self._deployment.region,
            self._deployment.account,
            self._deployment.partition,
        )
        return derive(where)

    def _nested_output(self, name: str) -> Any:
        nested = self._deployment.nested_in(self._stack.role)
        if nested is None:
            raise Undescribable(f"{self._stack.role}: no nested addons stack for {name}")
        definition = self._deployment.stack(nested).template["Outputs"][name]["Value"]
        return Describer(self._deployment, nested, self._target)._evaluate(definition)

    def _resource(self, logical_id: str) -> Resource:
        resource = self._stack.resources.get(logical_id)
        if resource is None:
            raise Undescribable(f"{self._stack.role}: {logical_id} does not exist")
        return resource

    def _sub(self, argument: Any) -> Any:
        if isinstance(argument, list):
            text, variables = argument[0], {k: self._evaluate(v) for k, v in argument[1].items()}
        else:
            text, variables = argument, {}
        kept: dict[str, Any] = {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                value = variables[name]
            elif "." in name:
                value = self._get_att(name.split(".", 1))
            else:
                value = self._ref(name)
            if isinstance(value, Symbol) or _has_symbol(value):
                variable = f"V{len(kept)}"
                kept[variable] = _expressions(value)
                return "${" + variable + "}"
            return str(value)

        result = SUB_VARIABLE.sub(replace, text)
        if kept:
            return Symbol({"Fn::Sub": [result, kept]})
        return result.replace("${!", "${")

    def _join(self, argument: list[Any]) -> Any:
        delimiter, parts = argument[0], self._evaluate(argument[1])
        if isinstance(parts, Symbol) or _has_symbol(parts):
            return Symbol({"Fn::Join": [delimiter, _expressions(parts)]})
        return str(delimiter).join(str(p) for p in parts)

    def _select(self, argument: list[Any]) -> Any:
        index, items = self._evaluate(argument[0]), self._evaluate(argument[1])
        if isinstance(items, Symbol) or _has_symbol(items):
            return Symbol({"Fn::Select": [index, _expressions(items)]})
        if not isinstance(items, list) or not 0 <= int(index) < len(items):
            raise Undescribable(f"{self._stack.role}: Fn::Select {index} of {items!r}")
        return items[int(index)]

    def _split(self, argument: list[Any]) -> Any:
        value = self._evaluate(argument[1])
        if isinstance(value, Symbol):
            return Symbol({"Fn::Split": [argument[0], value.expression]})
        return str(value).split(argument[0])

    def _import(self, argument: Any) -> Any:
        name = self._evaluate(argument)
        if name not in self._deployment.exports:
            raise Undescribable(f"{self._stack.role}: no export {name}")
        return self._deployment.exports[name]

    def _find_in_map(self, argument: list[Any]) -> Any:
        name, first, second = (self._evaluate(a) for a in argument[:3])
        try:
            return self._stack.template["Mappings"][name][first][second]
        except KeyError:
            raise Undescribable(
                f"{self._stack.role}: Fn::FindInMap {name}.{first}.{second}"
            ) from None

    def _azs(self, argument: Any) -> Any:
        # The zones of the region are not in the stacks; a property that needs them keeps the
        # function, which CloudFormation evaluates at the import.
        return Symbol({"Fn::GetAZs": self._evaluate(argument)})

    def _to_json(self, argument: Any) -> Any:
        value = self._evaluate(argument)
        if _has_symbol(value):
            return Symbol({"Fn::ToJsonString": _expressions(value)})
        return json.dumps(value, separators=(",", ":"))


def _is_attribute(value: Any, logical_id: str, attribute: str) -> bool:
    if not isinstance(value, dict) or set(value) != {"Fn::GetAtt"}:
        return False
    target = value["Fn::GetAtt"]
    parts = target.split(".", 1) if isinstance(target, str) else target
    return list(parts) == [logical_id, attribute]


def _has_symbol(value: Any) -> bool:
    if isinstance(value, Symbol):
        return True
    if isinstance(value, dict):
        return any(_has_symbol(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_symbol(v) for v in value)
    return False


def _expressions(value: Any) -> Any:
    """The value with each kept reference written as the intrinsic it is."""
    if isinstance(value, Symbol):
        return value.expression
    if isinstance(value, dict):
        return {k: _expressions(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expressions(v) for v in value]
    return value


def references(value: Any) -> set[str]:
    """The logical ids a template value refers to (Ref, GetAtt, and a Sub's own names)."""
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    if set(value) == {"Ref"} and isinstance(value["Ref"], str):
        return set() if value["Ref"].startswith("AWS::") else {value["Ref"]}
    if set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        return {target.split(".")[0] if isinstance(target, str) else target[0]}
    if set(value) == {"Fn::Sub"}:
        body = value["Fn::Sub"]
        text, variables = (body, {}) if isinstance(body, str) else body
        names = {
            m.split(".")[0]
            for m in SUB_VARIABLE.findall(text)
            if not m.startswith("AWS::") and m.split(".")[0] not in variables
        }
        return names | references(variables)
    return set().union(*(references(v) for v in value.values())) if value else set()
