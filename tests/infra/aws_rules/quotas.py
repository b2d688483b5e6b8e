"""The quotas a deploy depends on, with a new account's defaults, and what the templates ask of
them. A template can be valid, agree with every other, and still fail on a new account: one
more Elastic IP than the region allows, a reserved concurrency that takes the unreserved pool
below its minimum.

QUOTAS is the table docs/deploy.md prints ("Quotas a deploy depends on"; a test holds the two
together). `demand(stacks)` counts what a set of stacks (everything one account deploys, each
stack with its concrete values) asks of each quota, per the quota's scope; `quota_problems`
compares. The counts come from the resources the stacks really declare at their values, so a
new addon's functions, buckets or rules count without an edit here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from devstack.intrinsics import Unresolvable
from tests.infra.aws_rules.concrete import Concrete, resolver

# The scope a quota counts over: one account (all regions), one region of an account, or one
# resource (a VPC, a security group, a distribution, a web ACL, a load balancer's listener).
ACCOUNT, REGION, RESOURCE = "account", "region", "resource"


@dataclass(frozen=True)
class Quota:
    key: str
    name: str
    default: float  # a new account's value
    scope: str
    source: str


QUOTAS: dict[str, Quota] = {
    q.key: q
    for q in [
        Quota(
            "lambda-unreserved-headroom",
            "Lambda concurrency that can be reserved (concurrent executions minus 100)",
            0,
            REGION,
            "Lambda developer guide: quotas (new accounts have reduced concurrency), "
            "configuring reserved concurrency",
        ),
        Quota("elastic-ips", "Elastic IP addresses", 5, REGION, "Amazon VPC quotas"),
        Quota(
            "vpcs",
            "VPCs (the default VPC included)",
            5,
            REGION,
            "Amazon VPC quotas",
        ),
        Quota("nat-per-zone", "NAT gateways per Availability Zone", 5, REGION, "Amazon VPC quotas"),
        Quota(
            "interface-endpoints",
            "Interface VPC endpoints per VPC",
            50,
            RESOURCE,
            "Amazon VPC quotas (AWS PrivateLink)",
        ),
        Quota(
            "sg-rules",
            "Inbound or outbound rules per security group",
            60,
            RESOURCE,
            "Amazon VPC quotas",
        ),
        Quota(
            "cache-behaviors",
            "Cache behaviors per CloudFront distribution",
            25,
            RESOURCE,
            "CloudFront quotas",
        ),
        Quota(
            "response-headers-policies",
            "CloudFront response headers policies (custom) per account",
            20,
            ACCOUNT,
            "CloudFront quotas",
        ),
        Quota(
            "cloudfront-functions",
            "CloudFront Functions per account",
            100,
            ACCOUNT,
            "CloudFront quotas",
        ),
        Quota(
            "origin-access-controls",
            "CloudFront origin access controls per account",
            100,
            ACCOUNT,
            "CloudFront quotas",
        ),
        Quota(
            "waf-wcus",
            "WAF capacity units (WCUs) per web ACL",
            5000,
            RESOURCE,
            "AWS WAF quotas (above 1,500 WCUs a web ACL costs more)",
        ),
        Quota("iam-roles", "IAM roles per account", 1000, ACCOUNT, "IAM and AWS STS quotas"),
        Quota(
            "s3-buckets",
            "S3 general purpose buckets per account",
            10000,
            ACCOUNT,
            "Amazon S3 quotas",
        ),
        Quota("backup-vaults", "AWS Backup vaults per region", 100, REGION, "AWS Backup quotas"),
        Quota(
            "listener-rules",
            "Rules per Application Load Balancer listener (the default rule excluded)",
            100,
            RESOURCE,
            "Elastic Load Balancing quotas",
        ),
        Quota(
            "fargate-on-demand-vcpu",
            "Fargate On-Demand vCPU resource count",
            6,
            REGION,
            "Amazon ECS endpoints and quotas (Fargate)",
        ),
        Quota(
            "fargate-spot-vcpu",
            "Fargate Spot vCPU resource count",
            6,
            REGION,
            "Amazon ECS endpoints and quotas (Fargate)",
        ),
    ]
}

# WCUs of the managed rule groups and statements the web ACLs use (AWS WAF developer guide,
# "AWS Managed Rules rule groups list", "Rate-based rule statement"). A statement not listed
# here is reported, so that a new rule is counted.
MANAGED_RULE_GROUP_WCUS = {
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    "AWSManagedRulesSQLiRuleSet": 200,
    "AWSManagedRulesLinuxRuleSet": 200,
}
RATE_BASED_WCUS = 2


@dataclass(frozen=True)
class Resource:
    stack: str
    logical_id: str
    type: str
    properties: Mapping[str, Any]
    values: Concrete


def existing(stacks: Iterable[tuple[str, Mapping[str, Any], Concrete]]) -> list[Resource]:
    """Every resource that exists at its stack's values, its properties resolved where they
    can be (a property computed from another resource's id is left out)."""
    found = []
    for stack, template, values in stacks:
        resolve = resolver(template, values)
        for logical_id, resource in (template.get("Resources") or {}).items():
            condition = resource.get("Condition")
            if condition and not resolve.condition(condition):
                continue
            properties = {}
            for key, value in (resource.get("Properties") or {}).items():
                try:
                    properties[key] = resolve.resolve(value)
                except (Unresolvable, IndexError, KeyError, TypeError, ValueError):
                    continue
            found.append(Resource(stack, logical_id, resource["Type"], properties, values))
    return found


def demand(
    resources: list[Resource], fargate: Mapping[str, Mapping[str, float]] | None = None
) -> dict[str, dict[str, float]]:
    """Quota key -> {where: what the resources ask}. `where` is the account, a region, or a
    resource (stack/logical id). `fargate` adds the services' vCPU per region and capacity
    (on-demand, spot), which the manifests decide, not the templates."""
    counts: dict[str, Counter[str]] = {key: Counter() for key in QUOTAS}

    def count(key: str, where: str, amount: float = 1) -> None:
        counts[key][where] += amount

    for r in resources:
        region = r.values.region
        here = f"{r.stack}/{r.logical_id}"
        if r.type == "AWS::Lambda::Function":
            count("lambda-unreserved-headroom", region, 0)
            reserved = r.properties.get("ReservedConcurrentExecutions")
            if reserved is not None:
                count("lambda-unreserved-headroom", region, int(reserved))
        elif r.type == "AWS::EC2::EIP":
            count("elastic-ips", region)
        elif r.type == "AWS::EC2::VPC":
            count("vpcs", region)
        elif r.type == "AWS::EC2::NatGateway":
            count("nat-per-zone", f"{region} zone {r.logical_id[-1]}")
        elif (
            r.type == "AWS::EC2::VPCEndpoint" and r.properties.get("VpcEndpointType") == "Interface"
        ):
            count("interface-endpoints", f"{r.stack} VPC")
        elif r.type == "AWS::EC2::SecurityGroup":
            for direction in ("SecurityGroupIngress", "SecurityGroupEgress"):
                rules = len(r.properties.get(direction) or [])
                count("sg-rules", f"{r.values.env}/{r.logical_id} {direction}", rules)
        elif r.type in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            # Counted with the group's inline rules (the group is often another stack's).
            direction = r.type.rsplit("::", 1)[1]
            group = _group_name(r.properties.get("GroupId"))
            count("sg-rules", f"{r.values.env}/{group} {direction}")
        elif r.type == "AWS::CloudFront::Distribution":
            behaviors = (r.properties.get("DistributionConfig") or {}).get("CacheBehaviors") or []
            count("cache-behaviors", here, len(behaviors))
        elif r.type == "AWS::CloudFront::ResponseHeadersPolicy":
            count("response-headers-policies", "account")
        elif r.type == "AWS::CloudFront::Function":
            count("cloudfront-functions", "account")
        elif r.type == "AWS::CloudFront::OriginAccessControl":
            count("origin-access-controls", "account")
        elif r.type == "AWS::WAFv2::WebACL":
            count("waf-wcus", here, web_acl_wcus(r.properties))
        elif r.type == "AWS::IAM::Role":
            count("iam-roles", "account")
        elif r.type == "AWS::S3::Bucket":
            count("s3-buckets", "account")
        elif r.type == "AWS::Backup::BackupVault":
            count("backup-vaults", region)
        elif r.type == "AWS::ElasticLoadBalancingV2::ListenerRule":
            count("listener-rules", f"{r.stack} listener")
    # The default VPC every region of a new account has.
    for region in {r.values.region for r in resources if r.type == "AWS::EC2::VPC"}:
        count("vpcs", region)
    for region, capacities in (fargate or {}).items():
        for capacity, vcpus in capacities.items():
            count(f"fargate-{capacity}-vcpu", region, vcpus)
    return {key: dict(found) for key, found in counts.items()}


def web_acl_wcus(properties: Mapping[str, Any]) -> float:
    total = 0.0
    for rule in properties.get("Rules") or []:
        statement = rule.get("Statement") or {}
        if "ManagedRuleGroupStatement" in statement:
            name = statement["ManagedRuleGroupStatement"]["Name"]
            if name not in MANAGED_RULE_GROUP_WCUS:
                raise KeyError(f"the WCUs of managed rule group {name}: add them to the table")
            total += MANAGED_RULE_GROUP_WCUS[name]
        elif set(statement) == {"RateBasedStatement"}:
            total += RATE_BASED_WCUS
        else:
            raise KeyError(f"the WCUs of rule {rule.get('Name')}: add its statement to the table")
    return total


def quota_problems(
    asked: Mapping[str, Mapping[str, float]], quotas: Mapping[str, float] | None = None
) -> list[str]:
    """Where a demand exceeds the quota (a new account's default unless `quotas` names the
    value an account has been raised to)."""
    problems = []
    for key, places in sorted(asked.items()):
        limit = (quotas or {}).get(key, QUOTAS[key].default)
        for where, amount in sorted(places.items()):
            if amount > limit:
                problems.append(
                    f"{QUOTAS[key].name} ({where}): {amount:g} asked, the quota is {limit:g}"
                )
    return problems


def _group_name(group: Any) -> str:
    if isinstance(group, str):
        return group.strip("\N{MATHEMATICAL LEFT ANGLE BRACKET}<>").split(".")[0]
    return str(group)
