"""The network of an environment (addons/network/vpc.yml) and its CloudFront-scope web ACL in
us-east-1 (addons/edge/cloudfront-waf.yml): plain CloudFormation on the Copilot path, deployed by
hand; here stacks of the app, with the same names, templates and logical ids, so that the app
takes them over by an update that changes no resource (docs/deploy.md, "Adopting")."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cdk import addons, nag
from cdk.config import APP, EDGE_REGION, Environment
from ops import environments


class NetworkStack(cdk.Stack):
    """Stack <app>-<env>-network: the VPC the environment's tasks, functions and endpoints run in.
    The region's managed prefix lists of the S3 and DynamoDB gateway endpoints are CDK lookups
    (cached in cdk.context.json), where ops/network.py looks them up for the Copilot path."""

    def __init__(self, scope: Construct, env: Environment, **kwargs: Any) -> None:
        super().__init__(
            scope,
            "network",
            stack_name=env.network_stack,
            env=cdk.Environment(account=env.account, region=env.region),
            description=f"{APP}-{env.name}: the VPC, its subnets, NAT gateways and endpoints",
            termination_protection=not env.disposable,
            **kwargs,
        )
        prefix_lists = {
            service: ec2.PrefixList.from_lookup(
                self,
                f"{service}PrefixList",
                prefix_list_name=f"com.amazonaws.{env.region}.{service.lower()}",
            ).prefix_list_id
            for service in ("S3", "DynamoDb")
        }
        template = addons.network_template()
        self.template = addons.include(
            self,
            "Network",
            template,
            {
                "App": APP,
                "Env": env.name,
                "Profile": environments.network_profile(env.name),
                "S3PrefixListId": prefix_lists["S3"],
                "DynamoDbPrefixListId": prefix_lists["DynamoDb"],
            },
        )
        nag.acknowledge_addons(self.template, nag.NETWORK_ADDONS, env.name, env.name)
        nag.acknowledge_network_acls(self.template, template)
        for rule in ("CloudFormation-Validate::W8003", "CloudFormation-Validate::W1001"):
            nag.acknowledge(self, rule, nag.TEMPLATE_VALIDATION[rule])
        nag.acknowledge(
            self,
            "CloudFormation-Validate::W9053",
            "vpc.yml's ThreeZones and NatPerZone both hold for production only (staging shares "
            "one NAT gateway to fit a new account's Elastic IPs): two decisions, kept apart so "
            "that either can change alone.",
        )


class EdgeStack(cdk.Stack):
    """Stack <app>-<env>-edge in us-east-1: the distribution's web ACL. Its ARN reaches the
    environment through the setting cloudfront-web-acl-arn, as on the Copilot path (a stack cannot
    import another region's export)."""

    def __init__(self, scope: Construct, env: Environment, **kwargs: Any) -> None:
        super().__init__(
            scope,
            "edge",
            stack_name=f"{env.stack_prefix}-edge",
            env=cdk.Environment(account=env.account, region=EDGE_REGION),
            description=f"{APP}-{env.name}: the CloudFront-scope web ACL",
            termination_protection=not env.disposable,
            **kwargs,
        )
        self.template = addons.include(
            self, "Edge", addons.edge_template(), {"App": APP, "Env": env.name}
        )
        rule = "CloudFormation-Validate::W8003"
        nag.acknowledge(self, rule, nag.TEMPLATE_VALIDATION[rule])


class RegistryStack(cdk.Stack):
    """Stack <app>-registry, once per account and region: the ECR Public pull-through cache the
    tracing sidecar's image comes through (addons/network/registry.yml), as on the Copilot
    path; its first pull is made from the deploying machine (docs/deploy.md)."""

    def __init__(self, scope: Construct, *, account: str, region: str, **kwargs: Any) -> None:
        super().__init__(
            scope,
            f"registry-{region}",
            stack_name=f"{APP}-registry",
            env=cdk.Environment(account=account, region=region),
            description=f"{APP}: the ECR Public pull-through cache of {region}",
            **kwargs,
        )
        self.template = addons.include(self, "Registry", addons.registry_template(), {"App": APP})
        nag.acknowledge_addons(self.template, nag.REGISTRY_ADDONS, "", "")
