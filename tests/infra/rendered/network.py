"""The network stack `<app>-<env>-network` (addons/network/vpc.yml), deployed before the
environment and imported by it: its template as CloudFormation deploys it (the transform's loops
unrolled) and the parameters ops/network.py gives it."""

from __future__ import annotations

from typing import Any

from devstack import templates
from ops import environments, network
from tests.infra.rendered import manifests

# The managed prefix lists com.amazonaws.<region>.s3 and .dynamodb (ops/network.py looks them
# up in AWS; these are of AWS's shape).
PREFIX_LISTS = {
    "eu-west-1": {"s3": "pl-6da54004", "dynamodb": "pl-6fa54006"},
    "eu-central-1": {"s3": "pl-6ea54007", "dynamodb": "pl-66a5400f"},
}


def owner(env: str) -> str:
    """The environment whose network stack `env` imports."""
    return environments.network_env(env)


def stack_name(env: str) -> str:
    return network.stack_name(env, manifests.APP)


def template() -> dict[str, Any]:
    return templates.network_template()


def parameter_values(env: str) -> dict[str, str]:
    name = owner(env)
    lists = PREFIX_LISTS[manifests.region(name)]
    return {
        "App": manifests.APP,
        "Env": name,
        "Profile": environments.network_profile(name),
        "S3PrefixListId": lists["s3"],
        "DynamoDbPrefixListId": lists["dynamodb"],
    }
