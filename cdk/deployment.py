"""Stack <app>-<env>-deployment: the roles the environment's stacks are deployed with.

The environment addons name CloudFormation's role: the data key's policy lets only
`<app>-<env>-CFNExecutionRole` create the table and the secrets with the key, the table's and
the secrets' resource policies admit it from outside the VPC (addons/environment/kms.yml,
table.yml, origin.yml, secrets.yml). So the environment and its service are deployed through a
role of that name, as on the Copilot path, and not through the bootstrap's execution role. The
bootstrap's deploy role may pass only the bootstrap's execution role, hence a deploy role of the
environment's own, which the CLI and the pipeline assume. The frontend publisher is
`<app>-<env>-EnvManagerRole`, as on the Copilot path: the addons attach the bucket and
invalidation grants to the role of that name (frontend.yml).

These three names are Copilot's: adopting an environment imports Copilot's two retained roles
here (docs/deploy.md, "Adopting")."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk import nag
from cdk.config import APP, Environment

# The bootstrap stack's qualifier (cdk bootstrap's default).
BOOTSTRAP_QUALIFIER = "hnb659fds"


def execution_role_name(env: Environment) -> str:
    return f"{env.stack_prefix}-CFNExecutionRole"


def manager_role_name(env: Environment) -> str:
    return f"{env.stack_prefix}-EnvManagerRole"


def deploy_role_name(env: Environment) -> str:
    return f"{env.stack_prefix}-cdk-deploy"


def synthesizer(env: Environment) -> cdk.DefaultStackSynthesizer:
    """The environment's and the service's stacks: deployed through the roles above; assets are
    published with the bootstrap's roles."""
    arn = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"
    return cdk.DefaultStackSynthesizer(
        qualifier=BOOTSTRAP_QUALIFIER,
        deploy_role_arn=arn + deploy_role_name(env),
        cloud_formation_execution_role=arn + execution_role_name(env),
    )


class DeploymentStack(cdk.Stack):
    def __init__(self, scope: Construct, env: Environment, **kwargs: Any) -> None:
        super().__init__(
            scope,
            "deployment",
            stack_name=f"{env.stack_prefix}-deployment",
            env=cdk.Environment(account=env.account, region=env.region),
            description=f"{APP}-{env.name}: the roles its stacks are deployed with",
            termination_protection=not env.disposable,
            **kwargs,
        )
        # Copilot's CFNExecutionRole has this one statement: CloudFormation creates every kind of
        # resource the stacks declare, so its actions cannot be listed; it may not touch the
        # organisation or the account's settings.
        self.execution_role = iam.Role(
            self,
            "CloudFormationExecutionRole",
            role_name=execution_role_name(env),
            # Copilot's path, said: a role's path is create-only, and adopting an environment
            # imports this role as Copilot declared it (cdk/adopt).
            path="/",
            assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"),
            description=f"CloudFormation deploys {env.stack_prefix} and its service as this role",
            inline_policies={
                "executeCfn": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            not_actions=["organizations:*", "account:*"], resources=["*"]
                        )
                    ]
                )
            },
        )
        self.manager_role = iam.Role(
            self,
            "EnvironmentManagerRole",
            role_name=manager_role_name(env),
            path="/",  # as Copilot's (see the execution role)
            assumed_by=iam.AccountRootPrincipal(),
            description=(
                f"Publishes {env.stack_prefix}'s browser app; frontend.yml attaches its grants"
            ),
            inline_policies={
                # frontend/scripts/deploy.py reads the environment's exports.
                "ReadExports": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(actions=["cloudformation:ListExports"], resources=["*"])
                    ]
                )
            },
        )
        self.deploy_role = iam.Role(
            self,
            "DeployRole",
            role_name=deploy_role_name(env),
            assumed_by=iam.AccountRootPrincipal(),
            description=f"The CLI and the pipeline deploy {env.stack_prefix} as this role",
            inline_policies={"Deploy": self._deploy_policy(env)},
        )
        self._acknowledge(env)
        # Copilot's logical ids (its environment stack's): adopting an environment imports them.
        for role, logical_id in (
            (self.execution_role, "CloudformationExecutionRole"),
            (self.manager_role, "EnvironmentManagerRole"),
        ):
            role.node.default_child.override_logical_id(logical_id)  # type: ignore[union-attr]
        for role in (self.execution_role, self.manager_role):
            # Copilot retains them too: the data key's policy names the first, and a stack
            # deletion must not take away the role that deletes the stack's resources.
            role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)

    def _acknowledge(self, env: Environment) -> None:
        inline = (
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "The policy belongs to this one role; a managed policy would only add a resource.",
        )
        nag.acknowledge(
            self.execution_role,
            "AwsSolutions-IAM5",
            "CloudFormation's execution role creates every kind of resource the stacks declare; "
            "as Copilot's, it may do anything but touch the organisation and the account.",
        )
        for check in ("CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111"):
            nag.skip_checkov(
                self.execution_role,
                check,
                "CloudFormation's execution role creates the stacks' roles, policies, keys and "
                "buckets: it needs IAM and data access, as Copilot's and the bootstrap's do.",
            )
        nag.acknowledge(
            self.execution_role,
            "CloudFormation-Validate::W2512",
            "NotAction is the point: everything but the organisation and the account.",
        )
        star = "AwsSolutions-IAM5[Resource::*]"
        nag.acknowledge(
            self.manager_role,
            star,
            "cloudformation:ListExports has no resource-level permission; the addons attach the "
            "bucket and invalidation grants on named resources (frontend.yml).",
        )
        nag.acknowledge(
            self.deploy_role,
            star,
            "GetTemplateSummary and GetCallerIdentity have no resource-level permission.",
        )
        region, account = env.region, env.account
        for stack in (env.stack_prefix, f"{env.stack_prefix}-api"):
            nag.acknowledge(
                self.deploy_role,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:{region}:"
                f"{account}:stack/{stack}/*]",
                "A stack's ARN ends in its id, made at creation: the grant is on the two stacks "
                "of this environment by name.",
            )
        nag.acknowledge(
            self.deploy_role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-{BOOTSTRAP_QUALIFIER}-"
            f"assets-{account}-{region}/*]",
            "The CLI uploads templates under content-hashed keys: read-only, in the bootstrap's "
            "staging bucket of this region.",
        )
        nag.acknowledge(
            self.deploy_role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:{region}:{account}:"
            f"parameter/{APP}/{env.name}/*]",
            "CloudFormation resolves the environment's settings (its SSM-typed parameters) as "
            "the caller: read-only, this environment's settings only.",
        )
        for role in (self.execution_role, self.manager_role, self.deploy_role):
            nag.acknowledge(role, *inline)

    def _deploy_policy(self, env: Environment) -> iam.PolicyDocument:
        region, account = env.region, env.account
        stacks = [
            f"arn:{cdk.Aws.PARTITION}:cloudformation:{region}:{account}:stack/{name}/*"
            for name in (env.stack_prefix, f"{env.stack_prefix}-api")
        ]
        staging = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{account}-{region}"
        return iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="DeployTheEnvironmentsStacks",
                    actions=[
                        "cloudformation:CreateChangeSet",
                        "cloudformation:DeleteChangeSet",
                        "cloudformation:DescribeChangeSet",
                        "cloudformation:ExecuteChangeSet",
                        "cloudformation:DescribeStacks",
                        "cloudformation:DescribeStackEvents",
                        "cloudformation:DescribeStackResources",
                        "cloudformation:GetTemplate",
                        "cloudformation:DeleteStack",
                        "cloudformation:ContinueUpdateRollback",
                        "cloudformation:RollbackStack",
                        "cloudformation:UpdateTerminationProtection",
                    ],
                    resources=stacks,
                ),
                iam.PolicyStatement(
                    sid="TheAddonsTransform",
                    actions=["cloudformation:CreateChangeSet"],
                    resources=[
                        f"arn:{cdk.Aws.PARTITION}:cloudformation:{region}:aws:transform/"
                        "LanguageExtensions"
                    ],
                ),
                iam.PolicyStatement(
                    sid="NoResourceLevelPermissions",
                    actions=["cloudformation:GetTemplateSummary", "sts:GetCallerIdentity"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="PassTheExecutionRole",
                    actions=["iam:PassRole"],
                    resources=[self.execution_role.role_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadTheTemplatesTheCliUploads",
                    actions=["s3:GetObject", "s3:GetBucketLocation", "s3:ListBucket"],
                    resources=[
                        f"arn:{cdk.Aws.PARTITION}:s3:::{staging}",
                        f"arn:{cdk.Aws.PARTITION}:s3:::{staging}/*",
                    ],
                ),
                iam.PolicyStatement(
                    sid="ResolveTheStacksSettings",
                    actions=["ssm:GetParameter", "ssm:GetParameters"],
                    resources=[
                        f"arn:{cdk.Aws.PARTITION}:ssm:{region}:{account}:parameter/cdk-bootstrap/"
                        f"{BOOTSTRAP_QUALIFIER}/version",
                        f"arn:{cdk.Aws.PARTITION}:ssm:{region}:{account}:parameter/{APP}/"
                        f"{env.name}/*",
                    ],
                ),
            ]
        )
