"""The environment stack `<app>-<env>` as Copilot renders it (templates/environment/cf.yml and its
partials), for the environment manifests this repository has. One function per partial; a
manifest feature the repository does not use and the model does not cover raises Unmodelled, so
that using it fails the tests until the model learns it.

The manifests import their VPC (`network.vpc.id` and the subnets, from addons/network/vpc.yml):
cf.yml then renders none of vpc-resources.yml and nat-gateways.yml, writes the imported ids where
it would refer to them (the namespace, the security groups, the load balancer, the target group,
the flow log), and exports VpcId, PublicSubnets and PrivateSubnets as those literal ids, with no
internet gateway, route table or App Runner endpoint outputs. Copilot's default managed VPC is
still modelled, for a manifest without `network.vpc.id`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.infra.rendered import manifests
from tests.infra.rendered.cfn import (
    NO_VALUE,
    and_,
    condition,
    custom_resource_function,
    equals,
    export,
    getatt,
    if_,
    join,
    lambda_role,
    not_,
    ref,
    service_role,
    sub,
)

# The managed prefix list Copilot looks up for `http.public.ingress.cdn` (its id is per region).
CLOUDFRONT_PREFIX_LIST = "pl-4fa04526"
ELB_ACCOUNTS = {
    "eu-west-1": "156460612806",
    "us-east-1": "127311923021",
    "eu-central-1": "054676820928",
}


class Unmodelled(Exception):
    """A manifest uses a Copilot feature the model does not render yet."""


class CopilotRefuses(Exception):
    """Copilot would refuse this manifest (internal/pkg/manifest/validate_env.go)."""


@dataclass(frozen=True)
class Vpc:
    """What the rest of the stack names the VPC and its subnets by: Refs to the managed VPC's
    resources, or the imported ids."""

    id: Any
    public_subnets: list[Any]
    private_subnets: list[Any]
    imported: bool


def parameters() -> dict[str, Any]:
    names = [
        "AppName",
        "EnvironmentName",
        "ALBWorkloads",
        "InternalALBWorkloads",
        "EFSWorkloads",
        "NATWorkloads",
        "AppRunnerPrivateWorkloads",
        "ToolsAccountPrincipalARN",
        "AppDNSName",
        "AppDNSDelegationRole",
        "Aliases",
    ]
    result: dict[str, Any] = {name: {"Type": "String"} for name in names}
    for name in ("CreateHTTPSListener", "CreateInternalHTTPSListener"):
        result[name] = {"Type": "String", "AllowedValues": ["true", "false"]}
    result["ServiceDiscoveryEndpoint"] = {"Type": "String"}
    return result


def conditions() -> dict[str, Any]:
    return {
        "CreateALB": not_(equals(ref("ALBWorkloads"), "")),
        "CreateInternalALB": not_(equals(ref("InternalALBWorkloads"), "")),
        "DelegateDNS": not_(equals(ref("AppDNSName"), "")),
        "ExportHTTPSListener": and_(
            condition("CreateALB"), equals(ref("CreateHTTPSListener"), "true")
        ),
        "ExportInternalHTTPSListener": and_(
            condition("CreateInternalALB"), equals(ref("CreateInternalHTTPSListener"), "true")
        ),
        "CreateEFS": not_(equals(ref("EFSWorkloads"), "")),
        "CreateNATGateways": not_(equals(ref("NATWorkloads"), "")),
        "CreateAppRunnerVPCEndpoint": not_(equals(ref("AppRunnerPrivateWorkloads"), "")),
        "ManagedAliases": and_(
            condition("DelegateDNS"),
            not_(equals(ref("Aliases"), "")),
            condition("CreateALB"),
        ),
    }


def _bootstrap() -> dict[str, Any]:
    """partials/bootstrap-resources.yml: the roles Copilot and CloudFormation act as."""
    execution = {
        "Type": "AWS::IAM::Role",
        "DeletionPolicy": "Retain",
        "Properties": {
            "RoleName": sub("${AWS::StackName}-CFNExecutionRole"),
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": ["cloudformation.amazonaws.com"]},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Path": "/",
            "Policies": [
                {
                    "PolicyName": "executeCfn",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "NotAction": ["organizations:*", "account:*"],
                                "Resource": "*",
                            }
                        ],
                    },
                }
            ],
        },
    }
    manager = {
        "Type": "AWS::IAM::Role",
        "DeletionPolicy": "Retain",
        "DependsOn": "CloudformationExecutionRole",
        "Properties": {
            "RoleName": sub("${AWS::StackName}-EnvManagerRole"),
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": sub("${ToolsAccountPrincipalARN}")},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Path": "/",
            # Copilot's policy has some thirty statements (CloudFormation, ECS, ECR, logs,
            # reads of S3 and SSM); none of them writes to the frontend bucket or invalidates
            # CloudFront, which is why addons/environment/frontend.yml attaches its own policy.
            "Policies": [
                {
                    "PolicyName": "root",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "CloudFormation",
                                "Effect": "Allow",
                                "Action": [
                                    "cloudformation:CreateChangeSet",
                                    "cloudformation:Describe*",
                                    "cloudformation:ExecuteChangeSet",
                                    "cloudformation:UpdateStack",
                                ],
                                "Resource": "*",
                            }
                        ],
                    },
                }
            ],
        },
    }
    return {"CloudformationExecutionRole": execution, "EnvironmentManagerRole": manager}


def _access_logs_bucket(region: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """partials/elb-access-logs.yml, rendered when `http.public.access_logs` names no bucket."""
    resources = {
        "ELBAccessLogsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Condition": "CreateALB",
            "DependsOn": "ELBAccessLogsBucket",
            "Properties": {
                "Bucket": ref("ELBAccessLogsBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Action": ["s3:PutObject"],
                            "Effect": "Allow",
                            "Resource": [
                                join(
                                    "",
                                    [
                                        "arn:",
                                        ref("AWS::Partition"),
                                        ":s3:::",
                                        ref("ELBAccessLogsBucket"),
                                        "/AWSLogs/",
                                        ref("AWS::AccountId"),
                                        "/*",
                                    ],
                                )
                            ],
                            "Principal": {
                                "AWS": join(
                                    "",
                                    [
                                        sub("arn:${AWS::Partition}:iam::"),
                                        {
                                            "Fn::FindInMap": [
                                                "RegionalConfigs",
                                                ref("AWS::Region"),
                                                "ElbAccountId",
                                            ]
                                        },
                                        ":root",
                                    ],
                                )
                            },
                        }
                    ],
                },
            },
        },
        "ELBAccessLogsBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
            },
        },
        "ELBAccessLogsBucketCleanerAction": {
            "Type": "Custom::BucketCleanerFunction",
            "Properties": {
                "ServiceToken": getatt("BucketCleanerFunction", "Arn"),
                "BucketName": ref("ELBAccessLogsBucket"),
            },
        },
        "BucketCleanerFunction": custom_resource_function("ELBAccessLogsBucketCleanerRole"),
        "ELBAccessLogsBucketCleanerRole": lambda_role(),
    }
    if region not in ELB_ACCOUNTS:
        raise Unmodelled(f"the ELB account of region {region}")
    mappings = {
        "RegionalConfigs": {
            name: {"ElbAccountId": account} for name, account in ELB_ACCOUNTS.items()
        }
    }
    return resources, mappings


def _cdn(manifest: dict[str, Any]) -> dict[str, Any]:
    """partials/cdn-resources.yml for `cdn` with an imported certificate and static assets."""
    cdn = manifest.get("cdn")
    if not cdn:
        return {}
    if not isinstance(cdn, dict) or not cdn.get("certificate"):
        raise Unmodelled("a CDN without an imported certificate")
    if cdn.get("terminate_tls"):
        raise Unmodelled("cdn.terminate_tls")
    static = cdn.get("static_assets")
    if not static:
        raise Unmodelled("a CDN without static_assets")
    all_methods = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
    alb_origin = sub("copilot-${AppName}-${EnvironmentName}-origin")
    s3_origin = sub("copilot-${AppName}-${EnvironmentName}-s3")
    return {
        "UniqueJSONValuesFunctionRole": {**lambda_role(), "Condition": "CreateALB"},
        "UniqueJSONValuesFunction": {
            **custom_resource_function("UniqueJSONValuesFunctionRole"),
            "Condition": "CreateALB",
        },
        "UniqueAliasesAction": {
            "Type": "Custom::UniqueJSONValuesFunction",
            "Condition": "CreateALB",
            "Properties": {
                "ServiceToken": getatt("UniqueJSONValuesFunction", "Arn"),
                "Aliases": ref("Aliases"),
                "AdditionalStrings": [static["alias"]],
                "FilterFor": ref("ALBWorkloads"),
            },
        },
        "CloudFrontOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Description": "Access control for static s3 origin",
                    "Name": sub("copilot-${AppName}-${EnvironmentName}-origin-access-control"),
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "CloudFrontDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Condition": "CreateALB",
            "Metadata": {"aws:copilot:description": "A CloudFront distribution"},
            "Properties": {
                "DistributionConfig": {
                    "Aliases": getatt("UniqueAliasesAction", "UniqueValues"),
                    "DefaultCacheBehavior": {
                        "AllowedMethods": all_methods,
                        "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                        "TargetOriginId": alb_origin,
                        "OriginRequestPolicyId": "216adef6-5c7f-47e4-b989-5492eafa07d3",
                        "ViewerProtocolPolicy": "allow-all",
                    },
                    "Enabled": True,
                    "IPV6Enabled": True,
                    "Origins": [
                        {
                            "Id": alb_origin,
                            "DomainName": getatt("PublicLoadBalancer", "DNSName"),
                            "CustomOriginConfig": {"OriginProtocolPolicy": "match-viewer"},
                        },
                        {
                            "Id": s3_origin,
                            "DomainName": static["location"],
                            "OriginAccessControlId": ref("CloudFrontOriginAccessControl"),
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        },
                    ],
                    "CacheBehaviors": [
                        {
                            "AllowedMethods": all_methods,
                            "ViewerProtocolPolicy": "allow-all",
                            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                            "TargetOriginId": s3_origin,
                            "PathPattern": static["path"],
                        }
                    ],
                    "ViewerCertificate": {
                        "AcmCertificateArn": cdn["certificate"],
                        "MinimumProtocolVersion": "TLSv1",
                        "SslSupportMethod": "sni-only",
                    },
                }
            },
        },
    }


def _imported_vpc(vpc: dict[str, Any]) -> Vpc:
    """validate_env.go's rules for `network.vpc.id`: ids only (no cidr or az), at least two
    public subnets if any (a load balancer needs two zones) and at least two private ones."""
    if "cidr" in vpc:
        raise CopilotRefuses("cannot import VPC resources and customize them at the same time")
    subnets = vpc.get("subnets") or {}
    found: dict[str, list[str]] = {}
    for kind in ("public", "private"):
        entries = subnets.get(kind) or []
        for entry in entries:
            if set(entry) != {"id"} or not entry["id"]:
                raise CopilotRefuses(f"{kind} subnet {entry}: an imported subnet is an id only")
        if len(entries) == 1:
            raise CopilotRefuses(f"at least two {kind} subnets must be imported")
        found[kind] = [entry["id"] for entry in entries]
    if not found["public"] and not found["private"]:
        raise CopilotRefuses("VPC must have subnets in order to proceed with environment creation")
    return Vpc(vpc["id"], found["public"], found["private"], imported=True)


def _vpc(manifest: dict[str, Any]) -> tuple[dict[str, Any], Vpc]:
    """partials/vpc-resources.yml and nat-gateways.yml: Copilot's default VPC over two zones;
    nothing for an imported VPC."""
    vpc = ((manifest.get("network") or {}).get("vpc")) or {}
    if "security_group" in vpc:
        raise Unmodelled("network.vpc.security_group")
    if "id" in vpc:
        return {}, _imported_vpc(vpc)
    if "cidr" in vpc or "subnets" in vpc:
        raise Unmodelled("a customised VPC (network.vpc.cidr/subnets)")
    name = {"Key": "Name", "Value": sub("copilot-${AppName}-${EnvironmentName}")}
    resources: dict[str, Any] = {
        "VPC": {
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": "10.0.0.0/16",
                "EnableDnsHostnames": True,
                "EnableDnsSupport": True,
                "InstanceTenancy": "default",
                "Tags": [name],
            },
        },
        "PublicRouteTable": {
            "Type": "AWS::EC2::RouteTable",
            "Properties": {"VpcId": ref("VPC"), "Tags": [name]},
        },
        "DefaultPublicRoute": {
            "Type": "AWS::EC2::Route",
            "DependsOn": "InternetGatewayAttachment",
            "Properties": {
                "RouteTableId": ref("PublicRouteTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": ref("InternetGateway"),
            },
        },
        "InternetGateway": {"Type": "AWS::EC2::InternetGateway", "Properties": {"Tags": [name]}},
        "InternetGatewayAttachment": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"InternetGatewayId": ref("InternetGateway"), "VpcId": ref("VPC")},
        },
    }
    subnets = (
        ("Public", ("10.0.0.0/24", "10.0.1.0/24"), True),
        ("Private", ("10.0.2.0/24", "10.0.3.0/24"), False),
    )
    for kind, cidrs, public in subnets:
        for number, cidr in enumerate(cidrs, start=1):
            resources[f"{kind}Subnet{number}"] = {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "CidrBlock": cidr,
                    "VpcId": ref("VPC"),
                    "AvailabilityZone": {"Fn::Select": [number - 1, {"Fn::GetAZs": ""}]},
                    "MapPublicIpOnLaunch": public,
                    "Tags": [
                        {
                            "Key": "Name",
                            "Value": sub(
                                "copilot-${AppName}-${EnvironmentName}-"
                                + ("pub" if public else "priv")
                                + str(number - 1)
                            ),
                        }
                    ],
                },
            }
    for number in (1, 2):
        resources[f"PublicSubnet{number}RouteTableAssociation"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {
                "RouteTableId": ref("PublicRouteTable"),
                "SubnetId": ref(f"PublicSubnet{number}"),
            },
        }
        resources[f"NatGateway{number}Attachment"] = {
            "Type": "AWS::EC2::EIP",
            "Condition": "CreateNATGateways",
            "DependsOn": "InternetGatewayAttachment",
            "Properties": {"Domain": "vpc"},
        }
        resources[f"NatGateway{number}"] = {
            "Type": "AWS::EC2::NatGateway",
            "Condition": "CreateNATGateways",
            "Properties": {
                "AllocationId": getatt(f"NatGateway{number}Attachment", "AllocationId"),
                "SubnetId": ref(f"PublicSubnet{number}"),
                "Tags": [
                    {
                        "Key": "Name",
                        "Value": sub(f"copilot-${{AppName}}-${{EnvironmentName}}-{number - 1}"),
                    }
                ],
            },
        }
        resources[f"PrivateRouteTable{number}"] = {
            "Type": "AWS::EC2::RouteTable",
            "Condition": "CreateNATGateways",
            "Properties": {"VpcId": ref("VPC")},
        }
        resources[f"PrivateRoute{number}"] = {
            "Type": "AWS::EC2::Route",
            "Condition": "CreateNATGateways",
            "Properties": {
                "RouteTableId": ref(f"PrivateRouteTable{number}"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": ref(f"NatGateway{number}"),
            },
        }
        resources[f"PrivateRouteTable{number}Association"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Condition": "CreateNATGateways",
            "Properties": {
                "RouteTableId": ref(f"PrivateRouteTable{number}"),
                "SubnetId": ref(f"PrivateSubnet{number}"),
            },
        }
    managed = Vpc(
        ref("VPC"),
        [ref("PublicSubnet1"), ref("PublicSubnet2")],
        [ref("PrivateSubnet1"), ref("PrivateSubnet2")],
        imported=False,
    )
    return resources, managed


def _ingress_rules(port: int, public_http: dict[str, Any]) -> list[dict[str, Any]]:
    ingress = public_http.get("ingress") or {}
    rules = []
    if ingress.get("cdn"):
        rules.append(
            {
                "SourcePrefixListId": CLOUDFRONT_PREFIX_LIST,
                "Description": f"Allow ingress from prefix list {CLOUDFRONT_PREFIX_LIST}",
                "FromPort": port,
                "IpProtocol": "tcp",
                "ToPort": port,
            }
        )
    for cidr in ingress.get("source_ips") or []:
        rules.append({"CidrIp": cidr, "FromPort": port, "IpProtocol": "tcp", "ToPort": port})
    if not rules:
        rules.append({"CidrIp": "0.0.0.0/0", "FromPort": port, "IpProtocol": "tcp", "ToPort": port})
    return rules


def _load_balancer(manifest: dict[str, Any], creates_log_bucket: bool, vpc: Vpc) -> dict[str, Any]:
    """cf.yml: the public ALB, its security groups, listeners, the shared security group."""
    public_http = ((manifest.get("http") or {}).get("public")) or {}
    certificates = public_http.get("certificates") or []
    if not certificates:
        raise Unmodelled("an environment without imported certificates (app domain DNS)")
    access_logs = public_http.get("access_logs")
    attributes: list[dict[str, Any]]
    if access_logs:
        attributes = [{"Key": "access_logs.s3.enabled", "Value": "true"}]
        if isinstance(access_logs, dict) and access_logs.get("prefix"):
            attributes.append({"Key": "access_logs.s3.prefix", "Value": access_logs["prefix"]})
        bucket = (access_logs.get("bucket_name") if isinstance(access_logs, dict) else None) or ref(
            "ELBAccessLogsBucket"
        )
        attributes.append({"Key": "access_logs.s3.bucket", "Value": bucket})
    else:
        attributes = [{"Key": "access_logs.s3.enabled", "Value": "false"}]
    vpc_id = vpc.id
    resources: dict[str, Any] = {
        "PublicHTTPLoadBalancerSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Condition": "CreateALB",
            "Properties": {
                "GroupDescription": "HTTP access to the public facing load balancer",
                "SecurityGroupIngress": _ingress_rules(80, public_http),
                "VpcId": vpc_id,
                "Tags": [
                    {"Key": "Name", "Value": sub("copilot-${AppName}-${EnvironmentName}-lb-http")}
                ],
            },
        },
        "PublicHTTPSLoadBalancerSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Condition": "ExportHTTPSListener",
            "Properties": {
                "GroupDescription": "HTTPS access to the public facing load balancer",
                "SecurityGroupIngress": _ingress_rules(443, public_http),
                "VpcId": vpc_id,
                "Tags": [
                    {"Key": "Name", "Value": sub("copilot-${AppName}-${EnvironmentName}-lb-https")}
                ],
            },
        },
        "EnvironmentSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": join(
                    "", [ref("AppName"), "-", ref("EnvironmentName"), "EnvironmentSecurityGroup"]
                ),
                "VpcId": vpc_id,
                "Tags": [
                    {"Key": "Name", "Value": sub("copilot-${AppName}-${EnvironmentName}-env")}
                ],
            },
        },
        "EnvironmentHTTPSecurityGroupIngressFromPublicALB": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Condition": "CreateALB",
            "Properties": {
                "Description": "HTTP ingress from the public ALB",
                "GroupId": ref("EnvironmentSecurityGroup"),
                "IpProtocol": "-1",
                "SourceSecurityGroupId": ref("PublicHTTPLoadBalancerSecurityGroup"),
            },
        },
        "EnvironmentHTTPSSecurityGroupIngressFromPublicALB": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Condition": "ExportHTTPSListener",
            "Properties": {
                "Description": "HTTPS ingress from the public ALB",
                "GroupId": ref("EnvironmentSecurityGroup"),
                "IpProtocol": "-1",
                "SourceSecurityGroupId": ref("PublicHTTPSLoadBalancerSecurityGroup"),
            },
        },
        "EnvironmentSecurityGroupIngressFromSelf": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "Description": "Ingress from other containers in the same security group",
                "GroupId": ref("EnvironmentSecurityGroup"),
                "IpProtocol": "-1",
                "SourceSecurityGroupId": ref("EnvironmentSecurityGroup"),
            },
        },
        "PublicLoadBalancer": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Condition": "CreateALB",
            **({"DependsOn": "ELBAccessLogsBucketPolicy"} if creates_log_bucket else {}),
            "Properties": {
                "LoadBalancerAttributes": attributes,
                "Scheme": "internet-facing",
                "SecurityGroups": [
                    getatt("PublicHTTPLoadBalancerSecurityGroup", "GroupId"),
                    if_(
                        "ExportHTTPSListener",
                        getatt("PublicHTTPSLoadBalancerSecurityGroup", "GroupId"),
                        NO_VALUE,
                    ),
                ],
                "Subnets": list(vpc.public_subnets),
                "Type": "application",
            },
        },
        "DefaultHTTPTargetGroup": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Condition": "CreateALB",
            "Properties": {
                "HealthCheckIntervalSeconds": 10,
                "HealthyThresholdCount": 2,
                "HealthCheckTimeoutSeconds": 5,
                "Port": 80,
                "Protocol": "HTTP",
                "TargetGroupAttributes": [
                    {"Key": "deregistration_delay.timeout_seconds", "Value": "60"}
                ],
                "TargetType": "ip",
                "VpcId": vpc_id,
            },
        },
        "HTTPListener": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Condition": "CreateALB",
            "Properties": {
                "DefaultActions": [
                    {"TargetGroupArn": ref("DefaultHTTPTargetGroup"), "Type": "forward"}
                ],
                "LoadBalancerArn": ref("PublicLoadBalancer"),
                "Port": 80,
                "Protocol": "HTTP",
            },
        },
        "HTTPSListener": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Condition": "ExportHTTPSListener",
            "Properties": {
                "Certificates": [{"CertificateArn": certificates[0]}],
                "DefaultActions": [
                    {"TargetGroupArn": ref("DefaultHTTPTargetGroup"), "Type": "forward"}
                ],
                "LoadBalancerArn": ref("PublicLoadBalancer"),
                "Port": 443,
                "Protocol": "HTTPS",
                **(
                    {"SslPolicy": public_http["ssl_policy"]}
                    if public_http.get("ssl_policy")
                    else {}
                ),
            },
        },
    }
    for number, arn in enumerate(certificates[1:], start=2):
        resources[f"HTTPSImportCertificate{number}"] = {
            "Type": "AWS::ElasticLoadBalancingV2::ListenerCertificate",
            "Condition": "ExportHTTPSListener",
            "Properties": {
                "ListenerArn": ref("HTTPSListener"),
                "Certificates": [{"CertificateArn": arn}],
            },
        }
    return resources


def _flow_logs(manifest: dict[str, Any], vpc: Vpc) -> dict[str, Any]:
    flow_logs = (((manifest.get("network") or {}).get("vpc")) or {}).get("flow_logs")
    if not flow_logs:
        return {}
    retention = flow_logs.get("retention", 14) if isinstance(flow_logs, dict) else 14
    return {
        "VpcFlowLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": join("-", [ref("AppName"), ref("EnvironmentName"), "FlowLogs"]),
                "RetentionInDays": retention,
            },
        },
        "FlowLog": {
            "Type": "AWS::EC2::FlowLog",
            "Properties": {
                "DeliverLogsPermissionArn": getatt("FlowLogRole", "Arn"),
                "LogDestinationType": "cloud-watch-logs",
                "LogGroupName": ref("VpcFlowLogGroup"),
                "MaxAggregationInterval": 60,
                "ResourceId": vpc.id,
                "ResourceType": "VPC",
                "TrafficType": "ALL",
            },
        },
        "FlowLogRole": service_role(
            "vpc-flow-logs.amazonaws.com",
            {
                "Policies": [
                    {
                        "PolicyName": "GrantAccesstoEC2toPublishFlowlogs",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": [
                                        "logs:CreateLogStream",
                                        "logs:PutLogEvents",
                                        "logs:DescribeLogGroups",
                                        "logs:DescribeLogStreams",
                                    ],
                                    "Resource": "*",
                                }
                            ],
                        },
                    }
                ],
            },
        ),
    }


def _vpc_outputs(vpc: Vpc) -> dict[str, Any]:
    outputs: dict[str, Any] = {"VpcId": {"Value": vpc.id, "Export": export("VpcId")}}
    for name, subnets in (
        ("PublicSubnets", vpc.public_subnets),
        ("PrivateSubnets", vpc.private_subnets),
    ):
        if subnets:
            outputs[name] = {"Value": join(",", list(subnets)), "Export": export(name)}
    if vpc.imported:
        return outputs
    outputs["InternetGatewayID"] = {
        "Value": ref("InternetGateway"),
        "Export": export("InternetGatewayID"),
    }
    outputs["PublicRouteTableID"] = {
        "Value": ref("PublicRouteTable"),
        "Export": export("PublicRouteTableID"),
    }
    outputs["PrivateRouteTableIDs"] = {
        "Condition": "CreateNATGateways",
        "Value": join(",", [ref("PrivateRouteTable1"), ref("PrivateRouteTable2")]),
        "Export": export("PrivateRouteTableIDs"),
    }
    return outputs


def _outputs(has_cdn: bool, vpc: Vpc) -> dict[str, Any]:
    """cf.yml's Outputs for a public ALB (the exports services import)."""
    outputs: dict[str, Any] = {
        **_vpc_outputs(vpc),
        "ServiceDiscoveryNamespaceID": {
            "Value": getatt("ServiceDiscoveryNamespace", "Id"),
            "Export": export("ServiceDiscoveryNamespaceID"),
        },
        "EnvironmentSecurityGroup": {
            "Value": ref("EnvironmentSecurityGroup"),
            "Export": export("EnvironmentSecurityGroup"),
        },
        "PublicLoadBalancerDNSName": {
            "Condition": "CreateALB",
            "Value": getatt("PublicLoadBalancer", "DNSName"),
            "Export": export("PublicLoadBalancerDNS"),
        },
        "PublicLoadBalancerFullName": {
            "Condition": "CreateALB",
            "Value": getatt("PublicLoadBalancer", "LoadBalancerFullName"),
            "Export": export("PublicLoadBalancerFullName"),
        },
        "PublicLoadBalancerHostedZone": {
            "Condition": "CreateALB",
            "Value": getatt("PublicLoadBalancer", "CanonicalHostedZoneID"),
            "Export": export("CanonicalHostedZoneID"),
        },
        "HTTPListenerArn": {
            "Condition": "CreateALB",
            "Value": ref("HTTPListener"),
            "Export": export("HTTPListenerArn"),
        },
        "HTTPSListenerArn": {
            "Condition": "ExportHTTPSListener",
            "Value": ref("HTTPSListener"),
            "Export": export("HTTPSListenerArn"),
        },
        "DefaultHTTPTargetGroupArn": {
            "Condition": "CreateALB",
            "Value": ref("DefaultHTTPTargetGroup"),
            "Export": export("DefaultHTTPTargetGroup"),
        },
        "ClusterId": {"Value": ref("Cluster"), "Export": export("ClusterId")},
        "EnvironmentManagerRoleARN": {
            "Value": getatt("EnvironmentManagerRole", "Arn"),
            "Export": export("EnvironmentManagerRoleARN"),
        },
        "CFNExecutionRoleARN": {
            "Value": getatt("CloudformationExecutionRole", "Arn"),
            "Export": export("CFNExecutionRoleARN"),
        },
        "EnabledFeatures": {
            "Value": sub(
                "${ALBWorkloads},${InternalALBWorkloads},${EFSWorkloads},${NATWorkloads},"
                "${Aliases},${AppRunnerPrivateWorkloads}"
            )
        },
        "PublicALBAccessible": {"Condition": "CreateALB", "Value": "false"},
        "LastForceDeployID": {"Value": ""},
    }
    if has_cdn:
        outputs["CloudFrontDomainName"] = {
            "Condition": "CreateALB",
            "Value": getatt("CloudFrontDistribution", "DomainName"),
            "Export": export("CloudFrontDomainName"),
        }
    return outputs


def template(
    env: str,
    manifest: dict[str, Any],
    *,
    addons_parameters: dict[str, Any] | None,
    region: str = manifests.REGION,
) -> dict[str, Any]:
    """The rendered environment stack (before the overrides), with the AddonsStack resource when
    the environment has addons."""
    public_http = ((manifest.get("http") or {}).get("public")) or {}
    access_logs = public_http.get("access_logs")
    creates_log_bucket = bool(access_logs) and not (
        isinstance(access_logs, dict) and access_logs.get("bucket_name")
    )
    resources: dict[str, Any] = {**_bootstrap()}
    mappings: dict[str, Any] = {}
    if creates_log_bucket:
        bucket_resources, mappings = _access_logs_bucket(region)
        resources.update(bucket_resources)
    resources.update(_cdn(manifest))
    vpc_resources, vpc = _vpc(manifest)
    resources.update(vpc_resources)
    resources["ServiceDiscoveryNamespace"] = {
        "Type": "AWS::ServiceDiscovery::PrivateDnsNamespace",
        "Properties": {"Name": ref("ServiceDiscoveryEndpoint"), "Vpc": vpc.id},
    }
    insights = (manifest.get("observability") or {}).get("container_insights")
    resources["Cluster"] = {
        "Type": "AWS::ECS::Cluster",
        "Properties": {
            "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
            "Configuration": {"ExecuteCommandConfiguration": {"Logging": "DEFAULT"}},
            **(
                {
                    "ClusterSettings": [
                        {
                            "Name": "containerInsights",
                            "Value": "enabled" if insights else "disabled",
                        }
                    ]
                }
                if insights is not None
                else {}
            ),
        },
    }
    resources.update(_load_balancer(manifest, creates_log_bucket, vpc))
    resources.update(_flow_logs(manifest, vpc))
    if addons_parameters is not None:
        resources["AddonsStack"] = {
            "Type": "AWS::CloudFormation::Stack",
            "Metadata": {
                "aws:copilot:description": "A CloudFormation nested stack for your addons"
            },
            "Properties": {
                "Parameters": {
                    "App": ref("AppName"),
                    "Env": ref("EnvironmentName"),
                    **addons_parameters,
                },
                "TemplateURL": f"https://stackset-teamtasks-infrastru-pipelinebuiltartifactbuc.s3.{region}.amazonaws.com/manual/addons/environments/{env}.yml",
            },
        }
    result: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "CloudFormation environment template for infrastructure shared among "
        "Copilot workloads.",
        "Parameters": parameters(),
        "Conditions": conditions(),
        "Resources": resources,
        "Outputs": _outputs(has_cdn="CloudFrontDistribution" in resources, vpc=vpc),
    }
    if mappings:
        result["Mappings"] = mappings
    return result


def parameter_values(env: str, *, services: dict[str, list[str]]) -> dict[str, str]:
    """The values Copilot (and its env controller) give the stack: `services` maps each deployed
    load-balanced service to its aliases; an empty map is the environment before its first
    service."""
    aliases = json.dumps(services, separators=(",", ":")) if services else ""
    return {
        "AppName": manifests.APP,
        "EnvironmentName": env,
        "ALBWorkloads": ",".join(services),
        "InternalALBWorkloads": "",
        "EFSWorkloads": "",
        "NATWorkloads": ",".join(services),
        "AppRunnerPrivateWorkloads": "",
        "ToolsAccountPrincipalARN": f"arn:aws:iam::{manifests.ACCOUNT}:root",
        "AppDNSName": "",
        "AppDNSDelegationRole": "",
        "Aliases": aliases,
        "CreateHTTPSListener": "true",
        "CreateInternalHTTPSListener": "false",
        "ServiceDiscoveryEndpoint": f"{env}.{manifests.APP}.local",
    }
