"""The manifest keys Copilot knows (its Go structs in internal/pkg/manifest, v1.33), for the
keys this repository may use. Copilot unmarshals manifests without rejecting unknown fields, so
a misspelt key would be silently ignored and ship; the tests check every key against these.

A schema is ANY (any value), a Map (named keys, each with its schema; `scalar` if the field
also takes a plain value, as `exec: true` or `http.healthcheck: /path` do), a FreeMap (any keys,
values of one schema) or a ListOf (items of one schema)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ANY = "any"


@dataclass
class Map:
    keys: dict[str, Any]
    scalar: bool = False


@dataclass
class FreeMap:
    values: Any = ANY


@dataclass
class ListOf:
    item: Any = ANY


def check(value: Any, schema: Any, path: str = "") -> list[str]:
    problems: list[str] = []
    _check(value, schema, path or "<root>", problems)
    return problems


def _check(value: Any, schema: Any, path: str, problems: list[str]) -> None:
    if schema == ANY:
        return
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list")
            return
        for index, item in enumerate(value):
            _check(item, schema.item, f"{path}[{index}]", problems)
        return
    if isinstance(schema, FreeMap):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map")
            return
        for key, item in value.items():
            _check(item, schema.values, f"{path}.{key}", problems)
        return
    if not isinstance(value, dict):
        if not schema.scalar:
            problems.append(f"{path}: expected a map of {sorted(schema.keys)}")
        return
    for key, item in value.items():
        if key not in schema.keys:
            problems.append(f"{path}.{key}: not a key Copilot knows here")
        else:
            _check(item, schema.keys[key], f"{path}.{key}", problems)


def _scaling() -> Map:
    return Map({"value": ANY, "cooldown": Map({"in": ANY, "out": ANY})}, scalar=True)


_COOLDOWN = Map({"in": ANY, "out": ANY})
_IMAGE = Map(
    {
        "build": Map(
            {
                "dockerfile": ANY,
                "context": ANY,
                "args": FreeMap(),
                "target": ANY,
                "cache_from": ANY,
            },
            scalar=True,
        ),
        "location": ANY,
        "credentials": ANY,
        "labels": FreeMap(),
        "depends_on": FreeMap(),
        "port": ANY,
        "healthcheck": Map(
            {"command": ANY, "interval": ANY, "retries": ANY, "timeout": ANY, "start_period": ANY}
        ),
    }
)
_HTTP_HEALTHCHECK = Map(
    {
        "path": ANY,
        "port": ANY,
        "success_codes": ANY,
        "healthy_threshold": ANY,
        "unhealthy_threshold": ANY,
        "interval": ANY,
        "timeout": ANY,
        "grace_period": ANY,
    },
    scalar=True,
)
_HTTP = Map(
    {
        "path": ANY,
        "healthcheck": _HTTP_HEALTHCHECK,
        "deregistration_delay": ANY,
        "stickiness": ANY,
        "allowed_source_ips": ListOf(),
        "alias": ANY,
        "redirect_to_https": ANY,
        "version": ANY,
        "target_container": ANY,
        "target_port": ANY,
        "additional_rules": ListOf(),
        "alb": ANY,
    },
    scalar=True,
)
_COUNT = Map(
    {
        "spot": ANY,
        "range": Map({"min": ANY, "max": ANY, "spot_from": ANY}, scalar=True),
        "cooldown": _COOLDOWN,
        "cpu_percentage": _scaling(),
        "memory_percentage": _scaling(),
        "requests": _scaling(),
        "response_time": _scaling(),
    },
    scalar=True,
)
_LOGGING = Map(
    {
        "retention": ANY,
        "image": ANY,
        "destination": FreeMap(),
        "enableMetadata": ANY,
        "secretOptions": FreeMap(),
        "configFilePath": ANY,
        "variables": FreeMap(),
        "secrets": FreeMap(),
        "env_file": ANY,
    }
)
_WORKLOAD_KEYS: dict[str, Any] = {
    "image": _IMAGE,
    "http": _HTTP,
    "nlb": ANY,
    "cpu": ANY,
    "memory": ANY,
    "platform": Map({"osfamily": ANY, "architecture": ANY}, scalar=True),
    "count": _COUNT,
    "exec": Map({"enable": ANY}, scalar=True),
    "deployment": Map(
        {
            "rolling": ANY,
            "rollback_alarms": Map(
                {"cpu_utilization": ANY, "memory_utilization": ANY}, scalar=True
            ),
        }
    ),
    "network": Map(
        {
            "vpc": Map(
                {
                    "placement": Map({"subnets": ANY}, scalar=True),
                    "security_groups": Map({"groups": ListOf(), "deny_default": ANY}, scalar=True),
                }
            )
        }
    ),
    "variables": FreeMap(Map({"from_cfn": ANY}, scalar=True)),
    "secrets": FreeMap(Map({"secretsmanager": ANY, "from_cfn": ANY}, scalar=True)),
    "env_file": ANY,
    "logging": _LOGGING,
    "sidecars": FreeMap(),
    "storage": Map({"ephemeral": ANY, "readonly_fs": ANY, "volumes": FreeMap()}),
    "taskdef_overrides": ListOf(Map({"path": ANY, "value": ANY})),
    "observability": Map({"tracing": ANY}),
    "publish": ANY,
}
# rollback_alarms is a list of names or a map; ListOf cannot express "or", so a list is allowed
# through the scalar flag of its Map (lists are not maps).

LOAD_BALANCED_WEB_SERVICE = Map(
    {
        "name": ANY,
        "type": ANY,
        **_WORKLOAD_KEYS,
        "environments": FreeMap(Map(dict(_WORKLOAD_KEYS))),
    }
)

ENVIRONMENT = Map(
    {
        "name": ANY,
        "type": ANY,
        "network": Map(
            {
                "vpc": Map(
                    {
                        "id": ANY,
                        "cidr": ANY,
                        "subnets": Map({"public": ListOf(), "private": ListOf()}),
                        "security_group": Map({"ingress": ListOf(), "egress": ListOf()}),
                        "flow_logs": Map({"retention": ANY}, scalar=True),
                    }
                )
            }
        ),
        "http": Map(
            {
                "public": Map(
                    {
                        "certificates": ListOf(),
                        "ingress": Map({"cdn": ANY, "source_ips": ListOf()}),
                        "ssl_policy": ANY,
                        "access_logs": Map({"bucket_name": ANY, "prefix": ANY}, scalar=True),
                        "security_groups": ANY,
                    }
                ),
                "private": Map(
                    {
                        "certificates": ListOf(),
                        "subnets": ListOf(),
                        "ingress": Map({"vpc": ANY}),
                        "ssl_policy": ANY,
                    }
                ),
            }
        ),
        "cdn": Map(
            {
                "certificate": ANY,
                "terminate_tls": ANY,
                "static_assets": Map({"location": ANY, "alias": ANY, "path": ANY}),
            },
            scalar=True,
        ),
        "observability": Map({"container_insights": ANY}),
    }
)

PIPELINE = Map(
    {
        "name": ANY,
        "version": ANY,
        "source": Map(
            {
                "provider": ANY,
                "properties": Map(
                    {
                        "repository": ANY,
                        "branch": ANY,
                        "connection_name": ANY,
                        "connection_arn": ANY,
                        "output_artifact_format": ANY,
                        "access_token_secret": ANY,
                    }
                ),
            }
        ),
        "build": Map({"image": ANY, "buildspec": ANY, "additional_policy": FreeMap()}),
        "stages": ListOf(
            Map(
                {
                    "name": ANY,
                    "requires_approval": ANY,
                    "pre_deployments": FreeMap(Map({"buildspec": ANY, "depends_on": ListOf()})),
                    "deployments": FreeMap(
                        Map(
                            {
                                "stack_name": ANY,
                                "template_path": ANY,
                                "template_config": ANY,
                                "depends_on": ListOf(),
                            }
                        )
                    ),
                    "test_commands": ListOf(),
                    "post_deployments": FreeMap(Map({"buildspec": ANY, "depends_on": ListOf()})),
                }
            )
        ),
    }
)
