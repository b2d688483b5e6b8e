"""Values the Copilot path keeps in its overrides (copilot/*/overrides/cfn.patches.yml) that the
CDK app deploys too, read from there so that the two paths cannot drift: the deep-link
function's code, the security headers, the access-log bucket's name, the sidecar's image."""

from __future__ import annotations

from functools import cache
from typing import Any

from cdk.config import APP, COPILOT, SERVICE
from devstack import templates

ENVIRONMENT_PATCHES = COPILOT / "environments" / "overrides" / "cfn.patches.yml"
SERVICE_PATCHES = COPILOT / SERVICE / "overrides" / "cfn.patches.yml"


@cache
def _patches(path: str) -> tuple[dict[str, Any], ...]:
    loaded = templates.load(ENVIRONMENT_PATCHES if path == "environment" else SERVICE_PATCHES)
    return tuple(loaded)


def value(stack: str, path: str) -> Any:
    """The value the one add/replace patch at `path` writes into the `stack` ("environment" or
    "service") template."""
    found = [p["value"] for p in _patches(stack) if p["path"] == path and p["op"] != "remove"]
    if len(found) != 1:
        raise LookupError(f"{stack} patches write {path} {len(found)} times, expected once")
    return found[0]


def sub_text(expression: Any, env: str) -> str:
    """A patch's `!Sub` string with Copilot's stack parameters filled in; the pseudo parameters
    (${AWS::Region}, ...) are left for CloudFormation."""
    text = expression["Fn::Sub"] if isinstance(expression, dict) else expression
    if not isinstance(text, str):
        raise TypeError(f"not a plain !Sub string: {expression!r}")
    for name, replacement in (
        ("AppName", APP),
        ("EnvironmentName", env),
        ("EnvName", env),
        ("WorkloadName", SERVICE),
    ):
        text = text.replace("${" + name + "}", replacement)
    return text
