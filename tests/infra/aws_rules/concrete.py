"""The concrete values a template is deployed with in one environment: its parameters, the
pseudo parameters (region, account, stack name) and the SSM settings its dynamic references
read. Names, quotas and policies are checked at these values, not at the templates' symbols:
a name that fits in dev may not fit in prod-eu-central-1."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devstack.intrinsics import Resolver
from ops import environments as naming
from ops import feature_env

ACCOUNT = "111122223333"
APP = "teamtasks"
# The regions the manifests deploy to: prod's standby names its own, every other environment
# (feature environments too, in dev's network) is in the primary region.
PRIMARY_REGION = "eu-west-1"
# A value the template takes from something that does not exist before deployment (another
# resource's physical id, an import): never part of a name AWS checks here.
UNKNOWN = "\N{MATHEMATICAL LEFT ANGLE BRACKET}"
_SSM_REFERENCE = re.compile(r"\{\{resolve:ssm:([^}:]+)\}\}")


@dataclass(frozen=True)
class Concrete:
    """One environment's concrete values for one stack."""

    env: str
    region: str
    account: str = ACCOUNT
    partition: str = "aws"
    stack_name: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    # SSM parameter name -> value, for {{resolve:ssm:<name>}}.
    settings: Mapping[str, str] = field(default_factory=dict)

    def with_settings(self, value: str) -> str:
        return _SSM_REFERENCE.sub(
            lambda match: self.settings.get(match.group(1), f"{UNKNOWN}setting"), value
        )


def longest_feature_env() -> str:
    """The longest feature environment name ops/feature_env.py accepts."""
    name = "f" * feature_env.MAX_NAME_LENGTH
    return feature_env.env_name(name)


def environments() -> list[Concrete]:
    """Every environment a check runs over: the pipeline's three, prod's standby in its own
    region, and a feature environment with the longest name the script allows."""
    names = ("dev", "staging", "prod", "prod-eu-central-1", longest_feature_env())
    return [Concrete(env=env, region=region_of(env)) for env in names]


def region_of(env: str) -> str:
    return naming.standby_region(env) or PRIMARY_REGION


class _Attributes(dict):
    def __init__(self, logical_id: str):
        super().__init__(Ref=f"{UNKNOWN}{logical_id}")
        self.logical_id = logical_id

    def __missing__(self, attribute: str) -> str:
        return f"{UNKNOWN}{self.logical_id}.{attribute}"


class _Imports(dict):
    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return f"{UNKNOWN}import {key}"


def resolver(template: Mapping[str, Any], values: Concrete) -> Resolver:
    """CloudFormation's intrinsics at these values: parameters (defaults, then the values
    given), pseudo parameters, and an unknown marker for other resources and imports."""
    parameters = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
    # A parameter with neither a default nor a value is something only the deployer knows.
    parameters.update(
        {
            name: f"{UNKNOWN}{name}"
            for name in template.get("Parameters") or {}
            if name not in parameters
        }
    )
    parameters.update({k: values.with_settings(str(v)) for k, v in values.parameters.items()})
    return Resolver(
        template,
        parameters=parameters,
        pseudo={
            "AWS::Region": values.region,
            "AWS::AccountId": values.account,
            "AWS::Partition": values.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": values.stack_name or f"{APP}-{values.env}",
        },
        resources={logical_id: _Attributes(logical_id) for logical_id in template["Resources"]},
        exports=_Imports(),
    )


def is_concrete(value: str) -> bool:
    # "<...>" is how tests/infra/rendered marks what it cannot know either; no AWS name has "<".
    return UNKNOWN not in value and "<" not in value
