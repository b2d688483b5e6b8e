"""The network (addons/network/vpc.yml) and what the environment does with it, against the design
written in docs/architecture.md ("Network"): the tiers and their routes, the endpoints and who
calls them, the NACLs as the flow table, the security groups of the load balancer, the tasks
and the endpoints, the flow logs; read from the stacks the model renders per environment
(tests/infra/rendered), so that the imported ids, the patches and the addons are what AWS
would see. tests/infra/test_network_emulator.py deploys the same template to the emulator."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

import pytest

from ops import environments
from ops import network as ops_network
from tests.infra import support
from tests.infra.aws_rules.policies import Request, allowed
from tests.infra.rendered import Scenario, analysis, manifests, render
from tests.infra.rendered.model import Deployment, Stack

ARCHITECTURE = support.ROOT / "docs" / "architecture.md"
PROFILES = {"dev": "development", "staging": "staging", "prod": "production"}
TIERS = ("public", "private", "isolated")
ANYWHERE = "0.0.0.0/0"
SERVICE_PORT = 8080


@cache
def deployment(env: str) -> Deployment:
    return render(env, Scenario.DEPLOYED)


class Network:
    """The network stack of one environment, its intrinsics resolved as CloudFormation would
    (resources as <LogicalId> placeholders)."""

    def __init__(self, env: str):
        self.deployment = deployment(env)
        self.stack: Stack = self.deployment.stack("network")
        self.resolve = analysis.resolver(self.stack, self.deployment)
        octet = self.resolve.resolve({"Ref": "VpcOctet"})
        self.tier_cidrs = {
            "public": f"10.{octet}.0.0/20",
            "private": f"10.{octet}.16.0/20",
            "isolated": f"10.{octet}.32.0/20",
        }

    def resources(self, kind: str | None = None) -> dict[str, dict[str, Any]]:
        """Logical id -> resolved properties, of the resources that exist for this profile."""
        found = {}
        for logical_id, resource in self.stack.template["Resources"].items():
            if kind is not None and resource["Type"] != kind:
                continue
            condition = resource.get("Condition")
            if condition is None or self.resolve.condition(condition):
                found[logical_id] = self.resolve.resolve(resource.get("Properties", {}))
        return found

    def tier_of(self, properties: dict[str, Any]) -> str:
        return {t["Key"]: t["Value"] for t in properties["Tags"]}["teamtasks:tier"]

    def by_tier(self, kind: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {tier: [] for tier in TIERS}
        for logical_id, properties in self.resources(kind).items():
            found[self.tier_of(properties)].append(logical_id)
        return {tier: sorted(ids) for tier, ids in found.items()}


@cache
def network(env: str) -> Network:
    return Network(env)


def ref(logical_id: str) -> str:
    return f"<{logical_id}>"


# -- tiers, zones, routes -------------------------------------------------------------------


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_each_tier_has_a_subnet_in_each_zone_inside_its_block(env):
    net = network(env)
    zones = 3 if environments.network_profile(env) == "production" else 2
    subnets = net.resources("AWS::EC2::Subnet")
    for tier, ids in net.by_tier("AWS::EC2::Subnet").items():
        assert len(ids) == zones, (tier, ids)
        block = ipaddress.ip_network(net.tier_cidrs[tier])
        azs = {str(subnets[i]["AvailabilityZone"]) for i in ids}
        assert len(azs) == zones
        for logical_id in ids:
            assert ipaddress.ip_network(subnets[logical_id]["CidrBlock"]).subnet_of(block)
            assert not subnets[logical_id].get("MapPublicIpOnLaunch")


def associations(net: Network, kind: str, key: str) -> dict[str, str]:
    """Subnet logical id -> the route table or NACL it is associated with."""
    return {p["SubnetId"].strip("<>"): p[key].strip("<>") for p in net.resources(kind).values()}


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_every_subnet_uses_its_tiers_route_table_and_acl(env):
    net = network(env)
    subnets = net.resources("AWS::EC2::Subnet")
    tables = net.resources("AWS::EC2::RouteTable")
    acls = net.resources("AWS::EC2::NetworkAcl")
    routes = associations(net, "AWS::EC2::SubnetRouteTableAssociation", "RouteTableId")
    filters = associations(net, "AWS::EC2::SubnetNetworkAclAssociation", "NetworkAclId")
    assert set(routes) == set(filters) == set(subnets)
    for subnet, properties in subnets.items():
        tier = net.tier_of(properties)
        assert net.tier_of(tables[routes[subnet]]) == tier, subnet
        assert net.tier_of(acls[filters[subnet]]) == tier, subnet


def default_routes(net: Network) -> dict[str, dict[str, Any]]:
    """Route table logical id -> the target of its 0.0.0.0/0 route."""
    found = {}
    for properties in net.resources("AWS::EC2::Route").values():
        assert properties["DestinationCidrBlock"] == ANYWHERE
        target = {
            k: v for k, v in properties.items() if k not in ("RouteTableId", "DestinationCidrBlock")
        }
        found[properties["RouteTableId"].strip("<>")] = target
    return found


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_only_public_and_private_tiers_route_out_and_isolated_never(env):
    net = network(env)
    tables = net.by_tier("AWS::EC2::RouteTable")
    routes = default_routes(net)
    (public,) = tables["public"]
    assert routes[public] == {"GatewayId": ref("InternetGateway")}
    gateways = [routes[t]["NatGatewayId"].strip("<>") for t in tables["private"]]
    nat = net.resources("AWS::EC2::NatGateway")
    for table, gateway in zip(tables["private"], gateways, strict=True):
        assert set(routes[table]) == {"NatGatewayId"}
        # The NAT gateway sits in the public tier.
        subnet = nat[gateway]["SubnetId"].strip("<>")
        assert net.tier_of(net.resources("AWS::EC2::Subnet")[subnet]) == "public"
    per_zone = environments.network_profile(env) == "production"
    assert len(set(gateways)) == (len(gateways) if per_zone else 1)
    for table in tables["isolated"]:
        assert table not in routes, "the isolated tier has no route out of the VPC"


# -- endpoints --------------------------------------------------------------------------------


def markdown_table(heading: str) -> list[dict[str, str]]:
    """The first table under `heading` in docs/architecture.md, as rows of column -> cell."""
    lines = ARCHITECTURE.read_text().split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    header, _, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def documented_endpoints() -> dict[str, str]:
    return {
        row["Endpoint"].strip("`"): row["Type"]
        for row in markdown_table("### Who calls what through which endpoint")
    }


def service_of(properties: dict[str, Any], region: str) -> str:
    return properties["ServiceName"].removeprefix(f"com.amazonaws.{region}.")


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_the_endpoints_are_the_documented_ones(env):
    net = network(env)
    endpoints = net.resources("AWS::EC2::VPCEndpoint")
    found = {
        service_of(p, net.stack.region): p["VpcEndpointType"].lower() for p in endpoints.values()
    }
    assert found == documented_endpoints()


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_gateway_endpoints_serve_the_private_and_isolated_route_tables(env):
    net = network(env)
    tables = net.by_tier("AWS::EC2::RouteTable")
    for properties in net.resources("AWS::EC2::VPCEndpoint").values():
        if properties["VpcEndpointType"] != "Gateway":
            continue
        served = sorted(t.strip("<>") for t in properties["RouteTableIds"])
        assert served == sorted(tables["private"] + tables["isolated"])


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_interface_endpoints_live_in_the_isolated_tier_with_private_dns(env):
    net = network(env)
    isolated = net.by_tier("AWS::EC2::Subnet")["isolated"]
    for logical_id, properties in net.resources("AWS::EC2::VPCEndpoint").items():
        if properties["VpcEndpointType"] != "Interface":
            continue
        assert sorted(s.strip("<>") for s in properties["SubnetIds"]) == isolated, logical_id
        assert properties["PrivateDnsEnabled"] is True
        assert properties["SecurityGroupIds"] == [ref("EndpointSecurityGroup")]


def statements(properties: dict[str, Any]) -> list[dict[str, Any]]:
    return properties["PolicyDocument"]["Statement"]


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_every_endpoint_policy_is_limited_to_this_accounts_resources(env):
    net = network(env)
    account = "111122223333"
    for logical_id, properties in net.resources("AWS::EC2::VPCEndpoint").items():
        for statement in statements(properties):
            assert statement["Effect"] == "Allow", logical_id
            condition = statement.get("Condition") or {}
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            named = all(f":{account}:" in r for r in resources)
            account_keys = {
                key: value
                for operator in condition.values()
                for key, value in operator.items()
                if key in ("aws:PrincipalAccount", "aws:ResourceAccount")
            }
            layers = resources == [f"arn:aws:s3:::prod-{net.stack.region}-starport-layer-bucket/*"]
            assert named or layers or account_keys.get("aws:ResourceAccount") == account, (
                logical_id,
                statement,
            )
            if statement["Resource"] == "*":
                assert account_keys == {
                    "aws:PrincipalAccount": account,
                    "aws:ResourceAccount": account,
                }, logical_id


# -- NACLs: the flow table ---------------------------------------------------------------------


def documented_flows(net: Network) -> set[tuple]:
    peers = {"anywhere": ANYWHERE, **net.tier_cidrs}
    flows = set()
    for row in markdown_table("### Network ACLs: the flow table"):
        low, _, high = row["Ports"].partition("-")
        flows.add(
            (
                row["Tier"],
                row["Direction"] == "out",
                int(row["Rule"]),
                {"tcp": 6, "udp": 17}[row["Protocol"]],
                int(low),
                int(high or low),
                peers[row["Peer"]],
            )
        )
    return flows


def template_flows(net: Network) -> set[tuple]:
    acls = net.resources("AWS::EC2::NetworkAcl")
    flows = set()
    for properties in net.resources("AWS::EC2::NetworkAclEntry").values():
        assert properties["RuleAction"] == "allow", "the design allows flows; * denies the rest"
        ports = properties["PortRange"]
        flows.add(
            (
                net.tier_of(acls[properties["NetworkAclId"].strip("<>")]),
                properties["Egress"],
                properties["RuleNumber"],
                int(properties["Protocol"]),
                ports["From"],
                ports["To"],
                properties["CidrBlock"],
            )
        )
    return flows


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_the_nacls_are_the_flow_table(env):
    net = network(env)
    documented = documented_flows(net)
    assert len(documented) == 11
    assert template_flows(net) == documented


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_the_isolated_tier_talks_to_the_private_tier_only(env):
    net = network(env)
    for tier, egress, _, _, low, high, peer in template_flows(net):
        if tier == "isolated":
            assert peer == net.tier_cidrs["private"]
            assert (low, high) == ((1024, 65535) if egress else (443, 443))


# -- security groups ---------------------------------------------------------------------------


def environment_groups(env: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The rendered environment stack's resources, and every egress and ingress rule that
    names the tasks' group (inline or as separate resources, in the stack or its addons)."""
    d = deployment(env)
    stack = d.stack("environment")
    resolve = analysis.resolver(stack, d)
    resources = {
        logical_id: resource
        for logical_id, resource in stack.template["Resources"].items()
        if resource.get("Condition") is None or resolve.condition(resource["Condition"])
    }
    addons = d.stack("environment-addons")
    addon_resolve = analysis.resolver(addons, d, follow_imports=True)
    rules = []
    for logical_id, resource in addons.template["Resources"].items():
        if resource["Type"] in ("AWS::EC2::SecurityGroupEgress", "AWS::EC2::SecurityGroupIngress"):
            properties = addon_resolve.resolve(resource["Properties"])
            rules.append({"id": logical_id, "type": resource["Type"], **properties})
    return {k: resolve.resolve(v) for k, v in resources.items()}, rules


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_tasks_accept_only_the_load_balancer_on_the_service_port(env):
    resources, _ = environment_groups(env)
    ingress = {
        k: v["Properties"]
        for k, v in resources.items()
        if v["Type"] == "AWS::EC2::SecurityGroupIngress"
        and v["Properties"]["GroupId"] == ref("EnvironmentSecurityGroup")
    }
    sources = {p["SourceSecurityGroupId"] for p in ingress.values()}
    assert sources == {
        ref("PublicHTTPLoadBalancerSecurityGroup"),
        ref("PublicHTTPSLoadBalancerSecurityGroup"),
    }
    for properties in ingress.values():
        assert (properties["IpProtocol"], properties["FromPort"], properties["ToPort"]) == (
            "tcp",
            SERVICE_PORT,
            SERVICE_PORT,
        )
    assert "SecurityGroupIngress" not in resources["EnvironmentSecurityGroup"]["Properties"]


def test_the_service_port_is_the_one_the_service_listens_on():
    assert support.load_yaml(support.SERVICE_MANIFEST)["image"]["port"] == SERVICE_PORT


@pytest.mark.parametrize("env", [*support.ENVIRONMENTS, "feat-login"])
def test_tasks_let_out_only_to_the_endpoints_and_the_gateway_prefix_lists(env):
    d = deployment(env)
    stack = d.stack("environment")
    group = stack.template["Resources"]["EnvironmentSecurityGroup"]
    # Inline, all of them (issue 19.12), with the imports resolved to what the network exports.
    egress = analysis.resolver(stack, d, follow_imports=True).resolve(group["Properties"])[
        "SecurityGroupEgress"
    ]
    destinations = {
        r.get("DestinationSecurityGroupId") or r.get("DestinationPrefixListId") for r in egress
    }
    assert destinations == {
        exported(env, "EndpointSecurityGroupId"),
        exported(env, "S3PrefixListId"),
        exported(env, "DynamoDbPrefixListId"),
    }
    for rule in egress:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
        assert "CidrIp" not in rule


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_the_functions_let_out_only_to_the_same_endpoints(env):
    """The environment's Lambda functions (stream.yml's group, in the private tier): S3,
    DynamoDB and the interface endpoints, inline; no address range at all."""
    d = deployment(env)
    addons = d.stack("environment-addons")
    resolve = analysis.resolver(addons, d, follow_imports=True)
    group = resolve.resolve(addons.template["Resources"]["PrivateFunctionsSecurityGroup"])
    inline = group["Properties"]["SecurityGroupEgress"]
    assert "SecurityGroupIngress" not in group["Properties"]
    destinations = {
        r.get("DestinationSecurityGroupId") or r.get("DestinationPrefixListId") for r in inline
    }
    assert destinations == {
        exported(env, "EndpointSecurityGroupId"),
        exported(env, "S3PrefixListId"),
        exported(env, "DynamoDbPrefixListId"),
    }
    for rule in inline:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
        assert "CidrIp" not in rule


def exported(env: str, name: str) -> str:
    """The value the network stack exports as <stack>-<name>, as an importer resolves it."""
    net = network(env)
    return str(net.resolve.resolve(net.stack.template["Outputs"][name]["Value"]))


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_the_load_balancer_lets_out_only_to_the_tasks(env):
    resources, _ = environment_groups(env)
    for group in ("PublicHTTPLoadBalancerSecurityGroup", "PublicHTTPSLoadBalancerSecurityGroup"):
        egress = resources[group]["Properties"]["SecurityGroupEgress"]
        assert [
            (r["IpProtocol"], r["FromPort"], r["ToPort"], r["DestinationSecurityGroupId"])
            for r in egress
        ] == [("tcp", SERVICE_PORT, SERVICE_PORT, "<EnvironmentSecurityGroup.GroupId>")]


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_the_endpoints_admit_only_the_private_tier(env):
    net = network(env)
    group = net.resources("AWS::EC2::SecurityGroup")["EndpointSecurityGroup"]
    assert [
        (r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"])
        for r in group["SecurityGroupIngress"]
    ] == [("tcp", 443, 443, net.tier_cidrs["private"])]
    assert [(r["CidrIp"], r["IpProtocol"]) for r in group["SecurityGroupEgress"]] == [
        ("255.255.255.255/32", "icmp")
    ]


# -- the imported VPC, the flow logs ---------------------------------------------------------


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_copilot_puts_the_load_balancer_and_the_tasks_in_the_imported_tiers(env):
    """The environment stack Copilot renders for network.vpc.id: no VPC of its own, no NAT,
    the imported ids where it names the VPC and its subnets."""
    d = deployment(env)
    environment = d.stack("environment").template
    types = {r["Type"] for r in environment["Resources"].values()}
    assert not types & {
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::NatGateway",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::FlowLog",
    }
    prefix = environments.variable_prefix(environments.network_env(env))
    shell = manifests.network_variables(env)
    zones = range(1, ops_network.zones(env) + 1)
    public = [shell[f"{prefix}_PUBLIC_SUBNET_{n}"] for n in zones]
    private = [shell[f"{prefix}_PRIVATE_SUBNET_{n}"] for n in zones]
    balancer = environment["Resources"]["PublicLoadBalancer"]["Properties"]
    assert balancer["Subnets"] == public
    outputs = environment["Outputs"]
    assert outputs["VpcId"]["Value"] == shell[f"{prefix}_VPC_ID"]
    assert outputs["PrivateSubnets"]["Value"] == {"Fn::Join": [",", private]}
    service = d.stack("service").template["Resources"]["Service"]["Properties"]
    subnets = service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    assert subnets == {
        "Fn::Split": [",", {"Fn::ImportValue": {"Fn::Sub": "${AppName}-${EnvName}-PrivateSubnets"}}]
    }


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_flow_logs_cover_the_vpc_encrypted_with_the_network_key(env):
    net = network(env)
    (log,) = net.resources("AWS::EC2::FlowLog").values()
    assert (log["ResourceType"], log["ResourceId"], log["TrafficType"]) == (
        "VPC",
        ref("Vpc"),
        "ALL",
    )
    group = net.resources("AWS::Logs::LogGroup")[log["LogGroupName"].strip("<>")]
    assert group["KmsKeyId"] == "<NetworkKey.Arn>"
    retention = {"development": 14, "staging": 30, "production": 90}
    assert group["RetentionInDays"] == retention[environments.network_profile(env)]
    key = net.resources("AWS::KMS::Key")["NetworkKey"]["KeyPolicy"]["Statement"]
    (logs,) = [s for s in key if s.get("Principal", {}).get("Service", "").startswith("logs.")]
    context = logs["Condition"]["StringEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert context.endswith(f":log-group:{group['LogGroupName']}")


# -- the JWKS request through the Cognito endpoint (issue 19.13) --------------------------------


def endpoint_policies(env: str) -> dict[str, dict[str, Any]]:
    net = network(env)
    return {
        logical_id: properties["PolicyDocument"]
        for logical_id, properties in net.resources("AWS::EC2::VPCEndpoint").items()
    }


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_the_cognito_endpoint_admits_the_unsigned_jwks_request(env):
    """The service fetches the user pool's signing keys (/<pool>/.well-known/jwks.json on
    cognito-idp's endpoint) without signing the request: it has no principal, so only a
    statement that does not ask for one admits it. Cognito evaluates the endpoint's policy for
    unauthenticated requests to a user pool (its PrivateLink guide); the Cognito endpoint's
    policy admits any cognito-idp request on this account's user pools whoever makes it, and
    another account's pool for nobody."""
    region = network(env).stack.region
    pool = f"arn:aws:cognito-idp:{region}:111122223333:userpool/{region}_AbCdEf123"
    policy = endpoint_policies(env)["CognitoEndpoint"]
    for action in ("cognito-idp:DescribeUserPool", "cognito-idp:InitiateAuth"):
        assert allowed(policy, Request(action, pool)), action  # no principal, no account key
        assert not allowed(policy, Request(action, pool.replace("111122223333", "444455556666")))
    # The other interface endpoints' policy asks for this account's principal: it would refuse
    # the unsigned request, which is why Cognito's endpoint has its own.
    generic = endpoint_policies(env)["secretsmanagerEndpoint"]
    assert not allowed(generic, Request("cognito-idp:DescribeUserPool", pool))
