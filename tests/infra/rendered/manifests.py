"""The manifests as Copilot reads them at deploy time: ${VAR} filled in from the shell
(internal/pkg/manifest/interpolate.go: COPILOT_APPLICATION_NAME and COPILOT_ENVIRONMENT_NAME are
predefined, an unset variable is an error, \\${X} stays literal), and the service manifest merged
with its `environments.<env>` section (maps key by key, lists and scalars replaced)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import yaml

from devstack.templates import ROOT
from ops import environments, feature_env, network

APP = "teamtasks"
COPILOT = ROOT / "copilot"
SERVICE = "api"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
# The environments whose manifests the repository has (feature environments' are generated).
ENVIRONMENTS = ("dev", "staging", "prod", "prod-eu-central-1")
INTERPOLATION = re.compile(r"(?<!\\)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class UnsetVariable(Exception):
    """A manifest names a shell variable that is not set: Copilot stops with this error."""


def region(env: str) -> str:
    """The environment's region: prod's standby's is in its name."""
    return environments.standby_region(env) or REGION


def domain(env: str) -> str:
    if environments.is_feature(env):
        return f"{env.removeprefix('feat-')}.{domain('dev')}"
    if env == "prod":
        return f"{APP}.example.com"
    if environments.standby_region(env):
        return f"{environments.standby_region(env)}.{APP}.example.com"
    return f"{env}.{APP}.example.com"


def example_id(kind: str, *parts: str) -> str:
    """An id of AWS's shape (vpc-0123..., subnet-...) that stays the same between runs."""
    return f"{kind}-0" + hashlib.sha256("/".join(parts).encode()).hexdigest()[:16]


def network_variables(env: str) -> dict[str, str]:
    """The ${<ENV>_VPC_ID} and subnet variables (ops/network.py prints them from the network
    stack's settings), with the ids the network stack's resources would have."""
    owner = environments.network_env(env)
    prefix = environments.variable_prefix(owner)
    values = {f"{prefix}_VPC_ID": example_id("vpc", owner)}
    for tier in ("public", "private"):
        for number in range(1, network.zones(owner) + 1):
            values[f"{prefix}_{tier.upper()}_SUBNET_{number}"] = example_id(
                "subnet", owner, tier, str(number)
            )
    return values


def shell(env: str) -> dict[str, str]:
    """What docs/deploy.md tells the person deploying to export, with example values."""
    values = {"AWS_ACCOUNT_ID": ACCOUNT, "AWS_REGION": region(env)}
    for name in (*ENVIRONMENTS, *((env,) if environments.is_feature(env) else ())):
        upper = environments.variable_prefix(name)
        values[f"{upper}_DOMAIN"] = domain(name)
        values[f"{upper}_ALB_CERTIFICATE_ARN"] = (
            f"arn:aws:acm:{region(name)}:{ACCOUNT}:certificate/{name}-alb"
        )
        values[f"{upper}_CDN_CERTIFICATE_ARN"] = (
            f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/{name}-cdn"
        )
    values.update(network_variables(env))
    return values


def settings(env: str) -> dict[str, str]:
    """The environment's settings in SSM Parameter Store (docs/deploy.md, "Environment
    settings"), by parameter name, with example values: what CloudFormation resolves the
    templates' {{resolve:ssm:...}} references to."""
    base = f"/{APP}/{env}"
    # prod has its standby in eu-central-1 (copilot/environments/prod-eu-central-1).
    replica = env == "prod"
    values = {
        "network-stack": network.stack_name(env),
        "replica-region": "eu-central-1" if replica else "none",
        "replica-table-endpoint": example_id("vpce", "prod-eu-central-1") if replica else "none",
        "cloudfront-web-acl-arn": (
            f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/{APP}-{env}-cloudfront/1a2b"
        ),
        "alarm-email": f"oncall@{APP}.example.com",
        "ses-identity-arn": (
            f"arn:aws:ses:{region(env)}:{ACCOUNT}:identity/no-reply@{APP}.example.com"
        ),
        # A new account can reserve none (docs/deploy.md, "Quotas a deploy depends on").
        "reserved-concurrency/purge": "0",
        "reserved-concurrency/archive": "0",
        "reserved-concurrency/notifier": "0",
        "reserved-concurrency/rotation": "0",
    }
    return {f"{base}/{name}": value for name, value in values.items()}


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


def load_raw_environment(env: str) -> dict[str, Any]:
    if environments.is_feature(env):
        # Generated by `make feature-env` from dev's, never committed (ops/feature_env.py).
        return yaml.safe_load(feature_env.environment_manifest(env, COPILOT))
    return yaml.safe_load((COPILOT / "environments" / env / "manifest.yml").read_text())


def environment_manifest(env: str, variables: dict[str, str] | None = None) -> dict[str, Any]:
    return interpolate(load_raw_environment(env), _variables(env, variables))


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
    if environments.is_feature(env):
        raw["environments"][env] = feature_env.service_environment(env, COPILOT)
    base = {k: v for k, v in raw.items() if k != "environments"}
    effective = _merge(base, (raw.get("environments") or {}).get(env) or {})
    return interpolate(effective, _variables(env, variables))
