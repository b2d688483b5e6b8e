"""Stack <app>-pipeline: the release pipeline (CDK Pipelines), as the Copilot path's
(copilot/pipelines/teamtasks-main): a push to the branch runs the repository's checks, the bill
of materials and the dependency audit, synthesises the app, then deploys dev, staging and, after
a manual approval, prod; each stage publishes the browser app and runs the smoke tests through
CloudFront, and a failed smoke test stops the promotion. The build's and the post-deployment
scripts are the Copilot path's own (one source)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import Construct

from cdk import deployment, nag
from cdk.config import APP, PIPELINE_ENVIRONMENTS

SCRIPTS = "copilot/pipelines/teamtasks-main"
# The build image: Node.js 22 (jsii, which runs the CDK from Python, no longer supports 20) and
# Python 3.12.
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
RUNTIMES = {"phases": {"install": {"runtime-versions": {"python": "3.12", "nodejs": "22"}}}}
# The CDK CLI the pipeline's self-update and asset publishing install from npm.
CLI_VERSION = "2.1149.0"


class ReplicationStack(cdk.Stack):
    """Stack <app>-pipeline-<region>: the bucket the pipeline copies its artifacts to for the
    stacks of another region (the web ACLs, in us-east-1), named, so that the grants on it are."""

    def __init__(self, scope: Construct, *, account: str, region: str) -> None:
        super().__init__(
            scope,
            f"pipeline-{region}",
            stack_name=f"{APP}-pipeline-{region}",
            env=cdk.Environment(account=account, region=region),
            description=f"{APP}: the release pipeline's artifacts in {region}",
        )
        self.bucket_name = f"{APP}-pipeline-{account}-{region}"
        self.bucket = s3.Bucket(
            self,
            "ReplicationBucket",
            bucket_name=self.bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(30))],
        )
        PipelineStack.acknowledge_buckets(self)


class PipelineStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        *,
        account: str,
        region: str,
        repository: str,
        branch: str,
        connection_arn: str,
        stages: dict[str, cdk.Stage],
        replication: dict[str, ReplicationStack],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            "pipeline",
            stack_name=f"{APP}-pipeline",
            env=cdk.Environment(account=account, region=region),
            description=f"{APP}: the release pipeline, {branch} to dev, staging and prod",
            **kwargs,
        )
        # A clone, not a zip: the build needs the repository as it is (Copilot's pipeline
        # clones for the same reason, copilot/*/addons being links).
        source = pipelines.CodePipelineSource.connection(
            repository, branch, connection_arn=connection_arn, code_build_clone_output=True
        )
        synth = pipelines.CodeBuildStep(
            "Synth",
            input=source,
            build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
            partial_build_spec=codebuild.BuildSpec.from_object(RUNTIMES),
            env={"UV_PYTHON_DOWNLOADS": "never"},
            install_commands=["make setup"],
            commands=[
                # The browser tests and Lighthouse need Debian's Chromium: they run in the
                # repository's CI (.ci/run), as on the Copilot path.
                "make lint test-unit test-integration test-infra test-cdk test-frontend",
                "make sbom",
                "make audit",
                # The account the app deploys to is the pipeline's (the CLI would set this).
                'export CDK_DEFAULT_ACCOUNT="$(aws sts get-caller-identity --query Account '
                '--output text)"',
                ".venv/bin/python -m cdk.app",
            ],
            primary_output_directory="cdk/cdk.out",
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"{APP}-main",
            synth=synth,
            cli_version=CLI_VERSION,
            docker_enabled_for_synth=False,
            cross_account_keys=False,
            cross_region_replication_buckets={
                name: stack.bucket for name, stack in replication.items()
            },
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE)
            ),
        )
        for name in PIPELINE_ENVIRONMENTS:
            stage = stages[name]
            self.pipeline.add_stage(
                stage,
                pre=([pipelines.ManualApprovalStep("PromoteToProd")] if name == "prod" else None),
                post=self._post_deployment(source, stage),
            )
        self.pipeline.build_pipeline()
        self._acknowledge(replication)

    def _post_deployment(
        self, source: pipelines.IFileSetProducer, stage: cdk.Stage
    ) -> list[pipelines.Step]:
        frontend = self._frontend(source, stage)
        smoke = self._smoke(source, stage)
        smoke.add_step_dependency(frontend)
        return [frontend, smoke]

    def _frontend(self, source: pipelines.IFileSetProducer, stage: cdk.Stage) -> pipelines.Step:
        env = stage.env_config  # type: ignore[attr-defined]
        return pipelines.CodeBuildStep(
            f"{env.name}-frontend",
            input=source,
            partial_build_spec=codebuild.BuildSpec.from_object(RUNTIMES),
            env={
                "UV_PYTHON_DOWNLOADS": "never",
                "COPILOT_APPLICATION_NAME": APP,
                "COPILOT_ENVIRONMENT_NAME": env.name,
            },
            commands=[
                "make .tools/uv/bin/uv",
                # The environment's manager role publishes (frontend.yml grants it the bucket
                # and the invalidation), as in the Copilot pipeline.
                f"source {SCRIPTS}/assume-environment-manager.sh",
                ".tools/uv/bin/uv run --locked --no-dev python frontend/scripts/deploy.py "
                '--app "$COPILOT_APPLICATION_NAME" --env "$COPILOT_ENVIRONMENT_NAME"',
            ],
            role_policy_statements=[
                iam.PolicyStatement(actions=["cloudformation:ListExports"], resources=["*"]),
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"],
                    resources=[
                        f"arn:{cdk.Aws.PARTITION}:iam::{env.account}:role/"
                        f"{deployment.manager_role_name(env)}"
                    ],
                ),
            ],
        )

    def _smoke(self, source: pipelines.IFileSetProducer, stage: cdk.Stage) -> pipelines.Step:
        env = stage.env_config  # type: ignore[attr-defined]
        return pipelines.CodeBuildStep(
            f"{env.name}-smoke",
            input=source,
            commands=[
                f'domain="$(aws ssm get-parameter --name "{env.setting("domain")}" '
                '--query Parameter.Value --output text)"',
                f'bash {SCRIPTS}/smoke.sh "https://${{domain}}"',
            ],
            role_policy_statements=[
                iam.PolicyStatement(
                    actions=["ssm:GetParameter"],
                    resources=[
                        f"arn:{cdk.Aws.PARTITION}:ssm:{env.region}:{env.account}:parameter"
                        f"{env.setting('domain')}"
                    ],
                )
            ],
        )

    def _acknowledge(self, replication: dict[str, ReplicationStack]) -> None:
        """The findings on what CDK Pipelines generates (its roles, projects, buckets), each
        with its reason; the app's own steps grant only what they name."""
        region, account = self.region, self.account
        generated = (
            "CDK Pipelines generates this grant for its own artifacts and projects: the actions "
            "and resources it names are the pipeline's, made at run time."
        )
        for action in ("GetBucket*", "GetObject*", "List*", "Abort*", "DeleteObject*"):
            nag.acknowledge(self, f"AwsSolutions-IAM5[Action::s3:{action}]", generated)
        bucket = self.get_logical_id(
            self.pipeline.pipeline.artifact_bucket.node.default_child  # type: ignore[arg-type]
        )
        nag.acknowledge(self, f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/*]", generated)
        nag.acknowledge(
            self,
            "AwsSolutions-IAM5[Resource::*]",
            "cloudformation:ListExports and the build's report and credential calls have no "
            "resource-level permissions.",
        )
        for pattern in (
            f"arn:aws:logs:{region}:{account}:log-group:/aws/codebuild/*",
            f"arn:aws:codebuild:{region}:{account}:report-group/*",
            f"arn:*:iam::{account}:role/*",
        ):
            nag.acknowledge(self, f"AwsSolutions-IAM5[Resource::{pattern}]", generated)
        for project in self.node.find_all():
            if isinstance(project, codebuild.CfnProject):
                name = self.get_logical_id(project)
                for pattern in (
                    f"arn:aws:logs:{region}:{account}:log-group:/aws/codebuild/<{name}>:*",
                    f"arn:aws:codebuild:{region}:{account}:report-group/<{name}>-*",
                ):
                    nag.acknowledge(self, f"AwsSolutions-IAM5[Resource::{pattern}]", generated)
        nag.acknowledge(
            self,
            "AwsSolutions-CB4",
            "The builds' artifacts are in the pipeline's bucket, encrypted at rest by S3; a KMS "
            "key for them would matter across accounts, and the pipeline deploys to its own.",
        )
        self.acknowledge_buckets(self)
        for child in self.node.find_all():
            if isinstance(child, cdk.aws_iam.CfnPolicy) and "/Assets/" in child.node.path:
                nag.skip_checkov(child, "CKV_AWS_111", generated)
        nag.acknowledge(
            self,
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "CDK Pipelines gives each of its roles its own policy.",
        )
        for stack in replication.values():
            nag.acknowledge(
                self,
                f"AwsSolutions-IAM5[Resource::arn:aws:s3:::{stack.bucket_name}/*]",
                generated,
            )

    @staticmethod
    def acknowledge_buckets(stack: cdk.Stack) -> None:
        for rule, reason in {
            "AwsSolutions-S1": "The pipeline's own artifacts bucket; its reads are in CloudTrail.",
            "NIST.800.53.R5-S3BucketLoggingEnabled": (
                "The pipeline's own artifacts bucket (see AwsSolutions-S1)."
            ),
            "NIST.800.53.R5-S3BucketReplicationEnabled": (
                "Build artifacts, made again by the next run of the pipeline."
            ),
            "NIST.800.53.R5-S3BucketVersioningEnabled": (
                "Build artifacts are written once under unique keys."
            ),
            "NIST.800.53.R5-S3DefaultEncryptionKMS": (
                "Build artifacts of one account's pipeline, encrypted by S3; a KMS key would "
                "matter for deployments to other accounts, which this pipeline does not make."
            ),
        }.items():
            nag.acknowledge(stack, rule, reason)
        for bucket in stack.node.find_all():
            if isinstance(bucket, s3.CfnBucket):
                nag.skip_checkov(
                    bucket, "CKV_AWS_18", "The pipeline's artifacts; see AwsSolutions-S1."
                )
                nag.skip_checkov(
                    bucket, "CKV_AWS_21", "Artifacts are written once, under unique keys."
                )
