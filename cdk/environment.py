"""Stack <app>-<env>: what Copilot's environment stack holds for this system, with the same
behaviour (docs/architecture.md), written with CDK's constructs, and the environment addons
included as they are:

- the cluster (Fargate and Fargate Spot, Container Insights as the manifest says);
- the load balancer in the public subnets of the environment's network stack, its group
  admitting CloudFront's origin-facing prefix list on 80 and 443 and letting out to the tasks
  only, its listeners answering 403 unless the service's rule matches (the HTTPS one with the
  manifest's TLS policy and the environment's certificate), its access logs;
- the tasks' security group, admitting the load balancer on the service's port, letting out
  HTTPS to the network's endpoints only, every egress rule inline (as the environment patches
  write them: an update of a group's inline rules revokes separate ones);
- the distribution: the browser app's bucket by default (deep links rewritten at the edge),
  assets/* from the bucket, /api/* to the load balancer over HTTPS with the origin secret, the
  security headers, the CloudFront-scope web ACL, Origin Shield, logs and real-time metrics;
- the access-log bucket of the distribution and of the browser app's bucket;
- the environment addons (keys, table, user pool, secrets and their rotation, regional web ACL,
  browser app bucket, alarms, backups, stream functions), given the values Copilot gives them.

The exports the service stack, the service addons and the scripts read keep Copilot's names
(`<app>-<env>-<Name>`)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk import addons, deployment, nag, patches
from cdk.config import APP, Environment

CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
# The environment manifests' http.public.ssl_policy, by the names CDK gives the policies.
SSL_POLICIES = {"ELBSecurityPolicy-TLS13-1-2-2021-06": elbv2.SslPolicy.RECOMMENDED_TLS}
ORIGIN_HEADER = "X-Origin-Verify"
# The distribution's logical id, fixed: the addons take its id, and the distribution takes the
# addons' bucket and secret, so the addons are given a plain Ref to it; adopting an environment
# deployed by Copilot imports Copilot's distribution under it (cdk/adopt).
DISTRIBUTION = "Distribution"


class Settings:
    """The environment's SSM settings (docs/deploy.md, "Environment settings") as parameters of
    type AWS::SSM::Parameter::Value<String>: CloudFormation reads them at every deployment, and a
    condition can test them (a dynamic reference would reach a condition unresolved)."""

    def __init__(self, scope: Construct, env: Environment):
        self._scope = scope
        self._env = env

    def __call__(self, name: str) -> str:
        return ssm.StringParameter.value_for_string_parameter(self._scope, self._env.setting(name))


@jsii.implements(ec2.IPeer)
class InlinePrefixList:
    """A managed prefix list as a peer whose rule CDK writes inline on the group: CDK's own
    (ec2.Peer.prefix_list) always makes a separate rule resource, and a group whose egress is
    partly inline loses its separate rules when an update changes the inline ones."""

    def __init__(self, prefix_list_id: str) -> None:
        self._id = prefix_list_id

    @property
    def can_inline_rule(self) -> bool:
        return True

    @property
    def unique_id(self) -> str:
        return self._id

    @property
    def connections(self) -> ec2.Connections:
        return ec2.Connections(peer=self)

    def to_ingress_rule_config(self) -> dict[str, str]:
        return {"sourcePrefixListId": self._id}

    def to_egress_rule_config(self) -> dict[str, str]:
        return {"destinationPrefixListId": self._id}


def network_export(env: Environment, name: str) -> str:
    return cdk.Fn.import_value(f"{env.network_stack}-{name}")


def imported_vpc(scope: Construct, env: Environment) -> ec2.IVpc:
    """The environment's network stack's VPC, by its exports (no lookup)."""
    zones = env.zones
    return ec2.Vpc.from_vpc_attributes(
        scope,
        "Vpc",
        vpc_id=network_export(env, "VpcId"),
        availability_zones=[cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(zones)],
        public_subnet_ids=cdk.Fn.split(",", network_export(env, "PublicSubnets"), zones),
        private_subnet_ids=cdk.Fn.split(",", network_export(env, "PrivateSubnets"), zones),
    )


def _acknowledge_log_bucket(bucket: s3.Bucket) -> None:
    nag.acknowledge(
        bucket,
        "AwsSolutions-S1",
        "It is a log bucket: logging its own access would log into itself; reads of it are in "
        "CloudTrail.",
    )
    nag.acknowledge(
        bucket,
        "NIST.800.53.R5-S3BucketLoggingEnabled",
        "A log bucket (see AwsSolutions-S1).",
    )
    nag.acknowledge(
        bucket,
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "Access logs are kept a year in the region they describe; they are not replicated.",
    )
    nag.skip_checkov(
        bucket, "CKV_AWS_18", "A log bucket: logging its own access would log into itself."
    )
    nag.acknowledge(
        bucket,
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "Load balancer, CloudFront and S3 server access logs are delivered only to buckets "
        "encrypted with SSE-S3, not with a KMS key.",
    )


class MissingContext(Exception):
    """A context value the synthesis needs is not given."""


def copilot_api_origin(scope: Construct, env: Environment) -> str | None:
    """While an environment deployed by Copilot is adopted (docs/deploy.md, "Adopting an
    environment deployed by Copilot"), the first deployment keeps the distribution's /api/* on
    Copilot's load balancer, which serves until this app's does:
    `-c adopting=<env> -c copilotApiOrigin=<the plan's serving.load_balancer_dns>`."""
    if scope.node.try_get_context("adopting") != env.name:
        return None
    origin = scope.node.try_get_context("copilotApiOrigin")
    if not origin:
        raise MissingContext(f"adopting {env.name} needs -c copilotApiOrigin=<dns name>")
    return str(origin)


def access_logs_bucket_id(env: Environment) -> str:
    """The access-log bucket's logical id, the environment patches' for the environment."""
    return "DisposableAccessLogsBucket" if env.disposable else "AccessLogsBucket"


def export_name(env: Environment, name: str) -> str:
    return f"{env.stack_prefix}-{name}"


class EnvironmentStack(cdk.Stack):
    def __init__(self, scope: Construct, env: Environment, **kwargs: Any) -> None:
        super().__init__(
            scope,
            "environment",
            stack_name=env.stack_prefix,
            env=cdk.Environment(account=env.account, region=env.region),
            description=f"{APP}-{env.name}: load balancer, distribution, cluster and data",
            synthesizer=deployment.synthesizer(env),
            termination_protection=not env.disposable,
            **kwargs,
        )
        self.env_config = env
        settings = Settings(self, env)
        service = env.service
        vpc = imported_vpc(self, env)

        insights = (env.manifest.get("observability") or {}).get("container_insights")
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            enable_fargate_capacity_providers=True,
            container_insights_v2=(
                ecs.ContainerInsights.ENABLED if insights else ecs.ContainerInsights.DISABLED
            ),
        )

        self.load_balancer_group = ec2.SecurityGroup(
            self,
            "LoadBalancerSecurityGroup",
            vpc=vpc,
            description="The load balancer: CloudFront in on 80 and 443, out to the tasks only",
            allow_all_outbound=False,
        )
        cloudfront_prefix_list = ec2.PrefixList.from_lookup(
            self, "CloudFrontOriginFacing", prefix_list_name=CLOUDFRONT_ORIGIN_FACING
        )
        for port in (80, 443):
            self.load_balancer_group.add_ingress_rule(
                ec2.Peer.prefix_list(cloudfront_prefix_list.prefix_list_id),
                ec2.Port.tcp(port),
                f"CloudFront's origin-facing addresses on {port}",
            )
        self.tasks_group = ec2.SecurityGroup(
            self,
            "TasksSecurityGroup",
            vpc=vpc,
            description="The service tasks: the load balancer in on the service port; "
            "out to the VPC endpoints only",
            allow_all_outbound=False,
        )
        self._tasks_flows(env, service.port)

        self.load_balancer_logs = self._log_bucket(
            "LoadBalancerLogs", "The load balancer's access logs"
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            security_group=self.load_balancer_group,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            drop_invalid_header_fields=True,
            deletion_protection=not env.disposable,
        )
        if env.disposable:
            nag.acknowledge(
                self.load_balancer,
                "NIST.800.53.R5-ELBDeletionProtectionEnabled",
                "dev and the feature environments are disposable: deleting the stack deletes "
                "the load balancer; elsewhere deletion protection is on.",
            )
        self.load_balancer.log_access_logs(self.load_balancer_logs)
        forbidden = elbv2.ListenerAction.fixed_response(
            403, content_type="text/plain", message_body="Forbidden"
        )
        self.http_listener = self.load_balancer.add_listener(
            "HttpListener",
            port=80,
            protocol=elbv2.ApplicationProtocol.HTTP,
            default_action=forbidden,
            open=False,
        )
        public = env.manifest["http"]["public"]
        self.https_listener = self.load_balancer.add_listener(
            "HttpsListener",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_arn(settings("alb-certificate-arn"))],
            ssl_policy=SSL_POLICIES[public["ssl_policy"]],
            default_action=forbidden,
            open=False,
        )

        nag.acknowledge(
            self.http_listener,
            "NIST.800.53.R5-ALBHttpToHttpsRedirection",
            "Port 80 answers 403 by default and the service's rule redirects its paths to HTTPS; "
            "CloudFront reaches the load balancer over HTTPS only.",
        )
        port_80 = "Port 80 serves nothing: a 403, or the service's redirect to HTTPS."
        nag.acknowledge(self.http_listener, "NIST.800.53.R5-ELBv2ACMCertificateRequired", port_80)
        for check in ("CKV_AWS_2", "CKV_AWS_103"):
            nag.skip_checkov(self.http_listener, check, port_80)
        self.access_logs = self._access_logs_bucket(env)
        addon_parameters: dict[str, Any] = {
            "App": APP,
            "Env": env.name,
            "PublicLoadBalancerArn": self.load_balancer.load_balancer_arn,
            "HTTPSListenerArn": self.https_listener.listener_arn,
            "CloudFrontDistributionId": cdk.Fn.ref(DISTRIBUTION),
            "EnvironmentManagerRoleName": deployment.manager_role_name(env),
            "AccessLogsBucketName": self.access_logs.bucket_name,
            "CloudFrontWebAclArn": settings("cloudfront-web-acl-arn"),
            "AlarmEmail": settings("alarm-email"),
            "SesIdentityArn": settings("ses-identity-arn"),
            "AppDomain": settings("domain"),
            "NetworkStack": env.network_stack,
            "ReplicaRegion": settings("replica-region"),
            "ReplicaTableEndpoint": settings("replica-table-endpoint"),
            "VpcId": network_export(env, "VpcId"),
            "PrivateSubnets": cdk.Fn.split(",", network_export(env, "PrivateSubnets")),
            **{
                f"{family.capitalize()}ReservedConcurrency": settings(
                    f"reserved-concurrency/{family}"
                )
                for family in ("purge", "archive", "notifier", "rotation")
            },
        }
        self.addons = addons.include(
            self,
            "Addons",
            addons.merged_folder(addons.ENVIRONMENT_ADDONS),
            addon_parameters,
            bound_to_resources=frozenset(
                {
                    "PublicLoadBalancerArn",
                    "HTTPSListenerArn",
                    "CloudFrontDistributionId",
                    "AccessLogsBucketName",
                }
            ),
        )
        self._admit_server_access_logs()
        nag.acknowledge_addons(self.addons, nag.ADDONS, env.name, env.family)
        self.distribution = self._distribution(env, settings)
        self._outputs(env)
        for rule, reason in {**nag.TEMPLATE_VALIDATION, **nag.SSM_SETTING_DEFAULTS}.items():
            if rule != "CloudFormation-Validate::E3013":
                nag.acknowledge(self, rule, reason)
        nag.acknowledge(
            vpc, "Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId", nag.IMPORTED_SUBNETS
        )

    def _tasks_flows(self, env: Environment, port: int) -> None:
        """The load balancer to the tasks' port, and the tasks out to the network's endpoints on
        443 (docs/architecture.md, "Network"). A group's egress is all inline here (peers given
        by id): CloudFormation replaces the inline set on an update, revoking
        any separate rule of the same direction. The tasks' ingress is one separate rule, as the
        load balancer's inline egress names the tasks' group (inline both ways is a cycle)."""
        self.load_balancer_group.add_egress_rule(
            ec2.Peer.security_group_id(self.tasks_group.security_group_id),
            ec2.Port.tcp(port),
            "To the service's tasks on their port",
        )
        self.tasks_group.add_ingress_rule(
            self.load_balancer_group, ec2.Port.tcp(port), "The load balancer to the service's port"
        )
        https = ec2.Port.tcp(443)
        self.tasks_group.add_egress_rule(
            ec2.Peer.security_group_id(network_export(env, "EndpointSecurityGroupId")),
            https,
            "HTTPS to the interface endpoints (ECR, logs, Secrets Manager, KMS, X-Ray, STS, "
            "Cognito)",
        )
        self.tasks_group.add_egress_rule(
            InlinePrefixList(network_export(env, "S3PrefixListId")),
            https,
            "HTTPS to S3 through the gateway endpoint (ECR image layers)",
        )
        self.tasks_group.add_egress_rule(
            InlinePrefixList(network_export(env, "DynamoDbPrefixListId")),
            https,
            "HTTPS to DynamoDB through the gateway endpoint",
        )

    # -- buckets ---------------------------------------------------------------------------------

    def _log_bucket(self, construct_id: str, what: str) -> s3.Bucket:
        """A private, TLS-only, versioned bucket with SSE-S3 (the only encryption load balancer
        and CloudFront log delivery accept); kept when the stack goes, as its logs are evidence."""
        bucket = s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireLogs",
                    expiration=cdk.Duration.days(365),
                    noncurrent_version_expiration=cdk.Duration.days(30),
                )
            ],
        )
        cdk.Tags.of(bucket).add("teamtasks:holds", what)
        _acknowledge_log_bucket(bucket)
        return bucket

    def _access_logs_bucket(self, env: Environment) -> s3.Bucket:
        """The distribution's standard logs (cloudfront/) and the browser app bucket's server
        access logs (frontend-bucket/); named as the environment patches name it, which the
        addons pass to the frontend bucket (frontend.yml). Kept in staging and prod; deleted
        with dev and a feature environment, whose name must be free again (emptied first:
        docs/deploy.md), under the patches' logical id of each case."""
        name = patches.value("environment", "/Resources/AccessLogsBucket")["Properties"][
            "BucketName"
        ]
        bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            bucket_name=cdk.Fn.sub(patches.sub_text(name, env.name)),
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            # CloudFront standard logs are delivered with ACLs.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=(
                cdk.RemovalPolicy.DESTROY if env.disposable else cdk.RemovalPolicy.RETAIN
            ),
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=cdk.Duration.days(365),
                    noncurrent_version_expiration=cdk.Duration.days(30),
                )
            ],
        )
        _acknowledge_log_bucket(bucket)
        # Copilot's logical ids (the environment patches): adopting an environment imports it.
        bucket.node.default_child.override_logical_id(  # type: ignore[union-attr]
            access_logs_bucket_id(env)
        )
        return bucket

    def _admit_server_access_logs(self) -> None:
        frontend = self.addons.get_resource("FrontendBucket")
        self.access_logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="TheFrontendBucketsServerAccessLogs",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.access_logs.arn_for_objects("frontend-bucket/*")],
                conditions={
                    "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:s3:::{frontend.bucket_name}"  # type: ignore[attr-defined]
                    },
                },
            )
        )

    # -- the distribution ------------------------------------------------------------------------

    def _distribution(self, env: Environment, settings: Settings) -> cloudfront.Distribution:
        headers = self._security_headers(env)
        spa_routes = cloudfront.Function(
            self,
            "SpaRoutesFunction",
            code=cloudfront.FunctionCode.from_inline(
                patches.value("environment", "/Resources/SpaRoutesFunction")["Properties"][
                    "FunctionCode"
                ]
            ),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="App routes of the browser app are served /index.html.",
            auto_publish=True,
        )
        shield_region = settings("origin-shield-region")
        frontend = self.addons.get_resource("FrontendBucket")
        # The bucket by name, not by reference: the addons take the distribution's id (the
        # bucket's policy and key admit it), so a reference back would be a cycle.
        bucket = s3.Bucket.from_bucket_attributes(
            self,
            "FrontendBucketOrigin",
            bucket_name=frontend.bucket_name,  # type: ignore[attr-defined]
            region=env.region,
        )
        access_control = cloudfront.S3OriginAccessControl(
            self,
            "FrontendOriginAccessControl",
            signing=cloudfront.Signing.SIGV4_ALWAYS,
            description="The distribution signs its requests to the browser app's bucket",
        )
        bucket_origin = origins.S3BucketOrigin.with_origin_access_control(
            bucket,
            origin_access_control=access_control,
            origin_access_levels=[cloudfront.AccessLevel.READ],
            origin_shield_enabled=True,
            origin_shield_region=shield_region,
        )
        secret = self.addons.get_resource("OriginVerifySecret")
        api_origin_options: dict[str, Any] = {
            "protocol_policy": cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            "origin_ssl_protocols": [cloudfront.OriginSslPolicy.TLS_V1_2],
            "custom_headers": {
                ORIGIN_HEADER: cdk.Fn.sub(
                    "{{resolve:secretsmanager:${Secret}:SecretString::AWSCURRENT}}",
                    {"Secret": secret.ref},
                )
            },
            "origin_shield_enabled": True,
            "origin_shield_region": shield_region,
        }
        held = copilot_api_origin(self, env)
        api_origin: cloudfront.IOrigin = (
            origins.HttpOrigin(held, **api_origin_options)
            if held
            else origins.LoadBalancerV2Origin(self.load_balancer, **api_origin_options)
        )
        read_only = {
            "allowed_methods": cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
            "cached_methods": cloudfront.CachedMethods.CACHE_GET_HEAD,
            "cache_policy": cloudfront.CachePolicy.CACHING_OPTIMIZED,
            "response_headers_policy": headers,
            "viewer_protocol_policy": cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            "compress": True,
        }
        static_path = env.manifest["cdn"]["static_assets"]["path"]
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{APP}-{env.name}: the browser app and /api/*",
            default_behavior=cloudfront.BehaviorOptions(
                origin=bucket_origin,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=spa_routes,
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
                **read_only,
            ),
            additional_behaviors={
                static_path: cloudfront.BehaviorOptions(origin=bucket_origin, **read_only),
                "/api/*": cloudfront.BehaviorOptions(
                    origin=api_origin,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER,
                    response_headers_policy=headers,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    compress=True,
                ),
            },
            certificate=acm.Certificate.from_certificate_arn(
                self, "CdnCertificate", settings("cdn-certificate-arn")
            ),
            domain_names=[settings("domain")],
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            ssl_support_method=cloudfront.SSLMethod.SNI,
            enable_ipv6=True,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
            web_acl_id=settings("cloudfront-web-acl-arn"),
            log_bucket=self.access_logs,
            log_file_prefix="cloudfront/",
            log_includes_cookies=False,
            publish_additional_metrics=True,
        )
        nag.acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "The service is for anyone its users invite, wherever they are; the web ACL limits "
            "each client's rate instead (addons/edge/cloudfront-waf.yml).",
        )
        nag.acknowledge(
            distribution,
            "CloudFormation-Validate::E3013",
            nag.SSM_SETTING_DEFAULTS["CloudFormation-Validate::E3013"],
        )
        nag.acknowledge(
            distribution,
            "Annotation::@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac",
            "The bucket's policy is frontend.yml's, which admits this distribution by its id "
            "(CloudFrontDistributionId), as on the Copilot path.",
        )
        distribution.node.default_child.override_logical_id(DISTRIBUTION)  # type: ignore[union-attr]
        # The origin's header names the secret by reference (a Ref in its Fn::Sub): CloudFormation
        # makes the distribution after the secret, and resolves the value then.
        return distribution

    def _security_headers(self, env: Environment) -> cloudfront.ResponseHeadersPolicy:
        """The environment patches' FrontendResponseHeadersPolicy, field for field."""
        config = patches.value("environment", "/Resources/FrontendResponseHeadersPolicy")[
            "Properties"
        ]["ResponseHeadersPolicyConfig"]
        security = config["SecurityHeadersConfig"]
        csp = security["ContentSecurityPolicy"]
        hsts = security["StrictTransportSecurity"]
        referrer = security["ReferrerPolicy"]
        frame = security["FrameOptions"]
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment=config["Comment"],
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=cdk.Fn.sub(
                        patches.sub_text(csp["ContentSecurityPolicy"], env.name)
                    ),
                    override=csp["Override"],
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.seconds(hsts["AccessControlMaxAgeSec"]),
                    include_subdomains=hsts["IncludeSubdomains"],
                    preload=hsts["Preload"],
                    override=hsts["Override"],
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(
                    override=security["ContentTypeOptions"]["Override"]
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy[
                        referrer["ReferrerPolicy"].upper().replace("-", "_")
                    ],
                    override=referrer["Override"],
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption[frame["FrameOption"]],
                    override=frame["Override"],
                ),
            ),
        )

    # -- exports -------------------------------------------------------------------------------

    def _outputs(self, env: Environment) -> None:
        role_arn = (
            f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:role/"
            f"{deployment.manager_role_name(env)}"
        )
        exported = {
            "ClusterId": self.cluster.cluster_name,
            "EnvironmentSecurityGroup": self.tasks_group.security_group_id,
            "LoadBalancerSecurityGroup": self.load_balancer_group.security_group_id,
            "PublicLoadBalancerDNS": self.load_balancer.load_balancer_dns_name,
            "PublicLoadBalancerFullName": self.load_balancer.load_balancer_full_name,
            "HTTPListenerArn": self.http_listener.listener_arn,
            "HTTPSListenerArn": self.https_listener.listener_arn,
            "CloudFrontDomainName": self.distribution.distribution_domain_name,
            "CloudFrontDistributionId": self.distribution.distribution_id,
            "EnvironmentManagerRoleARN": role_arn,
        }
        for name, value in exported.items():
            cdk.CfnOutput(
                self, f"{name}Output", value=value, export_name=export_name(env, name)
            ).override_logical_id(name)
