"""What an environment's name says about it. The templates' conditions read the same rules from
the name (`Env`), and tests/infra/test_environments.py holds them to this module.

    <family>[-<suffix>]

- dev, staging, prod: the pipeline's three environments;
- prod-<region>: prod's standby in a second region, against the table's replica there
  (docs/disaster-recovery.md);
- feat-<name>: a feature environment (`make feature-env NAME=<name>`), disposable like dev, in
  dev's network.
"""

from __future__ import annotations

import re

FAMILIES = ("dev", "staging", "prod", "feat")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class BadEnvironmentName(ValueError):
    """The name does not follow the convention above."""


def family(env: str) -> str:
    if not _NAME.match(env):
        raise BadEnvironmentName(f"{env!r}: lower-case letters, digits and hyphens only")
    name = env.split("-", 1)[0]
    if name not in FAMILIES:
        raise BadEnvironmentName(f"{env!r}: the name starts with one of {', '.join(FAMILIES)}")
    if name == "feat" and env == "feat":
        raise BadEnvironmentName("a feature environment is named feat-<name>")
    return name


def is_feature(env: str) -> bool:
    return family(env) == "feat"


def is_disposable(env: str) -> bool:
    """Data is deleted with the environment, and nothing is protected from deletion."""
    return family(env) in ("dev", "feat")


def standby_region(env: str) -> str | None:
    """The region of prod's standby environment prod-<region>, None for any other."""
    if family(env) != "prod" or env == "prod":
        return None
    region = env.removeprefix("prod-")
    if not _REGION.match(region):
        raise BadEnvironmentName(f"{env!r}: prod's standby is named prod-<region>")
    return region


def primary_of(env: str) -> str:
    """The environment that owns the data: prod for prod's standby, the environment itself
    otherwise."""
    return "prod" if standby_region(env) else env


def network_env(env: str) -> str:
    """Whose network stack the environment imports: a feature environment uses dev's."""
    return "dev" if is_feature(env) else env


def network_profile(env: str) -> str:
    """The Profile parameter of addons/network/vpc.yml."""
    owner = family(network_env(env))
    return {"dev": "development", "staging": "staging", "prod": "production"}[owner]


def variable_prefix(env: str) -> str:
    """The prefix of the manifests' shell variables: prod-eu-central-1 -> PROD_EU_CENTRAL_1."""
    family(env)
    return env.upper().replace("-", "_")
