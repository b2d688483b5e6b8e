"""What the CDK app deploys for each environment, read from the files the Copilot path reads, so
that both paths deploy the same system from one source:

- the environment's name says its family, region, network and whether its data is disposable
  (ops/environments.py, the rules the templates' conditions also follow);
- the service's sizes, counts, health checks, variables and log retention come from the service
  manifest, merged with its `environments.<env>` section as Copilot merges it
  (copilot/api/manifest.yml); a feature environment takes dev's entry, as ops/feature_env.py does;
- what differs per deployment (domain, certificates, alarm address, ...) stays in SSM Parameter
  Store under /<app>/<env>/ (docs/deploy.md, "Environment settings"), read by CloudFormation at
  deploy time, never by the app at synth time.

The app needs no AWS call to synthesise: the account and region come from the context (or the
CLI's CDK_DEFAULT_ACCOUNT), the managed prefix lists from the context's lookup cache
(cdk.context.json, written by one `cdk synth` with credentials per account and region)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ops import environments, network

APP = "teamtasks"
SERVICE = "api"
ROOT = Path(__file__).resolve().parent.parent
COPILOT = ROOT / "copilot"
ADDONS = ROOT / "addons"
SERVICE_MANIFEST = COPILOT / SERVICE / "manifest.yml"
# The environments of the pipeline, in promotion order; prod's standby is deployed by hand
# (docs/disaster-recovery.md), as on the Copilot path.
PIPELINE_ENVIRONMENTS = ("dev", "staging", "prod")
# Every environment with a manifest in copilot/environments/.
ENVIRONMENTS = ("dev", "staging", "prod", "prod-eu-central-1")
EDGE_REGION = "us-east-1"
# The primary region unless the context says another (docs/deploy.md uses eu-west-1).
DEFAULT_REGION = "eu-west-1"
_INTERPOLATION = re.compile(r"(?<!\\)\$\{(COPILOT_APPLICATION_NAME|COPILOT_ENVIRONMENT_NAME)\}")


def _merge(base: Any, override: Any) -> Any:
    """Copilot's per-environment override: maps key by key, lists and scalars replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return override


def _interpolate(value: Any, env: str) -> Any:
    """The two variables Copilot predefines; the manifests' other ${VAR}s are the settings the
    app reads from SSM instead (the domain)."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if isinstance(value, str):
        names = {"COPILOT_APPLICATION_NAME": APP, "COPILOT_ENVIRONMENT_NAME": env}
        return _INTERPOLATION.sub(lambda m: names[m.group(1)], value)
    return value


def seconds(duration: Any, default: int) -> int:
    """A manifest duration (20s, 2m, 1h30m) in seconds."""
    if duration is None:
        return default
    if isinstance(duration, int):
        return duration
    total = 0
    for amount, unit in re.findall(r"(\d+)(h|m|s)", str(duration)):
        total += int(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total


@dataclass(frozen=True)
class ServiceSettings:
    """The api service in one environment, as the merged manifest describes it."""

    manifest: dict[str, Any]

    @property
    def port(self) -> int:
        return int(self.manifest["image"]["port"])

    @property
    def cpu(self) -> int:
        return int(self.manifest["cpu"])

    @property
    def memory(self) -> int:
        return int(self.manifest["memory"])

    @property
    def container_health_check(self) -> dict[str, Any]:
        return self.manifest["image"]["healthcheck"]

    @property
    def http(self) -> dict[str, Any]:
        return self.manifest["http"]

    @property
    def path(self) -> str:
        path = str(self.http.get("path", ""))
        return "/" + path.strip("/")

    @property
    def load_balancer_health_check(self) -> dict[str, Any]:
        return self.http["healthcheck"]

    @property
    def deregistration_delay(self) -> int:
        return seconds(self.http.get("deregistration_delay"), 60)

    @property
    def count(self) -> dict[str, Any]:
        return self.manifest["count"]

    @property
    def capacity_range(self) -> tuple[int, int]:
        scaling = self.count["range"]
        return int(scaling["min"]), int(scaling["max"])

    @property
    def spot_from(self) -> int | None:
        value = self.count["range"].get("spot_from")
        return None if value is None else int(value)

    @property
    def cooldowns(self) -> tuple[int, int]:
        cooldown = self.count.get("cooldown") or {}
        return seconds(cooldown.get("in"), 120), seconds(cooldown.get("out"), 60)

    @property
    def variables(self) -> dict[str, str]:
        return {name: str(value) for name, value in (self.manifest.get("variables") or {}).items()}

    @property
    def log_retention_days(self) -> int:
        return int((self.manifest.get("logging") or {}).get("retention", 30))

    @property
    def read_only_root(self) -> bool:
        return bool((self.manifest.get("storage") or {}).get("readonly_fs"))

    @property
    def tracing(self) -> bool:
        return (self.manifest.get("observability") or {}).get("tracing") == "awsxray"

    @property
    def rollback_alarms(self) -> list[str]:
        return list((self.manifest.get("deployment") or {}).get("rollback_alarms") or [])

    @property
    def platform(self) -> str:
        return str(self.manifest.get("platform", "linux/x86_64"))


def service_settings(env: str) -> ServiceSettings:
    raw = yaml.safe_load(SERVICE_MANIFEST.read_text())
    base = {k: v for k, v in raw.items() if k != "environments"}
    entry = "dev" if environments.is_feature(env) else env
    section = (raw.get("environments") or {}).get(entry)
    if section is None:
        raise KeyError(f"{SERVICE_MANIFEST.name} has no environments.{entry} entry")
    return ServiceSettings(_interpolate(_merge(base, section), env))


def environment_manifest(env: str) -> dict[str, Any]:
    """The environment manifest whose settings the app follows (a feature environment's is
    dev's, as ops/feature_env.py generates it)."""
    name = "dev" if environments.is_feature(env) else env
    return yaml.safe_load((COPILOT / "environments" / name / "manifest.yml").read_text())


@dataclass(frozen=True)
class Environment:
    """One environment of the app: where it runs and what its name says about it."""

    name: str
    account: str
    region: str

    @property
    def family(self) -> str:
        return environments.family(self.name)

    @property
    def disposable(self) -> bool:
        return environments.is_disposable(self.name)

    @property
    def is_feature(self) -> bool:
        return environments.is_feature(self.name)

    @property
    def owns_network(self) -> bool:
        """A feature environment uses dev's network stack and has none of its own."""
        return environments.network_env(self.name) == self.name

    @property
    def network_stack(self) -> str:
        return network.stack_name(self.name, APP)

    @property
    def zones(self) -> int:
        return network.zones(self.name)

    @property
    def has_own_edge(self) -> bool:
        """A feature environment shares dev's web ACL (ops/feature_env.py copies its setting)."""
        return not self.is_feature

    @property
    def stack_prefix(self) -> str:
        return f"{APP}-{self.name}"

    def setting(self, name: str) -> str:
        """The SSM parameter name of one of the environment's settings."""
        return f"/{APP}/{self.name}/{name}"

    @property
    def service(self) -> ServiceSettings:
        return service_settings(self.name)

    @property
    def manifest(self) -> dict[str, Any]:
        return environment_manifest(self.name)


def environment(name: str, *, account: str, region: str) -> Environment:
    """`region` is the app's primary region; prod's standby runs in the region its name says."""
    environments.family(name)
    return Environment(name, account, environments.standby_region(name) or region)
