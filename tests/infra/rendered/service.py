"""The Load Balanced Web Service stack `<app>-<env>-<svc>` as Copilot renders it
(templates/workloads/services/lb-web/cf.yml and workloads/partials/cf/*), for the service
manifest this repository has: behind the environment's HTTPS listener (imported certificates),
private placement, autoscaling, X-Ray tracing, named rollback alarms, and an addons stack whose
outputs are wired in as Copilot wires them (internal/pkg/addon/output.go and
deploy/cloudformation/stack/workload.go):

- an output whose value is exactly `!Ref` of an AWS::IAM::ManagedPolicy goes to the task role's
  ManagedPolicyArns;
- of an AWS::SecretsManager::Secret, to the main container's Secrets;
- of an AWS::EC2::SecurityGroup, to the service's security groups;
- any other output, to the main container's Environment under Copilot's snake-case name.
Each of these reads `Fn::GetAtt: [AddonsStack, Outputs.<name>]`."""

from __future__ import annotations

import re
from typing import Any

from devstack import templates
from tests.infra.rendered.cfn import (
    NO_VALUE,
    custom_resource_function,
    equals,
    getatt,
    if_,
    import_value,
    join,
    lambda_role,
    not_,
    ref,
    service_role,
    sub,
)
from tests.infra.rendered.environment import Unmodelled
from tests.infra.rendered.version import COPILOT_VERSION

OTEL_COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.17.0"
TYPED_OUTPUTS = {
    "AWS::IAM::ManagedPolicy": "policy",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::EC2::SecurityGroup": "security_group",
}


def output_kinds(addons: dict[str, Any]) -> dict[str, str]:
    """Output name -> how Copilot uses it: policy, secret, security_group or variable."""
    kinds = {}
    for name, output in (addons.get("Outputs") or {}).items():
        value = output.get("Value")
        kind = "variable"
        if isinstance(value, dict) and set(value) == {"Ref"}:
            resource = (addons.get("Resources") or {}).get(value["Ref"]) or {}
            kind = TYPED_OUTPUTS.get(resource.get("Type", ""), "variable")
        kinds[name] = kind
    return kinds


def seconds(duration: Any, default: int) -> int:
    if duration is None:
        return default
    if isinstance(duration, int):
        return duration
    total = 0
    for amount, unit in re.findall(r"(\d+)(h|m|s)", str(duration)):
        total += int(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total


def _addon_output(name: str) -> dict[str, Any]:
    return {"Fn::GetAtt": ["AddonsStack", f"Outputs.{name}"]}


def _environment(manifest: dict[str, Any], kinds: dict[str, str]) -> list[dict[str, Any]]:
    """envvars-common.yml then envvars-container.yml, for the main container."""
    variables: list[dict[str, Any]] = [
        {"Name": "COPILOT_APPLICATION_NAME", "Value": sub("${AppName}")},
        {"Name": "COPILOT_SERVICE_DISCOVERY_ENDPOINT", "Value": "placeholder.local"},
        {"Name": "COPILOT_ENVIRONMENT_NAME", "Value": sub("${EnvName}")},
        {"Name": "COPILOT_SERVICE_NAME", "Value": sub("${WorkloadName}")},
    ]
    for name, kind in kinds.items():
        if kind == "variable":
            variables.append(
                {"Name": templates.copilot_variable_name(name), "Value": _addon_output(name)}
            )
    variables.append(
        {
            "Name": "COPILOT_LB_DNS",
            "Value": getatt("EnvControllerAction", "PublicLoadBalancerDNSName"),
        }
    )
    for name, value in sorted((manifest.get("variables") or {}).items()):
        if isinstance(value, dict) and "from_cfn" in value:
            variables.append({"Name": name, "Value": import_value(value["from_cfn"])})
        else:
            variables.append({"Name": name, "Value": str(value)})
    return variables


def _secrets(manifest: dict[str, Any], kinds: dict[str, str]) -> list[dict[str, Any]]:
    """secrets.yml: the manifest's secrets, then the addons' secret outputs."""
    secrets: list[dict[str, Any]] = []
    for name, value in sorted((manifest.get("secrets") or {}).items()):
        if isinstance(value, dict) and "from_cfn" in value:
            secrets.append({"Name": name, "ValueFrom": import_value(value["from_cfn"])})
        elif isinstance(value, dict) and "secretsmanager" in value:
            secrets.append(
                {
                    "Name": name,
                    "ValueFrom": sub(
                        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
                        + value["secretsmanager"]
                    ),
                }
            )
        else:
            secrets.append({"Name": name, "ValueFrom": value})
    for name, kind in kinds.items():
        if kind == "secret":
            secrets.append(
                {"Name": templates.copilot_variable_name(name), "ValueFrom": _addon_output(name)}
            )
    return secrets


def _log_configuration() -> dict[str, Any]:
    return {
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-region": ref("AWS::Region"),
            "awslogs-group": ref("LogGroup"),
            "awslogs-stream-prefix": "copilot",
        },
    }


def _containers(manifest: dict[str, Any], kinds: dict[str, str]) -> list[dict[str, Any]]:
    """workload-container.yml and sidecars.yml."""
    image = manifest.get("image") or {}
    main: dict[str, Any] = {
        "Name": ref("WorkloadName"),
        "Image": ref("ContainerImage"),
        "Environment": _environment(manifest, kinds),
        "EnvironmentFiles": [
            if_("HasEnvFile", {"Type": "s3", "Value": ref("EnvFileARN")}, NO_VALUE)
        ],
        "LogConfiguration": _log_configuration(),
        "PortMappings": [{"ContainerPort": int(image["port"]), "Protocol": "tcp"}],
    }
    secrets = _secrets(manifest, kinds)
    if secrets:
        main["Secrets"] = secrets
    check = image.get("healthcheck")
    if check:
        main["HealthCheck"] = {
            "Command": list(check["command"]),
            "Interval": seconds(check.get("interval"), 10),
            "Retries": int(check.get("retries", 2)),
            "StartPeriod": seconds(check.get("start_period"), 0),
            "Timeout": seconds(check.get("timeout"), 5),
        }
    if (manifest.get("storage") or {}).get("readonly_fs"):
        main["ReadonlyRootFilesystem"] = True
    containers = [main]
    if manifest.get("sidecars"):
        raise Unmodelled("sidecars")
    if manifest.get("logging") and set(manifest["logging"]) - {"retention"}:
        raise Unmodelled("FireLens logging")
    if (manifest.get("observability") or {}).get("tracing") == "awsxray":
        containers.append(
            {
                "Name": "aws-otel-collector",
                "Image": OTEL_COLLECTOR_IMAGE,
                "Command": ["--config=/etc/ecs/ecs-xray.yaml"],
                "LogConfiguration": _log_configuration(),
            }
        )
    return containers


def _exec_enabled(manifest: dict[str, Any]) -> bool:
    value = manifest.get("exec")
    if isinstance(value, dict):
        return bool(value.get("enable"))
    return bool(value)


def _task_role(manifest: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """taskrole.yml: the addons' managed policies attached, IAM denied, exec and ADOT grants."""
    policies: list[dict[str, Any]] = [
        {
            "PolicyName": "DenyIAM",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}],
            },
        }
    ]
    if _exec_enabled(manifest):
        policies.append(
            {
                "PolicyName": "ExecuteCommand",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "ssmmessages:CreateControlChannel",
                                "ssmmessages:OpenControlChannel",
                                "ssmmessages:CreateDataChannel",
                                "ssmmessages:OpenDataChannel",
                            ],
                            "Resource": "*",
                        }
                    ],
                },
            }
        )
    if (manifest.get("observability") or {}).get("tracing") == "awsxray":
        policies.append(
            {
                "PolicyName": "AWSDistroOpenTelemetryPolicy",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:PutLogEvents",
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:DescribeLogStreams",
                                "logs:DescribeLogGroups",
                                "xray:PutTraceSegments",
                                "xray:PutTelemetryRecords",
                                "xray:GetSamplingRules",
                                "xray:GetSamplingTargets",
                                "xray:GetSamplingStatisticSummaries",
                            ],
                            "Resource": "*",
                        }
                    ],
                },
            }
        )
    properties: dict[str, Any] = {"Policies": policies}
    managed = [_addon_output(name) for name, kind in kinds.items() if kind == "policy"]
    if managed:
        properties = {"ManagedPolicyArns": managed, **properties}
    return service_role("ecs-tasks.amazonaws.com", properties)


def _execution_role() -> dict[str, Any]:
    """executionrole.yml: reads tagged secrets and parameters, pulls the image."""
    return service_role(
        "ecs-tasks.amazonaws.com",
        {
            "Policies": [
                {
                    "PolicyName": join(
                        "",
                        [
                            ref("AppName"),
                            "-",
                            ref("EnvName"),
                            "-",
                            ref("WorkloadName"),
                            "SecretsPolicy",
                        ],
                    ),
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["secretsmanager:GetSecretValue"],
                                "Resource": [
                                    sub(
                                        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:*"
                                    )
                                ],
                                "Condition": {
                                    "StringEquals": {
                                        "secretsmanager:ResourceTag/copilot-application": sub(
                                            "${AppName}"
                                        ),
                                        "secretsmanager:ResourceTag/copilot-environment": sub(
                                            "${EnvName}"
                                        ),
                                    }
                                },
                            },
                            {
                                "Effect": "Allow",
                                "Action": ["kms:Decrypt"],
                                "Resource": [ref("ArtifactKeyARN")],
                            },
                        ],
                    },
                }
            ],
            "ManagedPolicyArns": [
                sub(
                    "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
                )
            ],
        },
    )


def _autoscaling(manifest: dict[str, Any]) -> dict[str, Any]:
    """autoscaling.yml, for `count.range` with CPU and request targets."""
    count = manifest.get("count")
    if not isinstance(count, dict) or "range" not in count:
        return {}
    scaling = count["range"]
    minimum, maximum = (
        (scaling["min"], scaling["max"])
        if isinstance(scaling, dict)
        else map(int, str(scaling).split("-"))
    )
    resources: dict[str, Any] = {
        "DynamicDesiredCountAction": {
            "Type": "Custom::DynamicDesiredCountFunction",
            "Properties": {
                "ServiceToken": getatt("DynamicDesiredCountFunction", "Arn"),
                "Cluster": import_value("${AppName}-${EnvName}-ClusterId"),
                "App": ref("AppName"),
                "Env": ref("EnvName"),
                "Svc": ref("WorkloadName"),
                "DefaultDesiredCount": ref("TaskCount"),
                "UpdateID": "model",
            },
        },
        "DynamicDesiredCountFunction": custom_resource_function("DynamicDesiredCountFunctionRole"),
        "DynamicDesiredCountFunctionRole": lambda_role(),
        "AutoScalingRole": service_role(
            "ecs-tasks.amazonaws.com",
            {
                "ManagedPolicyArns": [
                    sub(
                        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceAutoscaleRole"
                    )
                ],
            },
        ),
        "AutoScalingTarget": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "MinCapacity": int(minimum),
                "MaxCapacity": int(maximum),
                "ResourceId": join(
                    "/",
                    [
                        "service",
                        import_value("${AppName}-${EnvName}-ClusterId"),
                        getatt("Service", "Name"),
                    ],
                ),
                "ScalableDimension": "ecs:service:DesiredCount",
                "ServiceNamespace": "ecs",
                "RoleARN": getatt("AutoScalingRole", "Arn"),
            },
        },
    }

    def cooldowns(field: Any) -> dict[str, int]:
        cooldown = (
            (field.get("cooldown") if isinstance(field, dict) else None)
            or count.get("cooldown")
            or {}
        )
        return {
            "ScaleInCooldown": seconds(cooldown.get("in"), 120),
            "ScaleOutCooldown": seconds(cooldown.get("out"), 60),
        }

    def target(field: Any) -> int:
        return int(field["value"] if isinstance(field, dict) else field)

    if "cpu_percentage" in count:
        resources["AutoScalingPolicyECSServiceAverageCPUUtilization"] = {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Properties": {
                "PolicyName": join(
                    "-", [ref("WorkloadName"), "ECSServiceAverageCPUUtilization", "ScalingPolicy"]
                ),
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": ref("AutoScalingTarget"),
                "TargetTrackingScalingPolicyConfiguration": {
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                    },
                    **cooldowns(count["cpu_percentage"]),
                    "TargetValue": target(count["cpu_percentage"]),
                },
            },
        }
    if "requests" in count:
        resources["AutoScalingPolicyALBSumRequestCountPerTarget"] = {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Properties": {
                "PolicyName": join(
                    "-", [ref("WorkloadName"), "ALBSumRequestCountPerTarget", "ScalingPolicy"]
                ),
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": ref("AutoScalingTarget"),
                "TargetTrackingScalingPolicyConfiguration": {
                    "CustomizedMetricSpecification": {
                        "Dimensions": [
                            {
                                "Name": "LoadBalancer",
                                "Value": getatt(
                                    "EnvControllerAction", "PublicLoadBalancerFullName"
                                ),
                            },
                            {
                                "Name": "TargetGroup",
                                "Value": getatt("TargetGroup", "TargetGroupFullName"),
                            },
                        ],
                        "MetricName": "RequestCountPerTarget",
                        "Namespace": "AWS/ApplicationELB",
                        "Statistic": "Sum",
                    },
                    **cooldowns(count["requests"]),
                    "TargetValue": target(count["requests"]),
                },
            },
        }
    for unsupported in ("memory_percentage", "response_time"):
        if unsupported in count:
            raise Unmodelled(f"count.{unsupported}")
    return resources


def _env_controller(manifest: dict[str, Any]) -> dict[str, Any]:
    """env-controller.yml: the custom resource that updates the environment stack's
    ALBWorkloads, Aliases and NATWorkloads, and returns the environment's load balancer."""
    aliases = _aliases(manifest)
    private = _placement(manifest) == "private"
    parameters = ["ALBWorkloads,", "Aliases,"] + (["NATWorkloads,"] if private else [])
    properties: dict[str, Any] = {
        "ServiceToken": getatt("EnvControllerFunction", "Arn"),
        "Workload": ref("WorkloadName"),
        **({"Aliases": aliases} if aliases else {}),
        "EnvStack": sub("${AppName}-${EnvName}"),
        "Parameters": parameters,
        "EnvVersion": COPILOT_VERSION,
    }
    return {
        "EnvControllerAction": {"Type": "Custom::EnvControllerFunction", "Properties": properties},
        "EnvControllerFunction": {
            **custom_resource_function("EnvControllerRole"),
        },
        "EnvControllerRole": lambda_role(
            {
                "Policies": [
                    {
                        "PolicyName": "EnvControllerStackUpdate",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": [
                                        "cloudformation:DescribeStacks",
                                        "cloudformation:UpdateStack",
                                    ],
                                    "Resource": sub(
                                        "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${AppName}-${EnvName}/*"
                                    ),
                                }
                            ],
                        },
                    }
                ]
            }
        ),
    }


def _aliases(manifest: dict[str, Any]) -> list[str]:
    alias = (manifest.get("http") or {}).get("alias")
    if alias is None:
        return []
    items = alias if isinstance(alias, list) else [alias]
    names = []
    for item in items:
        if isinstance(item, dict):
            if item.get("hosted_zone"):
                raise Unmodelled("aliases with a hosted zone (alias records)")
            names.append(item["name"])
        else:
            names.append(item)
    return names


def _placement(manifest: dict[str, Any]) -> str:
    placement = ((manifest.get("network") or {}).get("vpc") or {}).get("placement", "public")
    if isinstance(placement, dict):
        raise Unmodelled("placement by subnet ids or tags")
    return placement


def rule_path(manifest: dict[str, Any]) -> str:
    path = str((manifest.get("http") or {}).get("path", ""))
    return "/" if not path else path if path.startswith("/") else "/" + path


def path_patterns(manifest: dict[str, Any]) -> list[str]:
    path = rule_path(manifest)
    return ["/*"] if path == "/" else [path, f"{path}/*"]


def _listener_rules(manifest: dict[str, Any]) -> dict[str, Any]:
    """alb.yml and https-listener.yml: the target group and the rules on the environment's
    HTTP (redirect) and HTTPS (forward) listeners, with their priority custom resources."""
    http = manifest.get("http") or {}
    check = http.get("healthcheck") or {}
    if isinstance(check, str):
        check = {"path": check}
    aliases = _aliases(manifest)
    if not aliases:
        raise Unmodelled("a service without http.alias behind an HTTPS listener")
    redirect = http.get("redirect_to_https", True)
    image_port = str((manifest.get("image") or {}).get("port"))
    group: dict[str, Any] = {
        "HealthCheckPath": check.get("path", "/"),
        "Port": int(image_port),
        "Protocol": "HTTPS" if image_port == "443" else "HTTP",
        "TargetGroupAttributes": [
            {
                "Key": "deregistration_delay.timeout_seconds",
                "Value": str(seconds(http.get("deregistration_delay"), 60)),
            },
            {"Key": "stickiness.enabled", "Value": str(bool(http.get("stickiness"))).lower()},
        ],
        "TargetType": "ip",
        "VpcId": import_value("${AppName}-${EnvName}-VpcId"),
    }
    for key, prop in (
        ("success_codes", "Matcher"),
        ("healthy_threshold", "HealthyThresholdCount"),
        ("unhealthy_threshold", "UnhealthyThresholdCount"),
        ("interval", "HealthCheckIntervalSeconds"),
        ("timeout", "HealthCheckTimeoutSeconds"),
    ):
        if key in check:
            value = check[key]
            if prop == "Matcher":
                group[prop] = {"HttpCode": str(value)}
            elif key in ("interval", "timeout"):
                group[prop] = seconds(value, 0)
            else:
                group[prop] = int(value)
    conditions = [
        {"Field": "host-header", "HostHeaderConfig": {"Values": aliases}},
        {"Field": "path-pattern", "PathPatternConfig": {"Values": path_patterns(manifest)}},
    ]
    if http.get("allowed_source_ips"):
        conditions.insert(
            0,
            {"Field": "source-ip", "SourceIpConfig": {"Values": list(http["allowed_source_ips"])}},
        )
    http_action = (
        {
            "Type": "redirect",
            "RedirectConfig": {
                "Protocol": "HTTPS",
                "Port": "443",
                "Host": "#{host}",
                "Path": "/#{path}",
                "Query": "#{query}",
                "StatusCode": "HTTP_301",
            },
        }
        if redirect
        else {"TargetGroupArn": ref("TargetGroup"), "Type": "forward"}
    )
    return {
        "TargetGroup": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": group},
        "RulePriorityFunction": custom_resource_function(
            "RulePriorityFunctionRole", "index.nextAvailableRulePriorityHandler"
        ),
        "RulePriorityFunctionRole": lambda_role(
            {
                "Policies": [
                    {
                        "PolicyName": "RulePriorityGeneratorAccess",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": ["elasticloadbalancing:DescribeRules"],
                                    "Resource": "*",
                                }
                            ],
                        },
                    }
                ]
            }
        ),
        "HTTPSRulePriorityAction": {
            "Type": "Custom::RulePriorityFunction",
            "Properties": {
                "ServiceToken": getatt("RulePriorityFunction", "Arn"),
                "RulePath": [rule_path(manifest)],
                "ListenerArn": getatt("EnvControllerAction", "HTTPSListenerArn"),
            },
        },
        "HTTPRuleWithDomainPriorityAction": {
            "Type": "Custom::RulePriorityFunction",
            "Properties": {
                "ServiceToken": getatt("RulePriorityFunction", "Arn"),
                "RulePath": [rule_path(manifest)],
                "ListenerArn": getatt("EnvControllerAction", "HTTPListenerArn"),
            },
        },
        "HTTPListenerRuleWithDomain": {
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "Actions": [http_action],
                "Conditions": [dict(c) for c in conditions],
                "ListenerArn": getatt("EnvControllerAction", "HTTPListenerArn"),
                "Priority": getatt("HTTPRuleWithDomainPriorityAction", "Priority"),
            },
        },
        "HTTPSListenerRule": {
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "Actions": [{"TargetGroupArn": ref("TargetGroup"), "Type": "forward"}],
                "Conditions": [dict(c) for c in conditions],
                "ListenerArn": getatt("EnvControllerAction", "HTTPSListenerArn"),
                "Priority": getatt("HTTPSRulePriorityAction", "Priority"),
            },
        },
    }


def _service(manifest: dict[str, Any], kinds: dict[str, str], autoscaled: bool) -> dict[str, Any]:
    """The ECS service (cf.yml and service-base-properties.yml)."""
    count = manifest.get("count")
    spot_from = (
        count["range"].get("spot_from")
        if isinstance(count, dict) and isinstance(count.get("range"), dict)
        else None
    )
    deployment = manifest.get("deployment") or {}
    rolling = deployment.get("rolling", "default")
    alarms = deployment.get("rollback_alarms")
    if isinstance(alarms, dict):
        raise Unmodelled("Copilot-made rollback alarms (cpu/memory utilization)")
    configuration: dict[str, Any] = {
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
        "MinimumHealthyPercent": 0 if rolling == "recreate" else 100,
        "MaximumPercent": 100 if rolling == "recreate" else 200,
        "Alarms": (
            {"AlarmNames": list(alarms), "Enable": True, "Rollback": True}
            if alarms
            else if_("IsGovCloud", NO_VALUE, {"Enable": False, "AlarmNames": [], "Rollback": True})
        ),
    }
    security_groups: list[Any] = [import_value("${AppName}-${EnvName}-EnvironmentSecurityGroup")]
    security_groups += [_addon_output(n) for n, kind in kinds.items() if kind == "security_group"]
    subnets_export = "PrivateSubnets" if _placement(manifest) == "private" else "PublicSubnets"
    properties: dict[str, Any] = {
        "PlatformVersion": "LATEST",
        "Cluster": import_value("${AppName}-${EnvName}-ClusterId"),
        "TaskDefinition": ref("TaskDefinition"),
        "DesiredCount": getatt("DynamicDesiredCountAction", "DesiredCount")
        if autoscaled
        else ref("TaskCount"),
        "DeploymentConfiguration": configuration,
        "PropagateTags": "SERVICE",
        "ServiceConnectConfiguration": if_("IsGovCloud", NO_VALUE, {"Enabled": False}),
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED" if subnets_export == "PrivateSubnets" else "ENABLED",
                "Subnets": {
                    "Fn::Split": [",", import_value(f"${{AppName}}-${{EnvName}}-{subnets_export}")]
                },
                "SecurityGroups": security_groups,
            }
        },
        "HealthCheckGracePeriodSeconds": seconds(
            ((manifest.get("http") or {}).get("healthcheck") or {}).get("grace_period")
            if isinstance((manifest.get("http") or {}).get("healthcheck"), dict)
            else None,
            60,
        ),
        "LoadBalancers": [
            {
                "ContainerName": "api",
                "ContainerPort": int((manifest.get("image") or {})["port"]),
                "TargetGroupArn": ref("TargetGroup"),
            }
        ],
        "ServiceRegistries": [
            {"RegistryArn": getatt("DiscoveryService", "Arn"), "Port": ref("TargetPort")}
        ],
    }
    if _exec_enabled(manifest):
        properties["EnableExecuteCommand"] = True
    if spot_from is not None:
        # convertCapacityProviders: Spot with weight 1, and Fargate with base spot_from - 1
        # when spot_from is at least the range's minimum.
        strategy: list[dict[str, Any]] = [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
        if int(spot_from) >= int(count["range"]["min"]):
            strategy.append(
                {"CapacityProvider": "FARGATE", "Weight": 0, "Base": max(int(spot_from) - 1, 0)}
            )
        properties["CapacityProviderStrategy"] = strategy
    else:
        properties["LaunchType"] = "FARGATE"
    return {
        "Type": "AWS::ECS::Service",
        "DependsOn": ["HTTPListenerRuleWithDomain", "HTTPSListenerRule"],
        "Properties": properties,
    }


def parameters() -> dict[str, Any]:
    result: dict[str, Any] = {
        name: {"Type": "String"}
        for name in (
            "AppName",
            "EnvName",
            "WorkloadName",
            "ContainerImage",
            "TaskCPU",
            "TaskMemory",
        )
    }
    result.update(
        {
            "ContainerPort": {"Type": "Number"},
            "TaskCount": {"Type": "Number"},
            "DNSDelegated": {"Type": "String", "AllowedValues": ["true", "false"]},
            "LogRetention": {"Type": "Number"},
            "AddonsTemplateURL": {"Type": "String", "Default": ""},
            "EnvFileARN": {"Type": "String", "Default": ""},
            "ArtifactKeyARN": {"Type": "String"},
            "TargetContainer": {"Type": "String"},
            "TargetPort": {"Type": "Number"},
            "HTTPSEnabled": {"Type": "String", "AllowedValues": ["true", "false"]},
            "RulePath": {"Type": "String"},
        }
    )
    return result


def template(
    manifest: dict[str, Any],
    *,
    addons: dict[str, Any] | None,
    addons_parameters: dict[str, Any] | None,
) -> dict[str, Any]:
    kinds = output_kinds(addons) if addons else {}
    resources: dict[str, Any] = {
        "LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": join(
                    "", ["/copilot/", ref("AppName"), "-", ref("EnvName"), "-", ref("WorkloadName")]
                ),
                "RetentionInDays": ref("LogRetention"),
            },
        },
        "TaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "DependsOn": "LogGroup",
            "Properties": {
                "Family": join("", [ref("AppName"), "-", ref("EnvName"), "-", ref("WorkloadName")]),
                "NetworkMode": "awsvpc",
                "RequiresCompatibilities": ["FARGATE"],
                "Cpu": ref("TaskCPU"),
                "Memory": ref("TaskMemory"),
                "ExecutionRoleArn": getatt("ExecutionRole", "Arn"),
                "TaskRoleArn": getatt("TaskRole", "Arn"),
                "ContainerDefinitions": _containers(manifest, kinds),
            },
        },
        "ExecutionRole": _execution_role(),
        "TaskRole": _task_role(manifest, kinds),
        "DiscoveryService": {
            "Type": "AWS::ServiceDiscovery::Service",
            "Properties": {
                "Description": "Discovery Service for the Copilot services",
                "DnsConfig": {
                    "RoutingPolicy": "MULTIVALUE",
                    "DnsRecords": [{"TTL": 10, "Type": "A"}, {"TTL": 10, "Type": "SRV"}],
                },
                "HealthCheckCustomConfig": {"FailureThreshold": 1},
                "Name": ref("WorkloadName"),
                "NamespaceId": import_value("${AppName}-${EnvName}-ServiceDiscoveryNamespaceID"),
            },
        },
    }
    autoscaling = _autoscaling(manifest)
    resources.update(autoscaling)
    resources.update(_env_controller(manifest))
    resources["Service"] = _service(manifest, kinds, autoscaled=bool(autoscaling))
    resources.update(_listener_rules(manifest))
    if addons is not None:
        resources["AddonsStack"] = {
            "Type": "AWS::CloudFormation::Stack",
            "DependsOn": "EnvControllerAction",
            "Condition": "HasAddons",
            "Metadata": {"aws:copilot:description": "An Addons CloudFormation Stack"},
            "Properties": {
                "Parameters": {
                    "App": ref("AppName"),
                    "Env": ref("EnvName"),
                    "Name": ref("WorkloadName"),
                    **(addons_parameters or {}),
                },
                "TemplateURL": ref("AddonsTemplateURL"),
            },
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "CloudFormation template that represents a load balanced web service "
        "on Amazon ECS.",
        "Parameters": parameters(),
        "Conditions": {
            "IsGovCloud": equals(ref("AWS::Partition"), "aws-us-gov"),
            "HasAssociatedDomain": equals(ref("DNSDelegated"), "true"),
            "HasAddons": not_(equals(ref("AddonsTemplateURL"), "")),
            "HasEnvFile": not_(equals(ref("EnvFileARN"), "")),
        },
        "Resources": resources,
        "Outputs": {
            "DiscoveryServiceARN": {
                "Description": "ARN of the Discovery Service.",
                "Value": getatt("DiscoveryService", "Arn"),
                "Export": {"Name": sub("${AWS::StackName}-DiscoveryServiceARN")},
            }
        },
    }


def parameter_values(env: str, manifest: dict[str, Any], app: str) -> dict[str, str]:
    retention = (manifest.get("logging") or {}).get("retention", 30)
    return {
        "AppName": app,
        "EnvName": env,
        "WorkloadName": "api",
        "ContainerImage": f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/{app}/api:build-{env}",
        "ContainerPort": str((manifest.get("image") or {})["port"]),
        "TaskCPU": str(manifest.get("cpu", 256)),
        "TaskMemory": str(manifest.get("memory", 512)),
        "TaskCount": "1",
        "DNSDelegated": "false",
        "LogRetention": str(retention),
        "AddonsTemplateURL": f"https://stackset-{app}-infrastru-pipelinebuiltartifactbuc.s3.eu-west-1.amazonaws.com/manual/addons/api/{env}.yml",
        "EnvFileARN": "",
        "ArtifactKeyARN": "arn:aws:kms:eu-west-1:111122223333:key/artifacts",
        "TargetContainer": "api",
        "TargetPort": str((manifest.get("image") or {})["port"]),
        "HTTPSEnabled": "true",
        "RulePath": rule_path(manifest),
    }
