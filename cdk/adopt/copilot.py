"""What Copilot deployed for one environment, read once from the account: its two root stacks
(the environment, the service) and the addons stack nested in each, with each stack's template
as submitted, the parameter values it was deployed with, its resources' physical ids and its
outputs; and the region's exports. The adoption is planned from this alone."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk.config import APP, SERVICE
from devstack import templates

# Copilot's stacks of an environment by role: the roots, and the addons nested in each.
ROOTS = {"environment": "{app}-{env}", "service": "{app}-{env}-" + SERVICE}
NESTED = "AddonsStack"
ADDONS = {"environment": "environment-addons", "service": "service-addons"}


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    physical_id: str


@dataclass
class Stack:
    role: str  # environment, environment-addons, service, service-addons
    name: str  # a nested stack's is its ARN
    template: dict[str, Any]
    parameters: dict[str, str]
    resources: dict[str, Resource]
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Deployment:
    env: str
    region: str
    account: str
    partition: str
    stacks: dict[str, Stack]
    exports: dict[str, str]

    def stack(self, role: str) -> Stack:
        return self.stacks[role]

    def nested_in(self, role: str) -> str | None:
        """The role of the addons stack nested in a root stack, if it has one."""
        nested = ADDONS.get(role)
        return nested if nested in self.stacks else None


def stack_name(role: str, env: str) -> str:
    return ROOTS[role].format(app=APP, env=env)


def read(
    cloudformation: Any,
    env: str,
    *,
    account: str,
    partition: str = "aws",
    names: dict[str, str] | None = None,
) -> Deployment:
    """Copilot's stacks of `env` as they are deployed (AWS calls with the ambient credentials):
    the roots by their names, the addons stack nested in each by its id; `names` gives each
    role's stack instead (the emulator's, whose CloudFormation cannot update a nested stack)."""
    stacks: dict[str, Stack] = {}
    for role in ROOTS:
        root = _stack(cloudformation, role, stack_name(role, env))
        stacks[role] = root
        nested = root.resources.get(NESTED)
        if nested:
            stacks[ADDONS[role]] = _stack(cloudformation, ADDONS[role], nested.physical_id)
    for role, name in (names or {}).items():
        stacks[role] = _stack(cloudformation, role, name)
    exports = {}
    for page in cloudformation.get_paginator("list_exports").paginate():
        exports.update({e["Name"]: e["Value"] for e in page["Exports"]})
    return Deployment(
        env=env,
        region=cloudformation.meta.region_name,
        account=account,
        partition=partition,
        stacks=stacks,
        exports=exports,
    )


def _stack(cloudformation: Any, role: str, name: str) -> Stack:
    described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    resources = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        for summary in page["StackResourceSummaries"]:
            if summary["ResourceStatus"].startswith("DELETE_"):
                continue
            resources[summary["LogicalResourceId"]] = Resource(
                summary["LogicalResourceId"],
                summary["ResourceType"],
                summary.get("PhysicalResourceId", ""),
            )
    return Stack(
        role=role,
        name=described["StackId"] if described.get("ParentId") else name,
        template=template(cloudformation, name),
        parameters={
            p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue", ""))
            for p in described.get("Parameters", [])
        },
        resources=resources,
        outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
    )


def template(cloudformation: Any, stack: str) -> dict[str, Any]:
    """The stack's template as it was submitted (a JSON one comes back parsed, a YAML one as
    text with CloudFormation's short-form tags)."""
    body = cloudformation.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    if isinstance(body, dict):
        return body
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.yml"
        path.write_text(body)
        return templates.load(path)
