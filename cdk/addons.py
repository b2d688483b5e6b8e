"""The templates under addons/ included in the CDK stacks as they are (CfnInclude), so that a
change to an addon reaches both paths. Each is included the way CloudFormation sees it on the
Copilot path:

- an addons folder is merged into one template, as Copilot merges it (devstack/templates.py),
  because its files refer to each other's resources;
- the network template's Fn::ForEach loops are unrolled as the AWS::LanguageExtensions transform
  unrolls them: CfnInclude cannot read Fn::ForEach (it turns the loop into an empty resource and
  silently drops every resource after it: aws-cdk-lib 2.275, checked by tests/cdk);
- the Lambda code folders, which Copilot zips and uploads, become CDK assets;
- the parameters get the values Copilot would give them (addons.parameters.yml): the CDK app's
  own resources where Copilot passes its own, the environment's SSM settings where Copilot
  passes a dynamic reference. A parameter bound to a resource is never empty, so a condition
  that only asks whether it is empty (`!Not [!Equals [!Ref P, ""]]`) is given its value; on
  Copilot's path the nested stack's boundary turns the reference into a string, which a
  condition may read, and a condition may not refer to a resource.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import cloudformation_include as cfn_inc
from constructs import Construct

from cdk.config import ROOT
from devstack import templates

# Properties whose local path Copilot zips and uploads (internal/pkg/addon/package.go).
_PACKAGED = {"AWS::Lambda::Function": "Code", "AWS::Lambda::LayerVersion": "Content"}
_STAGING = Path(tempfile.gettempdir()) / "teamtasks-cdk-included"

ENVIRONMENT_ADDONS = templates.ENVIRONMENT_ADDONS
SERVICE_ADDONS = templates.SERVICE_ADDONS
EDGE_TEMPLATE = ROOT / "addons" / "edge" / "cloudfront-waf.yml"
NETWORK_TEMPLATE = templates.NETWORK_TEMPLATE
REGISTRY_TEMPLATE = templates.REGISTRY_TEMPLATE
# Templates under addons/ the CDK app does not deploy, and why.
NOT_DEPLOYED = {
    ROOT / "addons" / "feature-envs" / "reaper.yml": (
        "the daily sweep of expired feature environments runs the copilot CLI; a CDK feature "
        "environment is removed with `cdk destroy` (docs/deploy.md)"
    ),
}
# Copilot's name for an addon output's environment variable (TasksTableName -> TASKS_TABLE_NAME).
copilot_variable_name = templates.copilot_variable_name


class UnboundCondition(Exception):
    """A condition reads a parameter the app binds to a resource, in a form it cannot evaluate."""


def merged_folder(folder: Path) -> dict[str, Any]:
    return templates.merged(folder)


def network_template() -> dict[str, Any]:
    return templates.network_template()


def registry_template() -> dict[str, Any]:
    return templates.load(REGISTRY_TEMPLATE)


def edge_template() -> dict[str, Any]:
    return templates.load(EDGE_TEMPLATE)


def included_files() -> dict[Path, str]:
    """Every template file under addons/ and the stack that includes it; a file that is not
    here is not deployed by the CDK app (tests/cdk holds this list to the folder)."""
    files: dict[Path, str] = {}
    for path in templates.template_files(ENVIRONMENT_ADDONS):
        files[path] = "environment"
    for path in templates.template_files(SERVICE_ADDONS):
        files[path] = "api"
    files[NETWORK_TEMPLATE] = "network"
    files[EDGE_TEMPLATE] = "edge"
    files[REGISTRY_TEMPLATE] = "registry"
    return files


def _staged(template: Mapping[str, Any]) -> str:
    """CfnInclude reads a file: the template as JSON, named by its content."""
    body = json.dumps(template, sort_keys=True, indent=1)
    _STAGING.mkdir(parents=True, exist_ok=True)
    path = _STAGING / (hashlib.sha256(body.encode()).hexdigest()[:20] + ".json")
    if not path.exists():
        path.write_text(body)
    return str(path)


def _emptiness_test(expression: Any) -> tuple[str, bool] | None:
    """(parameter, holds-when-non-empty) for `!Not [!Equals [!Ref P, ""]]` and `!Equals [...]`."""
    negated = False
    if isinstance(expression, dict) and set(expression) == {"Fn::Not"}:
        (expression,) = expression["Fn::Not"]
        negated = True
    if not (isinstance(expression, dict) and set(expression) == {"Fn::Equals"}):
        return None
    left, right = expression["Fn::Equals"]
    if right == "" and isinstance(left, dict) and set(left) == {"Ref"}:
        return left["Ref"], negated
    return None


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and isinstance(node["Ref"], str):
            return {node["Ref"]}
        return set().union(*(_refs(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def include(
    scope: Construct,
    construct_id: str,
    template: Mapping[str, Any],
    parameters: Mapping[str, Any],
    *,
    bound_to_resources: frozenset[str] = frozenset(),
) -> cfn_inc.CfnInclude:
    """Include `template` in `scope`'s stack with these parameter values, its logical ids kept,
    its local code folders turned into assets. `bound_to_resources` names the parameters whose
    value is one of the app's resources (never empty)."""
    included = cfn_inc.CfnInclude(
        scope,
        construct_id,
        template_file=_staged(template),
        parameters=dict(parameters),
        preserve_logical_ids=True,
    )
    bound = set(bound_to_resources)
    for name, expression in (template.get("Conditions") or {}).items():
        if not _refs(expression) & bound:
            continue
        test = _emptiness_test(expression)
        if test is None or test[0] not in bound:
            raise UnboundCondition(f"condition {name} reads {_refs(expression) & bound}")
        holds = test[1]
        included.get_condition(name).expression = (
            cdk.Fn.condition_equals("bound", "bound")
            if holds
            else cdk.Fn.condition_equals("bound", "unbound")
        )
    for logical_id, resource in (template.get("Resources") or {}).items():
        prop = _PACKAGED.get(resource.get("Type", ""))
        path = (resource.get("Properties") or {}).get(prop) if prop else None
        if isinstance(path, str):
            _package(included, logical_id, resource["Type"], ROOT / path)
    return included


def _package(included: cfn_inc.CfnInclude, logical_id: str, kind: str, folder: Path) -> None:
    resource = included.get_resource(logical_id)
    location = lambda_.Code.from_asset(str(folder)).bind(resource).s3_location
    assert location is not None
    if kind == "AWS::Lambda::Function":
        resource.code = lambda_.CfnFunction.CodeProperty(  # type: ignore[attr-defined]
            s3_bucket=location.bucket_name, s3_key=location.object_key
        )
    else:
        resource.content = lambda_.CfnLayerVersion.ContentProperty(  # type: ignore[attr-defined]
            s3_bucket=location.bucket_name, s3_key=location.object_key
        )
