"""Stack <app>-<env>-api: the api service as Copilot's Load Balanced Web Service stack runs it
(copilot/api/manifest.yml and its overrides), written with CDK's ECS constructs, and the service
addons included as they are:

- the task definition: the image built from the Dockerfile, the manifest's sizes, variables,
  container health check and read-only root file system; the ADOT collector sidecar from the
  account's pull-through cache of ECR Public (the service patches' image); logs to the service's
  log group for the manifest's retention;
- the task role, named as the data key's policy names it (the service patches), with the
  service addons' policy, IAM denied, and X-Ray for the sidecar;
- the Fargate service in the private subnets with the environment's tasks group, rolling
  deployments with the circuit breaker and the manifest's rollback alarms, health check grace;
  Fargate Spot where the manifest says spot_from;
- its target group and rules on the environment's listeners: HTTPS forwards the environment's
  domain and the service's paths only with the origin secret (its current or previous value),
  HTTP redirects them to HTTPS;
- autoscaling on CPU and on requests per target, with the manifest's targets and cooldowns."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk import addons, deployment, nag, patches
from cdk.config import APP, ROOT, SERVICE, Environment, seconds
from cdk.environment import ORIGIN_HEADER, Settings, export_name, imported_vpc

# The rule's priority on the environment's listeners (Copilot picks the next free one with a
# custom resource; here the service is the only one).
RULE_PRIORITY = 100
# The manifest's logging.retention (days), by the names CDK gives CloudWatch Logs' retentions.
RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}


def environment_import(env: Environment, name: str) -> str:
    return cdk.Fn.import_value(export_name(env, name))


def sidecar_image(env: Environment) -> tuple[str, str]:
    """The collector's repository (in the account's pull-through cache) and tag, from the service
    patches' image, `<account>.dkr.ecr.<region>.<suffix>/<repository>:<tag>`."""
    image = patches.sub_text(
        patches.value(
            "service", "/Resources/TaskDefinition/Properties/ContainerDefinitions/1/Image"
        ),
        env.name,
    )
    path = image.split("/", 1)[1]
    repository, tag = path.rsplit(":", 1)
    return repository, tag


class ServiceStack(cdk.Stack):
    def __init__(self, scope: Construct, env: Environment, **kwargs: Any) -> None:
        super().__init__(
            scope,
            "api",
            stack_name=f"{env.stack_prefix}-{SERVICE}",
            env=cdk.Environment(account=env.account, region=env.region),
            description=f"{APP}-{env.name}: the {SERVICE} service",
            synthesizer=deployment.synthesizer(env),
            termination_protection=not env.disposable,
            **kwargs,
        )
        settings = Settings(self, env)
        vpc = imported_vpc(self, env)
        cluster = ecs.Cluster.from_cluster_attributes(
            self, "Cluster", cluster_name=environment_import(env, "ClusterId"), vpc=vpc
        )
        tasks_group = ec2.SecurityGroup.from_security_group_id(
            self, "TasksGroup", environment_import(env, "EnvironmentSecurityGroup"), mutable=False
        )
        load_balancer_group = ec2.SecurityGroup.from_security_group_id(
            self,
            "LoadBalancerGroup",
            environment_import(env, "LoadBalancerSecurityGroup"),
            mutable=False,
        )

        self.target_group = self._target_group(env, vpc)
        self.service_addons = addons.include(
            self,
            "Addons",
            addons.merged_folder(addons.SERVICE_ADDONS),
            {
                "App": APP,
                "Env": env.name,
                "Name": SERVICE,
                "TargetGroupFullName": self.target_group.target_group_full_name,
            },
            bound_to_resources=frozenset({"TargetGroupFullName"}),
        )
        self.task_definition = self._task_definition(env)
        self.service = self._service(env, cluster, tasks_group)
        self._listener_rules(env, settings, load_balancer_group)
        self._autoscaling(env)
        self._acknowledge(env, vpc)

    def _acknowledge(self, env: Environment, vpc: ec2.IVpc) -> None:
        nag.acknowledge(
            self.service_addons.get_resource("TaskPolicy"),
            'AwsSolutions-IAM5[Resource::["${TableArn}/index/*",{"TableArn":{"Fn::ImportValue":'
            f'{{"Fn::Sub":"{env.stack_prefix}-TasksTableArn"}}}}}}]]',
            "The service queries the table's indexes (Query only), each named at the table.",
        )
        unencrypted = (
            "CloudWatch Logs encrypts it with its own key, as on the Copilot path; the data "
            "key's policy admits only the functions' and the web ACL's log groups (kms.yml)."
        )
        nag.acknowledge(self.log_group, "NIST.800.53.R5-CloudWatchLogGroupEncrypted", unencrypted)
        nag.skip_checkov(self.log_group, "CKV_AWS_158", unencrypted)
        execution_role = self.task_definition.obtain_execution_role()
        nag.acknowledge(
            execution_role,
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken has no resource-level permission; the image pulls are "
            "granted on the two repositories only.",
        )
        nag.acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "The variables are the service's settings (names of the table, the pool, the "
            "cursor secret's ARN, limits); no secret value is in the task definition.",
        )
        nag.acknowledge(
            self.task_definition.task_role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray's actions have no resource-level permissions.",
        )
        for role in (execution_role, self.task_definition.task_role):
            nag.acknowledge(
                role,
                "NIST.800.53.R5-IAMNoInlinePolicy",
                "The policies belong to this one role; managed policies would only add "
                "resources (the service addons' policy is managed, as Copilot attaches it).",
            )
        rule = "CloudFormation-Validate::W8003"
        nag.acknowledge(self, rule, nag.TEMPLATE_VALIDATION[rule])
        nag.acknowledge(
            vpc, "Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId", nag.IMPORTED_SUBNETS
        )

    # -- the task --------------------------------------------------------------------------------

    def _task_role(self, env: Environment) -> iam.Role:
        role = iam.Role(
            self,
            "TaskRole",
            role_name=patches.sub_text(
                patches.value("service", "/Resources/TaskRole/Properties/RoleName"), env.name
            ),
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"{env.stack_prefix}-{SERVICE}'s tasks",
            inline_policies={
                "DenyIAM": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            effect=iam.Effect.DENY, actions=["iam:*"], resources=["*"]
                        )
                    ]
                ),
            },
        )
        # Copilot's logical id (its service stack's): adopting an environment imports the role.
        role.node.default_child.override_logical_id("TaskRole")  # type: ignore[union-attr]
        policy = self.service_addons.get_resource("TaskPolicy")
        role.add_managed_policy(
            iam.ManagedPolicy.from_managed_policy_arn(self, "TaskPolicyRef", policy.ref)
        )
        # The collector sends traces to X-Ray (its ecs-xray.yaml exports nothing else), whose
        # calls have no resource-level permissions.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TheCollectorSendsTraces",
                actions=[
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                resources=["*"],
            )
        )
        return role

    def _task_definition(self, env: Environment) -> ecs.FargateTaskDefinition:
        service = env.service
        architecture = (
            ecs.CpuArchitecture.ARM64
            if service.platform.endswith("arm64")
            else ecs.CpuArchitecture.X86_64
        )
        definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            family=f"{env.stack_prefix}-{SERVICE}",
            cpu=service.cpu,
            memory_limit_mib=service.memory,
            task_role=self._task_role(env),
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=architecture,
            ),
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/copilot/{env.stack_prefix}-{SERVICE}",
            retention=RETENTION[service.log_retention_days],
            removal_policy=(
                cdk.RemovalPolicy.DESTROY if env.disposable else cdk.RemovalPolicy.RETAIN
            ),
        )
        self.log_group.node.default_child.override_logical_id("LogGroup")  # type: ignore[union-attr]
        log_driver = ecs.LogDrivers.aws_logs(stream_prefix="copilot", log_group=self.log_group)
        check = service.container_health_check
        main = definition.add_container(
            SERVICE,
            container_name=SERVICE,
            image=ecs.ContainerImage.from_asset(
                str(ROOT),
                file="Dockerfile",
                platform=(
                    ecr_assets.Platform.LINUX_ARM64
                    if architecture == ecs.CpuArchitecture.ARM64
                    else ecr_assets.Platform.LINUX_AMD64
                ),
            ),
            environment=self._variables(env),
            logging=log_driver,
            port_mappings=[ecs.PortMapping(container_port=service.port)],
            readonly_root_filesystem=service.read_only_root,
            health_check=ecs.HealthCheck(
                command=list(check["command"]),
                interval=cdk.Duration.seconds(seconds(check.get("interval"), 10)),
                retries=int(check.get("retries", 2)),
                start_period=cdk.Duration.seconds(seconds(check.get("start_period"), 0)),
                timeout=cdk.Duration.seconds(seconds(check.get("timeout"), 5)),
            ),
            essential=True,
        )
        self.main_container = main
        if service.tracing:
            repository, tag = sidecar_image(env)
            definition.add_container(
                "aws-otel-collector",
                container_name="aws-otel-collector",
                image=ecs.ContainerImage.from_ecr_repository(
                    ecr.Repository.from_repository_name(self, "CollectorRepository", repository),
                    tag=tag,
                ),
                command=["--config=/etc/ecs/ecs-xray.yaml"],
                logging=log_driver,
                essential=True,
            )
        return definition

    def _variables(self, env: Environment) -> dict[str, str]:
        """What Copilot gives the main container: its own names (the service reads
        COPILOT_ENVIRONMENT_NAME and COPILOT_SERVICE_NAME), the service addons' outputs under
        Copilot's snake-case names (the policy output goes to the task role instead), then the
        manifest's variables."""
        template = addons.merged_folder(addons.SERVICE_ADDONS)
        variables = {
            "COPILOT_APPLICATION_NAME": APP,
            "COPILOT_ENVIRONMENT_NAME": env.name,
            "COPILOT_SERVICE_NAME": SERVICE,
        }
        for name, output in (template.get("Outputs") or {}).items():
            value = output["Value"]
            referenced = value.get("Ref") if isinstance(value, dict) else None
            if referenced and template["Resources"].get(referenced, {}).get("Type") == (
                "AWS::IAM::ManagedPolicy"
            ):
                continue
            variables[addons.copilot_variable_name(name)] = self.service_addons.get_output(
                name
            ).value
        variables.update(env.service.variables)
        return variables

    # -- the service -----------------------------------------------------------------------------

    def _service(
        self, env: Environment, cluster: ecs.ICluster, tasks_group: ec2.ISecurityGroup
    ) -> ecs.FargateService:
        service = env.service
        spot_from = service.spot_from
        strategies = None
        if spot_from is not None:
            # Copilot's convertCapacityProviders: Spot with weight 1, Fargate with base
            # spot_from - 1 when spot_from is at least the range's minimum.
            strategies = [ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)]
            if spot_from >= service.capacity_range[0]:
                strategies.append(
                    ecs.CapacityProviderStrategy(
                        capacity_provider="FARGATE", weight=0, base=max(spot_from - 1, 0)
                    )
                )
        grace = seconds(service.load_balancer_health_check.get("grace_period"), 60)
        fargate = ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            security_groups=[tasks_group],
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            assign_public_ip=False,
            platform_version=ecs.FargatePlatformVersion.LATEST,
            capacity_provider_strategies=strategies,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            deployment_alarms=ecs.DeploymentAlarmConfig(
                alarm_names=service.rollback_alarms,
                behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
            ),
            health_check_grace_period=cdk.Duration.seconds(grace),
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_execute_command=False,
        )
        fargate.attach_to_application_target_group(self.target_group)
        return fargate

    def _target_group(self, env: Environment, vpc: ec2.IVpc) -> elbv2.ApplicationTargetGroup:
        service = env.service
        check = service.load_balancer_health_check
        return elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=vpc,
            port=service.port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=cdk.Duration.seconds(service.deregistration_delay),
            stickiness_cookie_duration=None,
            health_check=elbv2.HealthCheck(
                path=check["path"],
                healthy_http_codes=str(check.get("success_codes", "200")),
                healthy_threshold_count=int(check.get("healthy_threshold", 5)),
                unhealthy_threshold_count=int(check.get("unhealthy_threshold", 2)),
                interval=cdk.Duration.seconds(seconds(check.get("interval"), 30)),
                timeout=cdk.Duration.seconds(seconds(check.get("timeout"), 5)),
            ),
        )

    def _listener_rules(
        self, env: Environment, settings: Settings, load_balancer_group: ec2.ISecurityGroup
    ) -> None:
        service = env.service
        paths = [service.path, f"{service.path}/*"]
        domain = settings("domain")
        origin_secret = f"/{APP}/{env.name}/origin-verify"
        https = elbv2.ApplicationListener.from_application_listener_attributes(
            self,
            "HttpsListener",
            listener_arn=environment_import(env, "HTTPSListenerArn"),
            security_group=load_balancer_group,
        )
        http = elbv2.ApplicationListener.from_application_listener_attributes(
            self,
            "HttpListener",
            listener_arn=environment_import(env, "HTTPListenerArn"),
            security_group=load_balancer_group,
        )
        elbv2.ApplicationListenerRule(
            self,
            "HttpsRule",
            listener=https,
            priority=RULE_PRIORITY,
            conditions=[
                elbv2.ListenerCondition.host_headers([domain]),
                elbv2.ListenerCondition.path_patterns(paths),
                # The origin secret, current or previous: its rotation widens the rule before
                # it moves the distribution (addons/environment/origin.yml).
                elbv2.ListenerCondition.http_header(
                    ORIGIN_HEADER,
                    [
                        f"{{{{resolve:secretsmanager:{origin_secret}:SecretString::{stage}}}}}"
                        for stage in ("AWSCURRENT", "AWSPREVIOUS")
                    ],
                ),
            ],
            action=elbv2.ListenerAction.forward([self.target_group]),
        )
        elbv2.ApplicationListenerRule(
            self,
            "HttpRule",
            listener=http,
            priority=RULE_PRIORITY,
            conditions=[
                elbv2.ListenerCondition.host_headers([domain]),
                elbv2.ListenerCondition.path_patterns(paths),
            ],
            action=elbv2.ListenerAction.redirect(
                protocol="HTTPS",
                port="443",
                host="#{host}",
                path="/#{path}",
                query="#{query}",
                permanent=True,
            ),
        )

    def _autoscaling(self, env: Environment) -> None:
        service = env.service
        minimum, maximum = service.capacity_range
        scale_in, scale_out = service.cooldowns
        scaling = self.service.auto_scale_task_count(min_capacity=minimum, max_capacity=maximum)
        count = service.count
        if "cpu_percentage" in count:
            scaling.scale_on_cpu_utilization(
                "Cpu",
                target_utilization_percent=int(count["cpu_percentage"]),
                scale_in_cooldown=cdk.Duration.seconds(scale_in),
                scale_out_cooldown=cdk.Duration.seconds(scale_out),
            )
        if "requests" in count:
            scaling.scale_to_track_custom_metric(
                "Requests",
                metric=cloudwatch.Metric(
                    namespace="AWS/ApplicationELB",
                    metric_name="RequestCountPerTarget",
                    statistic="Sum",
                    dimensions_map={
                        "LoadBalancer": environment_import(env, "PublicLoadBalancerFullName"),
                        "TargetGroup": self.target_group.target_group_full_name,
                    },
                ),
                target_value=int(count["requests"]),
                scale_in_cooldown=cdk.Duration.seconds(scale_in),
                scale_out_cooldown=cdk.Duration.seconds(scale_out),
            )
