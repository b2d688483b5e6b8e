"""Parity with Copilot: in every environment, what matters at run time in the CDK app's stacks
against the stacks Copilot renders for the same manifests (tests/infra/rendered): the task
definition, the task and execution roles, the security groups and network ACLs, the listeners,
their rules and the origin header, autoscaling, the distribution. A difference fails unless it is
in INTENDED, with its reason; an INTENDED entry that no longer differs fails too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk import addons
from tests.infra.cdk.parity import Flattener, of_type, only, secret_names, statements
from tests.infra.rendered import Scenario, render

pytestmark = pytest.mark.timeout(1800)
# prod's standby and the feature environment have no manifest entry of their own on the Copilot
# path's model (a feature environment's is generated from dev's); they are compared as the
# environments whose settings they take.
COMPARED = ("dev", "staging", "prod", "prod-eu-central-1")

INTENDED: dict[str, str] = {
    "container.api.environment.COPILOT_LB_DNS": (
        "Copilot sets the load balancer's DNS name in every task; the service does not read it."
    ),
    "container.api.environment.COPILOT_SERVICE_DISCOVERY_ENDPOINT": (
        "Copilot's service discovery namespace: nothing calls the service by a private name, so "
        "the CDK app makes no namespace."
    ),
    "task_role.statements": (
        "Copilot grants the sidecar CloudWatch Logs on '*' beside X-Ray; the collector's "
        "configuration (ecs-xray.yaml) exports traces only, so the CDK app grants X-Ray alone."
    ),
    "execution_role.managed": (
        "Copilot attaches AmazonECSTaskExecutionRolePolicy (image pulls and logs on '*'); CDK "
        "grants the pulls of the service's and the sidecar's repositories and the service's log "
        "group only."
    ),
    "execution_role.statements": (
        "Copilot lets the execution role read its tagged secrets and its env file's key; the task "
        "injects no secret and has no env file. CDK's grants are the repositories and log group."
    ),
    "security_groups": (
        "Copilot makes one load balancer group per listener (80 and 443); the CDK app one for "
        "both. The flows are the same (security_group_flows)."
    ),
    "distribution.aliases": (
        "Copilot computes the aliases with a custom resource from the manifests' aliases (the "
        "environment's domain); the CDK app names the domain setting."
    ),
    "distribution.origin.bucket.access": (
        "Copilot's origin access control is named after the app and environment; the CDK app's "
        "is generated (adopting imports Copilot's distribution, whose bucket and key admit it "
        "by its id, not by its control: docs/deploy.md)."
    ),
}


# -- the Copilot path's view -------------------------------------------------------------------


def _copilot(env: str) -> dict[str, Any]:
    deployment = render(env, Scenario.DEPLOYED)
    environment = deployment.stack("environment")
    service = deployment.stack("service")
    secrets = secret_names(env)
    env_flat = Flattener(env, environment.parameters, stack_name=environment.name, secrets=secrets)
    svc_flat = Flattener(env, service.parameters, stack_name=service.name, secrets=secrets)
    service_addons = deployment.stack("service-addons").template
    addon_flat = Flattener(
        env, {"App": "teamtasks", "Env": env, "Name": "api"}, stack_name="addons", secrets=secrets
    )

    def addon_output(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
            logical, attribute = value["Fn::GetAtt"]
            if logical == "AddonsStack":
                name = attribute.removeprefix("Outputs.")
                output = service_addons["Outputs"][name]["Value"]
                if isinstance(output, dict) and set(output) == {"Ref"}:
                    return f"managed:{output['Ref']}"
                return addon_flat(output)
        return svc_flat(value)

    svc = service.template
    env_template = environment.template
    view: dict[str, Any] = {}
    definition = only(svc, "AWS::ECS::TaskDefinition")["Properties"]
    _task(view, definition, addon_output, lambda c: "build:Dockerfile" if c == 0 else None)
    task_role = svc["Resources"]["TaskRole"]["Properties"]
    _role(view, "task_role", task_role, svc_flat, addon_output)
    _role(
        view,
        "execution_role",
        svc["Resources"]["ExecutionRole"]["Properties"],
        svc_flat,
        addon_output,
    )
    env_addons = deployment.stack("environment-addons").template
    addons_parameters = env_template["Resources"]["AddonsStack"]["Properties"]["Parameters"]
    addons_flat = Flattener(
        env,
        {**{k: env_flat(v) for k, v in addons_parameters.items()}, "App": "teamtasks", "Env": env},
        stack_name="addons",
        secrets=secrets,
    )
    _security_groups(view, [(env_template, env_flat), (env_addons, addons_flat)])
    _listeners(view, env_template, env_flat)
    _rules(view, svc, svc_flat)
    _autoscaling(view, svc, svc_flat)
    _service(view, svc, svc_flat)
    _distribution(view, env_template, env_flat)
    _network(
        view, deployment.stack("network").template, deployment.stack("network").parameters, env
    )
    return view


# -- the CDK app's view --------------------------------------------------------------------------


def _cdk_parameters(template: dict[str, Any]) -> dict[str, str]:
    values = {}
    for name, spec in (template.get("Parameters") or {}).items():
        default = str(spec.get("Default", ""))
        if spec["Type"].startswith("AWS::SSM::Parameter::Value") and default.startswith(
            "/teamtasks/"
        ):
            values[name] = "setting:" + default.split("/", 3)[3]
        elif "Default" in spec:
            values[name] = default
    return values


def _cdk(synthesised, env: str) -> dict[str, Any]:
    secrets = secret_names(env)
    api = synthesised.template(env, "api")
    environment = synthesised.template(env, "environment")
    api_flat = Flattener(
        env, _cdk_parameters(api), stack_name=f"teamtasks-{env}-api", secrets=secrets
    )
    env_flat = Flattener(
        env, _cdk_parameters(environment), stack_name=f"teamtasks-{env}", secrets=secrets
    )

    def value(v: Any) -> Any:
        referenced = v.get("Ref") if isinstance(v, dict) and set(v) == {"Ref"} else None
        kind = api["Resources"].get(referenced, {}).get("Type") if referenced else None
        if kind == "AWS::IAM::ManagedPolicy":
            return f"managed:{referenced}"
        return api_flat(v)

    images = _image_sources(synthesised, env)
    view: dict[str, Any] = {}
    definition = only(api, "AWS::ECS::TaskDefinition")["Properties"]
    _task(view, definition, value, images.get)
    roles = of_type(api, "AWS::IAM::Role")
    task_role_arn = definition["TaskRoleArn"]["Fn::GetAtt"][0]
    execution_role_arn = definition["ExecutionRoleArn"]["Fn::GetAtt"][0]
    for name, logical in (("task_role", task_role_arn), ("execution_role", execution_role_arn)):
        properties = dict(roles[logical]["Properties"])
        attached = [
            p["Properties"]["PolicyDocument"]
            for p in of_type(api, "AWS::IAM::Policy").values()
            if {"Ref": logical} in p["Properties"]["Roles"]
        ]
        properties["Policies"] = [
            *properties.get("Policies", []),
            *({"PolicyDocument": d} for d in attached),
        ]
        _role(view, name, properties, api_flat, value)
    _security_groups(view, [(environment, env_flat)])
    _listeners(view, environment, env_flat)
    _rules(view, api, api_flat)
    _autoscaling(view, api, api_flat)
    _service(view, api, api_flat)
    _distribution(view, environment, env_flat)
    network_env = "dev" if env.startswith("feat-") else env
    network = synthesised.template(network_env, "network")
    _network(view, network, _cdk_parameters(network), env)
    return view


def _image_sources(synthesised, env: str) -> dict[int, str]:
    """The main container's image: the docker image asset built from the repository's
    Dockerfile."""
    artifact = synthesised.artifact(env, "api")
    assets_file = next(
        artifact["dir"].glob(artifact["properties"]["templateFile"].replace(".template", ".assets"))
    )
    images = json.loads(assets_file.read_text()).get("dockerImages") or {}
    sources = {}
    for image in images.values():
        source = image["source"]
        folder = synthesised.outdir / source["directory"]
        if not folder.exists():
            folder = artifact["dir"] / source["directory"]
        if (folder / source.get("dockerFile", "Dockerfile")).exists() and (folder / "app").is_dir():
            sources[0] = "build:" + source.get("dockerFile", "Dockerfile")
    return sources


# -- the aspects, read the same way from either path --------------------------------------------


def _task(view, definition, value, image_of) -> None:
    view["task.cpu"] = str(value(definition["Cpu"]))
    view["task.memory"] = str(value(definition["Memory"]))
    view["task.network_mode"] = definition["NetworkMode"]
    view["task.compatibilities"] = definition["RequiresCompatibilities"]
    containers = definition["ContainerDefinitions"]
    for index, container in enumerate(containers):
        name = "api" if index == 0 else str(value(container["Name"]))
        prefix = f"container.{name}"
        image = image_of(index)
        view[f"{prefix}.image"] = image if image else value(container["Image"])
        view[f"{prefix}.command"] = container.get("Command")
        view[f"{prefix}.user"] = container.get("User")
        view[f"{prefix}.read_only_root"] = bool(container.get("ReadonlyRootFilesystem"))
        view[f"{prefix}.health_check"] = container.get("HealthCheck")
        view[f"{prefix}.ports"] = [p["ContainerPort"] for p in container.get("PortMappings", [])]
        view[f"{prefix}.secrets"] = {
            s["Name"]: value(s["ValueFrom"]) for s in container.get("Secrets", [])
        }
        logging = container.get("LogConfiguration") or {}
        view[f"{prefix}.log_driver"] = logging.get("LogDriver")
        view[f"{prefix}.log_stream_prefix"] = (logging.get("Options") or {}).get(
            "awslogs-stream-prefix"
        )
        for variable in container.get("Environment", []):
            view[f"{prefix}.environment.{variable['Name']}"] = str(value(variable["Value"]))


def _role(view, name, properties, flat, value) -> None:
    view[f"{name}.name"] = value(properties.get("RoleName")) if properties.get("RoleName") else None
    view[f"{name}.trust"] = sorted(
        json.dumps(flat(s.get("Principal")), sort_keys=True)
        for s in properties["AssumeRolePolicyDocument"]["Statement"]
    )
    view[f"{name}.managed"] = sorted(str(value(p)) for p in properties.get("ManagedPolicyArns", []))
    found: set[tuple[str, str, str]] = set()
    for policy in properties.get("Policies", []):
        found |= statements(policy["PolicyDocument"], flat)
    view[f"{name}.statements"] = sorted(found)


def _group_role(name: Any) -> str:
    text = str(name)
    for marker, role in (
        ("LoadBalancer", "load balancer"),
        ("EnvironmentSecurityGroup", "tasks"),
        ("TasksSecurityGroup", "tasks"),
        ("PrivateFunctionsSecurityGroup", "functions"),
        ("EndpointSecurityGroupId", "endpoints"),
        ("S3PrefixListId", "s3"),
        ("DynamoDbPrefixListId", "dynamodb"),
    ):
        if marker in text:
            return role
    return text


def _security_groups(view, templates) -> None:
    flows: set[tuple[str, ...]] = set()
    groups: list[str] = []
    for template, flat in templates:
        for logical, group in of_type(template, "AWS::EC2::SecurityGroup").items():
            role = _group_role(logical)
            groups.append(role)
            properties = group["Properties"]
            for direction, key, peer_keys in (
                (
                    "in",
                    "SecurityGroupIngress",
                    ("SourceSecurityGroupId", "SourcePrefixListId", "CidrIp"),
                ),
                (
                    "out",
                    "SecurityGroupEgress",
                    ("DestinationSecurityGroupId", "DestinationPrefixListId", "CidrIp"),
                ),
            ):
                for rule in properties.get(key, []):
                    flows.add(_flow(role, direction, rule, peer_keys, flat))
        for kind, direction, peer_keys in (
            (
                "AWS::EC2::SecurityGroupIngress",
                "in",
                ("SourceSecurityGroupId", "SourcePrefixListId", "CidrIp"),
            ),
            (
                "AWS::EC2::SecurityGroupEgress",
                "out",
                ("DestinationSecurityGroupId", "DestinationPrefixListId", "CidrIp"),
            ),
        ):
            for rule in of_type(template, kind).values():
                properties = rule["Properties"]
                role = _group_role(flat(properties["GroupId"]))
                flows.add(_flow(role, direction, properties, peer_keys, flat))
    view["security_group_flows"] = sorted(
        flow for flow in flows if "255.255.255.255/32" not in flow
    )
    view["security_groups"] = sorted(groups)


def _flow(role, direction, rule, peer_keys, flat) -> tuple[str, ...]:
    peer = next((flat(rule[k]) for k in peer_keys if k in rule), None)
    peer_role = _group_role(peer)
    if isinstance(peer, str) and peer.startswith("pl-"):
        peer_role = f"prefix list {peer}"
    return (
        role,
        direction,
        str(rule.get("IpProtocol")),
        str(rule.get("FromPort")),
        str(rule.get("ToPort")),
        peer_role,
    )


def _listeners(view, template, flat) -> None:
    for listener in of_type(template, "AWS::ElasticLoadBalancingV2::Listener").values():
        properties = listener["Properties"]
        prefix = f"listener.{properties['Port']}"
        view[f"{prefix}.protocol"] = properties["Protocol"]
        view[f"{prefix}.default"] = properties["DefaultActions"]
        view[f"{prefix}.certificates"] = [
            flat(c["CertificateArn"]) for c in properties.get("Certificates", [])
        ]
        view[f"{prefix}.ssl_policy"] = properties.get("SslPolicy")


def _rules(view, template, flat) -> None:
    for rule in of_type(template, "AWS::ElasticLoadBalancingV2::ListenerRule").values():
        properties = rule["Properties"]
        listener = str(flat(properties["ListenerArn"]))
        port = "443" if "HTTPSListener" in listener else "80"
        conditions = {}
        for condition in properties["Conditions"]:
            config = {k: v for k, v in condition.items() if k != "Field"}
            conditions[condition["Field"]] = flat(config)
        view[f"rule.{port}.conditions"] = conditions
        actions = []
        for written in properties["Actions"]:
            action = dict(written)
            if "TargetGroupArn" in action:
                action["TargetGroupArn"] = "<the service's target group>"
            actions.append(action)
        view[f"rule.{port}.actions"] = actions


def _service(view, template, flat) -> None:
    service = only(template, "AWS::ECS::Service")["Properties"]
    deployment = service["DeploymentConfiguration"]
    view["service.deployment"] = {
        "circuit_breaker": deployment["DeploymentCircuitBreaker"],
        "minimum_healthy": deployment["MinimumHealthyPercent"],
        "maximum": deployment["MaximumPercent"],
        "alarms": flat(deployment.get("Alarms")),
    }
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    view["service.public_ip"] = network.get("AssignPublicIp")
    view["service.subnets"] = "private" if "PrivateSubnets" in json.dumps(network) else "public"
    view["service.grace"] = service.get("HealthCheckGracePeriodSeconds")
    view["service.capacity"] = service.get("CapacityProviderStrategy") or service.get("LaunchType")
    view["service.platform"] = service.get("PlatformVersion")
    view["service.execute_command"] = bool(service.get("EnableExecuteCommand"))
    view["service.propagate_tags"] = service.get("PropagateTags")
    view["service.load_balancer_port"] = [
        (b["ContainerName"], b["ContainerPort"]) for b in service["LoadBalancers"]
    ]
    group = only(template, "AWS::ElasticLoadBalancingV2::TargetGroup")["Properties"]
    view["target_group"] = {
        key: group.get(key)
        for key in (
            "HealthCheckPath",
            "Matcher",
            "HealthyThresholdCount",
            "UnhealthyThresholdCount",
            "HealthCheckIntervalSeconds",
            "HealthCheckTimeoutSeconds",
            "Port",
            "Protocol",
            "TargetType",
        )
    }
    view["target_group.attributes"] = {
        a["Key"]: a["Value"]
        for a in group.get("TargetGroupAttributes", [])
        if a["Key"] in ("deregistration_delay.timeout_seconds", "stickiness.enabled")
    }


def _autoscaling(view, template, flat) -> None:
    target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    view["autoscaling.range"] = (target["MinCapacity"], target["MaxCapacity"])
    for policy in of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values():
        config = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        predefined = config.get("PredefinedMetricSpecification")
        if predefined:
            key = predefined["PredefinedMetricType"]
            metric = key
        else:
            custom = config["CustomizedMetricSpecification"]
            key = custom["MetricName"]
            metric = (
                custom["Namespace"],
                custom["MetricName"],
                custom["Statistic"],
                sorted(d["Name"] for d in custom["Dimensions"]),
            )
        view[f"autoscaling.{key}"] = (
            metric,
            config["TargetValue"],
            config.get("ScaleInCooldown"),
            config.get("ScaleOutCooldown"),
        )


def _distribution(view, template, flat) -> None:
    config = only(template, "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    kinds = {}
    for origin in config["Origins"]:
        kind = "alb" if "CustomOriginConfig" in origin else "bucket"
        kinds[flat(origin["Id"])] = kind
        prefix = f"distribution.origin.{kind}"
        if kind == "alb":
            view[f"{prefix}.config"] = origin["CustomOriginConfig"]
        else:
            view[f"{prefix}.domain"] = flat(origin["DomainName"])
            view[f"{prefix}.access"] = flat(origin.get("OriginAccessControlId"))
        view[f"{prefix}.headers"] = flat(origin.get("OriginCustomHeaders", []))
        view[f"{prefix}.shield"] = flat(origin.get("OriginShield"))
    behaviours = [("default", config["DefaultCacheBehavior"])] + [
        (b["PathPattern"], b) for b in config.get("CacheBehaviors", [])
    ]
    for path, behaviour in behaviours:
        view[f"distribution.behaviour.{path}"] = {
            "origin": kinds[flat(behaviour["TargetOriginId"])],
            "allowed": sorted(behaviour.get("AllowedMethods", ["GET", "HEAD"])),
            "cached": sorted(behaviour.get("CachedMethods", ["GET", "HEAD"])),
            "cache_policy": behaviour.get("CachePolicyId"),
            "origin_request_policy": behaviour.get("OriginRequestPolicyId"),
            "viewer": behaviour.get("ViewerProtocolPolicy"),
            "compress": behaviour.get("Compress", False),
            "functions": [f["EventType"] for f in behaviour.get("FunctionAssociations", [])],
            "headers_policy": "ResponseHeadersPolicyId" in behaviour,
        }
    view["distribution.order"] = [path for path, _ in behaviours]
    view["distribution.aliases"] = flat(config.get("Aliases"))
    for key in ("DefaultRootObject", "HttpVersion", "Enabled", "IPV6Enabled"):
        view[f"distribution.{key}"] = config.get(key)
    view["distribution.PriceClass"] = config.get("PriceClass", "PriceClass_All")
    certificate = config["ViewerCertificate"]
    view["distribution.certificate"] = (
        flat(certificate["AcmCertificateArn"]),
        certificate["MinimumProtocolVersion"],
        certificate["SslSupportMethod"],
    )
    view["distribution.web_acl"] = flat(config.get("WebACLId"))
    logging = config.get("Logging") or {}
    view["distribution.logging"] = (logging.get("Prefix"), logging.get("IncludeCookies"))
    headers = only(template, "AWS::CloudFront::ResponseHeadersPolicy")["Properties"]
    view["distribution.security_headers"] = flat(
        headers["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    )
    function = only(template, "AWS::CloudFront::Function")["Properties"]
    view["distribution.function"] = (
        function["FunctionCode"],
        function["FunctionConfig"]["Runtime"],
    )
    view["distribution.realtime_metrics"] = bool(
        of_type(template, "AWS::CloudFront::MonitoringSubscription")
    )


def _network(view, template, parameters, env) -> None:
    defaults = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
    flat = Flattener(env, {**defaults, **parameters}, stack_name="network", secrets={})
    entries = set()
    for entry in of_type(template, "AWS::EC2::NetworkAclEntry").values():
        properties = entry["Properties"]
        ports = properties.get("PortRange") or {}
        entries.add(
            (
                str(flat(properties["NetworkAclId"])),
                str(properties["RuleNumber"]),
                str(properties.get("Egress", False)),
                str(properties["Protocol"]),
                str(ports.get("From")),
                str(ports.get("To")),
                json.dumps(flat(properties.get("CidrBlock")), sort_keys=True),
                properties["RuleAction"],
            )
        )
    view["network_acl_entries"] = sorted(entries)


# -- the comparison -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def differences(synthesised) -> dict[str, dict[str, tuple[Any, Any]]]:
    found = {}
    for env in COMPARED:
        copilot, cdk = _copilot(env), _cdk(synthesised, env)
        found[env] = {
            key: (copilot.get(key), cdk.get(key))
            for key in sorted(set(copilot) | set(cdk))
            if json.dumps(copilot.get(key), sort_keys=True, default=str)
            != json.dumps(cdk.get(key), sort_keys=True, default=str)
        }
    return found


@pytest.mark.parametrize("env", COMPARED)
def test_the_cdk_app_runs_what_copilot_runs(differences, env):
    unexplained = {k: v for k, v in differences[env].items() if k not in INTENDED}
    assert not unexplained, json.dumps(unexplained, indent=1, default=str)[:6000]


def test_every_intended_difference_is_still_a_difference(differences):
    seen = {key for found in differences.values() for key in found}
    assert set(INTENDED) <= seen, sorted(set(INTENDED) - seen)


def test_the_views_compare_what_they_say(synthesised):
    # Not vacuous: the views read the parts they name, and a change shows.
    view = _cdk(synthesised, "prod")
    assert (
        view["container.api.environment.TASKS_TABLE_NAME"] == "import:teamtasks-prod-TasksTableName"
    )
    assert view["container.api.read_only_root"] is True
    assert view["autoscaling.range"] == (3, 10)
    assert view["rule.443.conditions"]["http-header"]["HttpHeaderConfig"]["Values"] == [
        "secret:OriginVerifySecret:AWSCURRENT",
        "secret:OriginVerifySecret:AWSPREVIOUS",
    ]
    assert view["distribution.behaviour./api/*"]["origin"] == "alb"
    assert len(view["network_acl_entries"]) > 10
    assert addons.ENVIRONMENT_ADDONS.is_dir()
