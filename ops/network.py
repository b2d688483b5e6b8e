"""The network stack of an environment (addons/network/vpc.yml, stack <app>-<env>-network):
the parameters it is deployed with, and the shell variables the environment manifest imports
it by (network.vpc.id and the subnets). docs/deploy.md steps 2 and 5 run them:

    aws cloudformation deploy --stack-name teamtasks-dev-network \\
      --template-file addons/network/vpc.yml --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \\
      --parameter-overrides $(python -m ops.network parameters dev)
    eval "$(python -m ops.network variables dev)"

Both read AWS with the ambient credentials and region (AWS_ENDPOINT_URL for the emulator).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3

from ops import environments

APP = "teamtasks"


def stack_name(env: str, app: str = APP) -> str:
    return f"{app}-{environments.network_env(env)}-network"


def zones(env: str) -> int:
    return 3 if environments.network_profile(env) == "production" else 2


def prefix_list_id(ec2: Any, service: str) -> str:
    """The id of AWS's managed prefix list of a gateway endpoint's service in this region."""
    name = f"com.amazonaws.{ec2.meta.region_name}.{service}"
    found = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [name]}]
    )["PrefixLists"]
    if not found:
        raise SystemExit(f"no managed prefix list {name} in {ec2.meta.region_name}")
    return found[0]["PrefixListId"]


def parameters(env: str, ec2: Any, app: str = APP) -> dict[str, str]:
    if environments.is_feature(env):
        raise SystemExit(f"{env} is a feature environment: it uses dev's network stack")
    return {
        "App": app,
        "Env": env,
        "Profile": environments.network_profile(env),
        "S3PrefixListId": prefix_list_id(ec2, "s3"),
        "DynamoDbPrefixListId": prefix_list_id(ec2, "dynamodb"),
    }


def variables(env: str, ssm: Any, app: str = APP) -> dict[str, str]:
    """The manifest's ${<ENV>_VPC_ID}, ${<ENV>_PUBLIC_SUBNET_<n>} and ${<ENV>_PRIVATE_SUBNET_<n>},
    from the settings the network stack writes (of dev's stack, for a feature environment)."""
    owner = environments.network_env(env)
    prefix = environments.variable_prefix(owner)
    names = {f"{prefix}_VPC_ID": f"/{app}/{owner}/network/vpc-id"}
    for tier in ("public", "private"):
        for number in range(1, zones(owner) + 1):
            names[f"{prefix}_{tier.upper()}_SUBNET_{number}"] = (
                f"/{app}/{owner}/network/{tier}-subnet-{number}"
            )
    found = ssm.get_parameters(Names=list(names.values()))
    values = {p["Name"]: p["Value"] for p in found["Parameters"]}
    missing = sorted(set(names.values()) - set(values))
    if missing:
        raise SystemExit(
            f"missing {', '.join(missing)}: deploy the network stack {stack_name(env, app)} first"
        )
    return {variable: values[name] for variable, name in names.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.network", description=__doc__)
    parser.add_argument("what", choices=["parameters", "variables"])
    parser.add_argument("env")
    parser.add_argument("--app", default=APP)
    arguments = parser.parse_args(argv)
    try:
        environments.family(arguments.env)
    except environments.BadEnvironmentName as error:
        parser.error(str(error))
    if arguments.what == "parameters":
        values = parameters(arguments.env, boto3.client("ec2"), arguments.app)
        print(" ".join(f"{key}={value}" for key, value in values.items()))
    else:
        values = variables(arguments.env, boto3.client("ssm"), arguments.app)
        print("\n".join(f"export {key}={value}" for key, value in values.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
