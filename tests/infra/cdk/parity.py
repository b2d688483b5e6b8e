"""What matters at run time in one environment, read out of either path's templates in the same
shape, so that the two can be compared: the CDK app's synthesised stacks, and the stacks Copilot
renders (tests/infra/rendered). Values are flattened to strings: settings as `setting:<name>`
(the shell's example values on the Copilot path, the SSM-typed parameters on the CDK's), secrets
as `secret:<logical id>:<stage>`, exports as `import:<name>`, other resources as `<logical id>`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cdk import addons
from tests.infra.rendered import manifests

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": manifests.ACCOUNT,
    "AWS::NoValue": None,
}
_SSM = re.compile(r"\{\{resolve:ssm:/teamtasks/[a-z0-9-]+/([a-z0-9/-]+)\}\}")
_SECRET = re.compile(r"\{\{resolve:secretsmanager:([^:}]+):SecretString::([A-Z]+)\}\}")


class Flattener:
    """Evaluates a template's intrinsics to comparable strings (see the module's docstring)."""

    def __init__(
        self,
        env: str,
        parameters: Mapping[str, Any],
        *,
        stack_name: str,
        secrets: Mapping[str, str],
    ):
        self.env = env
        self.parameters = parameters
        self.stack_name = stack_name
        self.secrets = secrets  # secret name -> the addons' logical id
        self.literals = {
            manifests.domain(env): "setting:domain",
            **{
                value: f"setting:{setting}"
                for key, value in manifests.shell(env).items()
                for suffix, setting in (
                    ("_ALB_CERTIFICATE_ARN", "alb-certificate-arn"),
                    ("_CDN_CERTIFICATE_ARN", "cdn-certificate-arn"),
                )
                if key == f"{_prefix(env)}{suffix}"
            },
        }

    def name(self, name: str) -> Any:
        if name == "AWS::Region":
            return manifests.region(self.env)
        if name == "AWS::StackName":
            return self.stack_name
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.text(self.parameters[name])
        return f"<{name}>"

    def text(self, value: Any) -> Any:
        if isinstance(value, str):
            value = _SSM.sub(lambda m: f"setting:{m.group(1)}", value)
            value = _SECRET.sub(
                lambda m: (
                    f"secret:{self.secrets.get(m.group(1), m.group(1).strip('<>'))}:{m.group(2)}"
                ),
                value,
            )
            return self.literals.get(value, value)
        return value

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value if v != {"Ref": "AWS::NoValue"}]
        if not isinstance(value, dict):
            return self.text(value)
        if set(value) == {"Ref"}:
            return self.name(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            logical, attribute = target if isinstance(target, list) else target.split(".", 1)
            return f"<{logical}.{attribute}>"
        if set(value) == {"Fn::ImportValue"}:
            return f"import:{self(value['Fn::ImportValue'])}"
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return self.text(separator.join(str(self(p)) for p in self(parts)))
        if set(value) == {"Fn::Sub"}:
            body = value["Fn::Sub"]
            text, variables = (body, {}) if isinstance(body, str) else body
            resolved = {k: self(v) for k, v in variables.items()}

            def fill(match: re.Match[str]) -> str:
                name = match.group(1)
                found = resolved[name] if name in resolved else self.name(name.split(".")[0])
                if "." in name and name not in resolved:
                    found = f"<{name}>"
                return str(found)

            return self.text(re.sub(r"\$\{([^}!]+)\}", fill, text))
        if set(value) == {"Fn::If"}:
            return {"if": [self(v) for v in value["Fn::If"]]}
        return {k: self(v) for k, v in value.items()}


def _prefix(env: str) -> str:
    return env.upper().replace("-", "_")


def secret_names(env: str) -> dict[str, str]:
    """The addons' secrets by name (/<app>/<env>/<name>) -> logical id."""
    template = addons.merged_folder(addons.ENVIRONMENT_ADDONS)
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            name = resource["Properties"]["Name"]["Fn::Sub"]
            found[name.replace("${App}", "teamtasks").replace("${Env}", env)] = logical_id
    return found


def of_type(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def only(template: Mapping[str, Any], kind: str, where: Callable[[dict], bool] = bool) -> dict:
    found = [v for v in of_type(template, kind).values() if where(v)]
    assert len(found) == 1, f"{len(found)} {kind}"
    return found[0]


def statements(document: Mapping[str, Any], flat: Flattener) -> set[tuple[str, str, str]]:
    """A policy as (effect, action, resource) triples (conditions left out: the least-privilege
    tests of each path hold them)."""
    found = set()
    for statement in document["Statement"]:
        actions = statement.get("Action") or statement.get("NotAction")
        resources = statement.get("Resource", "*")
        for action in actions if isinstance(actions, list) else [actions]:
            for resource in resources if isinstance(resources, list) else [resources]:
                found.add((statement["Effect"], action, str(flat(resource))))
    return found
