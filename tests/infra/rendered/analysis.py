"""Checks on a rendered deployment that no linter makes: what crosses a stack boundary.

- nested stacks: every parameter passed exists in the child, every child parameter without a
  default is passed, every `Fn::GetAtt [Child, Outputs.X]` in the parent names an output the
  child declares (unconditionally);
- exports: every `Fn::ImportValue` of every stack, every `from_cfn` of the manifests and every
  export a script reads is declared by a stack that exists in the scenario, and no nested stack
  imports an export of its own parent (it cannot exist before the child does).

Each check returns a list of problems (strings); an empty list passes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from devstack.intrinsics import Resolver, Unresolvable
from tests.infra.rendered.model import Deployment, Stack


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, node) of a JSON-like value."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}/{index}")


class _Placeholders(dict):
    """Resources as the resolver sees them: Ref and every attribute give a readable token."""

    def __init__(self, template: dict[str, Any]):
        super().__init__()
        for logical_id in template.get("Resources") or {}:
            self[logical_id] = _Attributes(logical_id)


class _Attributes(dict):
    def __init__(self, logical_id: str):
        super().__init__(Ref=f"<{logical_id}>")
        self.logical_id = logical_id

    def __missing__(self, attribute: str) -> str:
        return f"<{self.logical_id}.{attribute}>"


class _AnyImport(dict):
    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return f"<import {key}>"


_SSM_REFERENCE = re.compile(r"\{\{resolve:ssm:([^}:]+)\}\}")


def with_settings(value: str, deployment: Deployment) -> str:
    """A value with its {{resolve:ssm:<name>}} references replaced by the settings, as
    CloudFormation resolves them when the stack deploys (a setting the deployment does not have
    stays a readable placeholder)."""
    return _SSM_REFERENCE.sub(
        lambda match: deployment.settings.get(match.group(1), f"<setting {match.group(1)}>"),
        value,
    )


def parameter_values(
    stack: Stack, deployment: Deployment, parents: Callable[[Stack], Resolver]
) -> dict[str, str]:
    """The values the stack is deployed with: its defaults, the values given, and for a nested
    stack what the parent passes, resolved by `parents(parent)`, settings filled in."""
    template = stack.template
    values = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
    values.update(stack.parameters)
    if stack.parent is not None:
        parent = deployment.stack(stack.parent)
        passed = parent.template["Resources"][stack.logical_id]["Properties"].get("Parameters", {})
        resolve = parents(parent)
        for name, value in passed.items():
            try:
                values[name] = with_settings(str(resolve.resolve(value)), deployment)
            except Unresolvable:
                values[name] = f"<{name}>"
    return values


def resolver(stack: Stack, deployment: Deployment, *, follow_imports: bool = False) -> Resolver:
    """Intrinsics as CloudFormation would resolve them, resources as <LogicalId> placeholders;
    an import is a placeholder too, or with `follow_imports` the value its exporter declares."""
    template = stack.template
    values = parameter_values(stack, deployment, lambda parent: resolver(parent, deployment))
    return Resolver(
        template,
        parameters=values,
        pseudo={
            "AWS::Region": stack.region,
            "AWS::AccountId": "111122223333",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.name,
        },
        resources=_Placeholders(template),
        exports=_FollowedImports(deployment) if follow_imports else _AnyImport(),
    )


class _FollowedImports(dict):
    """Export name -> the value of the output that declares it, resolved in its own stack."""

    def __init__(self, deployment: Deployment):
        super().__init__()
        self.deployment = deployment

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, name: str) -> str:
        for stack in self.deployment.stacks:
            resolve = resolver(stack, self.deployment)
            for output in (stack.template.get("Outputs") or {}).values():
                if "Export" in output and resolve.resolve(output["Export"]["Name"]) == name:
                    return str(resolve.resolve(output["Value"]))
        return f"<import {name}>"


def _exists(stack: Stack, deployment: Deployment, condition: str | None) -> bool:
    return condition is None or resolver(stack, deployment).condition(condition)


# -- nested stacks -------------------------------------------------------------------------


def nested_stack_problems(deployment: Deployment) -> list[str]:
    problems = []
    for child in deployment.stacks:
        if child.parent is None:
            continue
        parent = deployment.stack(child.parent)
        resource = parent.template["Resources"].get(child.logical_id)
        if resource is None or resource.get("Type") != "AWS::CloudFormation::Stack":
            problems.append(f"{parent.name}: no nested stack {child.logical_id}")
            continue
        declared = child.template.get("Parameters") or {}
        passed = (resource.get("Properties") or {}).get("Parameters") or {}
        for name in sorted(set(passed) - set(declared)):
            problems.append(
                f"{parent.name}: passes {name} to {child.logical_id}, which does not declare it"
            )
        for name, spec in sorted(declared.items()):
            if "Default" not in spec and name not in passed:
                problems.append(f"{child.name}: parameter {name} has no default and is not passed")
        outputs = child.template.get("Outputs") or {}
        for path, node in walk(parent.template):
            if not (isinstance(node, dict) and set(node) == {"Fn::GetAtt"}):
                continue
            target, attribute = _getatt(node["Fn::GetAtt"])
            if target != child.logical_id or not attribute.startswith("Outputs."):
                continue
            name = attribute.removeprefix("Outputs.")
            if name not in outputs:
                problems.append(
                    f"{parent.name}{path}: reads {attribute}, which {child.name} does not declare"
                )
            elif "Condition" in outputs[name]:
                problems.append(f"{parent.name}{path}: reads {attribute}, which is conditional")
    return problems


def _getatt(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        target, _, attribute = argument.partition(".")
        return target, attribute
    return argument[0], argument[1] if isinstance(argument[1], str) else ""


# -- exports and imports -------------------------------------------------------------------


def exports(deployment: Deployment) -> dict[str, str]:
    """Export name -> the stack that declares it, for the outputs that exist in the scenario."""
    found: dict[str, str] = {}
    for stack in deployment.stacks:
        for output in (stack.template.get("Outputs") or {}).values():
            if "Export" not in output or not _exists(stack, deployment, output.get("Condition")):
                continue
            name = resolver(stack, deployment).resolve(output["Export"]["Name"])
            found[name] = stack.name
    return found


def imports(deployment: Deployment) -> dict[str, list[str]]:
    """Export name -> where it is imported, for every stack's Fn::ImportValue (resources that
    exist in the scenario, and outputs)."""
    found: dict[str, list[str]] = {}
    for stack in deployment.stacks:
        resolve = resolver(stack, deployment)
        for section in ("Resources", "Outputs"):
            for logical_id, body in (stack.template.get(section) or {}).items():
                if not _exists(stack, deployment, body.get("Condition")):
                    continue
                for path, node in walk(body, f"/{section}/{logical_id}"):
                    if isinstance(node, dict) and set(node) == {"Fn::ImportValue"}:
                        name = resolve.resolve(node["Fn::ImportValue"])
                        found.setdefault(name, []).append(f"{stack.name}{path}")
    return found


def import_problems(deployment: Deployment, extra: dict[str, list[str]] | None = None) -> list[str]:
    """Imports nobody exports, and imports of a nested stack's own parent's exports. `extra`
    adds what scripts and manifests import (name -> where)."""
    declared = exports(deployment)
    wanted = imports(deployment)
    for name, places in (extra or {}).items():
        wanted.setdefault(name, []).extend(places)
    problems = []
    for name, places in sorted(wanted.items()):
        if name not in declared:
            problems.append(f"{name} is imported ({', '.join(places)}) but no stack exports it")
            continue
        for place in places:
            importer = next((s for s in deployment.stacks if place.startswith(s.name + "/")), None)
            if (
                importer
                and importer.parent
                and deployment.stack(importer.parent).name == declared[name]
            ):
                problems.append(
                    f"{place} imports {name} from its own parent stack, which exports it only "
                    "once the nested stack exists"
                )
    return problems
