"""addons/network/vpc.yml deployed to the emulator's CloudFormation (moto, in-process), with the
parameters ops/network.py looks up there, then read back through the EC2 and SSM APIs: the
routes each tier's route tables really have, the endpoints and where they are attached, the
endpoints' security group, the flow log; and the manifest variables ops/network.py prints from
the stack's settings, which the environment manifest imports the VPC by.

moto's CloudFormation creates every type of the template except the NACLs (NetworkAcl,
NetworkAclEntry, SubnetNetworkAclAssociation), which it skips: they are checked against the
flow table statically (tests/infra/test_network.py), and the skipped set is asserted here so
that nothing else goes unseen. It also drops two properties, checked there too: a security
group's SecurityGroupEgress (it keeps the default allow-all) and a log group's KmsKeyId."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack import templates
from devstack.intrinsics import Resolver
from devstack.provision import conditions_chosen, for_emulator
from ops import environments, network
from tests.infra.rendered import manifests

REGION = "eu-west-1"
SKIPPED_BY_THE_EMULATOR = {
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::NetworkAclEntry",
    "AWS::EC2::SubnetNetworkAclAssociation",
}


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            yield


def deploy(env: str) -> dict[str, Any]:
    """The network stack of `env` on the emulator: what moto skipped, the stack's outputs and
    its resources' physical ids by logical id."""
    parameters = network.parameters(env, boto3.client("ec2"))
    template = templates.network_template()
    resolver = Resolver(
        template,
        parameters={
            **{k: str(v["Default"]) for k, v in template["Parameters"].items() if "Default" in v},
            **parameters,
        },
        pseudo={"AWS::Region": REGION, "AWS::AccountId": "123456789012", "AWS::Partition": "aws"},
        resources={},
        exports={},
    )
    # moto has no AWS::LanguageExtensions: the loops are unrolled (templates.network_template)
    # and the deletion policies resolved, as the transform would.
    template.pop("Transform")
    template["Resources"] = {k: for_emulator(v, resolver) for k, v in template["Resources"].items()}
    template["Outputs"] = conditions_chosen(template["Outputs"], resolver)
    cloudformation = boto3.client("cloudformation")
    name = network.stack_name(env)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    return {
        "skipped": {
            str(w.message).split(" ")[3] for w in seen if "not supported by moto" in str(w.message)
        },
        "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]},
        "ids": {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in resources
            if "LogicalResourceId" in r
        },
    }


@pytest.fixture(scope="module")
def stacks(aws) -> dict[str, dict[str, Any]]:
    # prod and staging share the region here, as two environments of one account would.
    return {env: deploy(env) for env in ("prod", "dev")}


def test_the_emulator_skips_only_the_nacls(stacks):
    for deployed in stacks.values():
        assert deployed["skipped"] == SKIPPED_BY_THE_EMULATOR


def routes(ec2: Any, table: str) -> dict[str, str]:
    (found,) = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
    return {
        route.get("DestinationCidrBlock") or route["DestinationPrefixListId"]: route.get(
            "GatewayId"
        )
        or route.get("NatGatewayId")
        for route in found["Routes"]
    }


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_each_tiers_route_tables_have_the_routes_of_the_design(stacks, env):
    ec2 = boto3.client("ec2")
    ids = stacks[env]["ids"]
    outputs = stacks[env]["outputs"]
    s3, dynamodb = outputs["S3PrefixListId"], outputs["DynamoDbPrefixListId"]
    local = "10.0.0.0/16"
    assert routes(ec2, ids["PublicRouteTable"]) == {
        local: "local",
        "0.0.0.0/0": ids["InternetGateway"],
    }
    zones = network.zones(env)
    nats = {routes(ec2, ids[f"PrivateRouteTable{n}"])["0.0.0.0/0"] for n in range(1, zones + 1)}
    assert all(nat.startswith("nat-") for nat in nats)
    assert len(nats) == (zones if env == "prod" else 1)
    for n in range(1, zones + 1):
        private = routes(ec2, ids[f"PrivateRouteTable{n}"])
        assert set(private) == {local, "0.0.0.0/0", s3, dynamodb}
        assert private[s3] == ids["S3Endpoint"] and private[dynamodb] == ids["DynamoDbEndpoint"]
    assert routes(ec2, ids["IsolatedRouteTable"]) == {
        local: "local",
        s3: ids["S3Endpoint"],
        dynamodb: ids["DynamoDbEndpoint"],
    }


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_the_endpoints_are_where_the_design_puts_them(stacks, env):
    ec2 = boto3.client("ec2")
    ids = stacks[env]["ids"]
    vpc = stacks[env]["outputs"]["VpcId"]
    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    endpoints = {
        e["ServiceName"].removeprefix(f"com.amazonaws.{REGION}."): e for e in found["VpcEndpoints"]
    }
    assert set(endpoints) == {
        "dynamodb",
        "s3",
        "ecr.api",
        "ecr.dkr",
        "logs",
        "secretsmanager",
        "kms",
        "xray",
        "sts",
        "cognito-idp",
        "email",
    }
    zones = range(1, network.zones(env) + 1)
    isolated = sorted(ids[f"IsolatedSubnet{n}"] for n in zones)
    tables = sorted([ids[f"PrivateRouteTable{n}"] for n in zones] + [ids["IsolatedRouteTable"]])
    for service, endpoint in endpoints.items():
        if endpoint["VpcEndpointType"] == "Gateway":
            assert sorted(endpoint["RouteTableIds"]) == tables, service
        else:
            assert sorted(endpoint["SubnetIds"]) == isolated, service
            assert endpoint["PrivateDnsEnabled"] is True
            assert [g["GroupId"] for g in endpoint["Groups"]] == [ids["EndpointSecurityGroup"]]
        # (moto keeps a CloudFormation-made endpoint's policy as Python's repr of the dict;
        # the policies' content is checked in test_network.py.)
        assert "Statement" in endpoint["PolicyDocument"]


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_the_endpoints_group_admits_https_from_the_private_tier_only(stacks, env):
    ec2 = boto3.client("ec2")
    group_id = stacks[env]["outputs"]["EndpointSecurityGroupId"]
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert [
        (p["IpProtocol"], p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]])
        for p in group["IpPermissions"]
    ] == [("tcp", 443, 443, ["10.0.16.0/20"])]
    # (moto's CloudFormation ignores a security group's SecurityGroupEgress and leaves the
    # default allow-all: the egress is checked in test_network.py.)


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_the_vpc_logs_its_flows_to_the_encrypted_group(stacks, env):
    ec2 = boto3.client("ec2")
    vpc = stacks[env]["outputs"]["VpcId"]
    (log,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
    assert log["LogGroupName"] == f"/teamtasks/{env}/vpc-flow-logs"
    assert log["TrafficType"] == "ALL"
    (group,) = boto3.client("logs").describe_log_groups(
        logGroupNamePrefix=f"/teamtasks/{env}/vpc-flow-logs"
    )["logGroups"]
    assert group["retentionInDays"] == (90 if env == "prod" else 14)
    # (moto's CloudFormation drops a log group's KmsKeyId: test_network.py checks the key.)


@pytest.mark.parametrize("env", ["prod", "dev", "feat-login"])
def test_the_manifest_imports_the_vpc_the_network_stack_made(stacks, env):
    """ops/network.py's variables, from the stack's settings, filled into the environment
    manifest as Copilot reads it: the VPC and the subnets the stack made (dev's for a feature
    environment, whose generated manifest names dev's variables)."""
    owner = environments.network_env(env)
    variables = network.variables(env, boto3.client("ssm"))
    manifest = manifests.environment_manifest(owner, variables)
    outputs = stacks[owner]["outputs"]
    vpc = manifest["network"]["vpc"]
    assert vpc["id"] == outputs["VpcId"]
    assert [s["id"] for s in vpc["subnets"]["public"]] == outputs["PublicSubnets"].split(",")
    assert [s["id"] for s in vpc["subnets"]["private"]] == outputs["PrivateSubnets"].split(",")
    setting = boto3.client("ssm").get_parameter(Name=f"/teamtasks/{owner}/network-stack")
    assert setting["Parameter"]["Value"] == network.stack_name(env)
    # The settings the addons read (addons.parameters.yml): the functions' VPC and subnets.
    ssm = boto3.client("ssm")
    functions = ssm.get_parameter(Name=f"/teamtasks/{owner}/network/private-subnets")
    assert functions["Parameter"]["Value"] == outputs["PrivateSubnets"]
    vpc_setting = ssm.get_parameter(Name=f"/teamtasks/{owner}/network/vpc-id")
    assert vpc_setting["Parameter"]["Value"] == outputs["VpcId"]


def test_a_feature_environment_has_no_network_stack_of_its_own(aws):
    with pytest.raises(SystemExit, match="uses dev's network stack"):
        network.parameters("feat-login", boto3.client("ec2"))
