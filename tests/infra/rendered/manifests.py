"""The manifests as Copilot reads them at deploy time: ${VAR} filled in from the shell
(internal/pkg/manifest/interpolate.go: COPILOT_APPLICATION_NAME and COPILOT_ENVIRONMENT_NAME are
predefined, an unset variable is an error, \\${X} stays literal), and the service manifest merged
with its `environments.<env>` section (maps key by key, lists and scalars replaced)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from devstack.templates import ROOT

APP = "teamtasks"
COPILOT = ROOT / "copilot"
SERVICE = "api"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
INTERPOLATION = re.compile(r"(?<!\\)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class UnsetVariable(Exception):
    """A manifest names a shell variable that is not set: Copilot stops with this error."""


def domain(env: str) -> str:
    return f"{APP}.example.com" if env == "prod" else f"{env}.{APP}.example.com"


def shell(env: str) -> dict[str, str]:
    """What docs/deploy.md tells the person deploying to export, with example values."""
    values = {"AWS_ACCOUNT_ID": ACCOUNT, "AWS_REGION": REGION}
    for name in ("dev", "staging", "prod"):
        upper = name.upper()
        values[f"{upper}_DOMAIN"] = domain(name)
        values[f"{upper}_ALB_CERTIFICATE_ARN"] = (
            f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{name}-alb"
        )
        values[f"{upper}_CDN_CERTIFICATE_ARN"] = (
            f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{name}-cdn"
        )
    return values


def interpolate(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: interpolate(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, variables) for v in value]
    if not isinstance(value, str):
        return value

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise UnsetVariable(name)
        return variables[name]

    return INTERPOLATION.sub(fill, value).replace("\\${", "${")


def _variables(env: str, extra: dict[str, str] | None) -> dict[str, str]:
    return {
        **shell(env),
        **(extra or {}),
        "COPILOT_APPLICATION_NAME": APP,
        "COPILOT_ENVIRONMENT_NAME": env,
    }


def environment_manifest(env: str, variables: dict[str, str] | None = None) -> dict[str, Any]:
    raw = yaml.safe_load((COPILOT / "environments" / env / "manifest.yml").read_text())
    return interpolate(raw, _variables(env, variables))


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return override


def raw_service_manifest() -> dict[str, Any]:
    return yaml.safe_load((COPILOT / SERVICE / "manifest.yml").read_text())


def service_manifest(env: str, variables: dict[str, str] | None = None) -> dict[str, Any]:
    """The service manifest for one environment, before interpolation is applied to it."""
    raw = raw_service_manifest()
    base = {k: v for k, v in raw.items() if k != "environments"}
    effective = _merge(base, (raw.get("environments") or {}).get(env) or {})
    return interpolate(effective, _variables(env, variables))
