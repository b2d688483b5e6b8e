"""What Copilot's commands call with the caller's own credentials, read from its source at the
version the pipeline installs (tests/infra/rendered/version.py: v1.33.2). Everything else a
command does, it does as the environment's manager role, which Copilot makes with what it needs;
these calls are the caller's to be allowed, so the roles that run the commands (the feature
environments' sweep, the pipeline's build) must allow them.

Each call names the source it was read from (internal/pkg/...). `requests(command, ...)` turns
a command's calls into IAM requests for one environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.infra.aws_rules.policies import Request


@dataclass(frozen=True)
class Call:
    action: str
    # Formatted with partition, region, account, app, env, svc, pipeline.
    resource: str
    source: str
    context: dict[str, str] = field(default_factory=dict)
    # AWS answers it whatever the policies say (sts:GetCallerIdentity needs no permission).
    needs_no_permission: bool = False


_APP = "arn:{partition}:ssm:{region}:{account}:parameter/copilot/applications/{app}"
_ENV = _APP + "/environments/{env}"
_ENVS = _APP + "/environments/"
_SVC = _APP + "/components/{svc}"
_MANAGER = "arn:{partition}:iam::{account}:role/{app}-{env}-EnvManagerRole"
_STACKSET = "arn:{partition}:cloudformation:{region}:{account}:stackset/{app}-infrastructure:*"
_STACKSET_STACK = (
    "arn:{partition}:cloudformation:{region}:{account}:stack/StackSet-{app}-infrastructure-x/*"
)
_REPOSITORY = "arn:{partition}:ecr:{region}:{account}:repository/{app}/{svc}"
_WHO = Call(
    "sts:GetCallerIdentity",
    "*",
    "internal/pkg/aws/identity/identity.go Get",
    needs_no_permission=True,
)

COMMANDS: dict[str, list[Call]] = {
    # copilot svc delete --name <svc> --env <env> --yes
    "svc delete": [
        Call("ssm:GetParameter", _APP, "internal/pkg/cli/svc_delete.go Ask (store.GetApplication)"),
        Call("ssm:GetParameter", _SVC, "internal/pkg/cli/svc_delete.go Ask, Execute (GetWorkload)"),
        Call("ssm:GetParameter", _ENV, "internal/pkg/cli/svc_delete.go targetEnv"),
        Call("sts:AssumeRole", _MANAGER, "internal/pkg/cli/svc_delete.go deleteStacks (FromRole)"),
    ],
    # copilot env delete --name <env> --yes
    "env delete": [
        Call("ssm:GetParameter", _ENV, "internal/pkg/cli/env_delete.go getEnvConfig"),
        Call("ssm:GetParameter", _APP, "internal/pkg/cli/env_delete.go getAppConfig"),
        Call("sts:AssumeRole", _MANAGER, "internal/pkg/cli/env_delete.go initRuntimeClients"),
        Call(
            "tag:GetResources",
            "*",
            "internal/pkg/cli/env_delete.go validateNoDependencyPipelines "
            "(deploy.PipelineStore.ListDeployedPipelines, with the default session)",
        ),
        Call(
            "codepipeline:GetPipeline",
            "arn:{partition}:codepipeline:{region}:{account}:{pipeline}",
            "internal/pkg/cli/env_delete.go validateNoDependencyPipelines "
            "(codepipeline.New(defaultSess).GetPipeline, every pipeline of the application)",
        ),
        Call(
            "ssm:GetParametersByPath",
            _ENVS,
            "internal/pkg/cli/env_delete.go cleanUpAppResources (store.ListEnvironments); "
            "RemoveEnvFromApp does nothing more while another environment is in the account "
            "and region (dev, for a feature environment)",
        ),
        Call("ssm:DeleteParameter", _ENV, "internal/pkg/cli/env_delete.go deleteFromStore"),
    ],
    # copilot env package --name <env> --upload-assets --force (the pipeline's package.sh)
    "env package": [
        _WHO,
        Call("ssm:GetParameter", _APP, "internal/pkg/cli/env_package.go getAppCfg"),
        Call("ssm:GetParameter", _ENV, "internal/pkg/cli/env_package.go getEnvCfg"),
        Call(
            "cloudformation:ListStackInstances",
            _STACKSET,
            "internal/pkg/cli/deploy/env.go getAppRegionalResources (appCFN, default session; "
            "app.go getResourcesForStackInstances)",
        ),
        Call(
            "cloudformation:DescribeStacks",
            _STACKSET_STACK,
            "internal/pkg/deploy/cloudformation/app.go GetAppResourcesByRegion",
        ),
        Call(
            "ec2:DescribeManagedPrefixLists",
            "*",
            "internal/pkg/cli/deploy/env.go cidrPrefixLists (ec2.New(envRegionSession): the "
            "CloudFront prefix list, for http.public.ingress.cdn)",
        ),
        Call("sts:AssumeRole", _MANAGER, "internal/pkg/cli/deploy/env.go NewEnvDeployer"),
    ],
    # copilot svc package --name <svc> --env <env> --upload-assets (the pipeline's package.sh)
    "svc package": [
        _WHO,
        Call("ssm:GetParameter", _APP, "internal/pkg/cli/svc_package.go getTargetApp"),
        Call("ssm:GetParameter", _ENV, "internal/pkg/cli/svc_package.go getTargetEnv"),
        Call(
            "cloudformation:ListStackInstances",
            _STACKSET,
            "internal/pkg/cli/deploy/workload.go newWorkloadDeployer (GetAppResourcesByRegion)",
        ),
        Call(
            "cloudformation:DescribeStacks",
            _STACKSET_STACK,
            "internal/pkg/deploy/cloudformation/app.go GetAppResourcesByRegion",
        ),
        Call(
            "ecr:GetAuthorizationToken",
            "*",
            "internal/pkg/cli/deploy/workload.go newWorkloadDeployer "
            "(ecr.New(defaultSessEnvRegion))",
        ),
        *[
            Call(
                f"ecr:{action}",
                _REPOSITORY,
                "internal/pkg/repository: docker push of the image to the application's "
                "repository (default session)",
                context={"ecr:ResourceTag/copilot-application": "{app}"},
            )
            for action in (
                "BatchCheckLayerAvailability",
                "InitiateLayerUpload",
                "UploadLayerPart",
                "CompleteLayerUpload",
                "PutImage",
            )
        ],
        Call("sts:AssumeRole", _MANAGER, "internal/pkg/cli/deploy/workload.go (FromRole)"),
    ],
}


def requests(
    command: str,
    *,
    app: str,
    env: str,
    region: str,
    account: str,
    principal: str,
    svc: str = "api",
    pipeline: str = "",
    partition: str = "aws",
) -> list[tuple[Call, Request]]:
    values = {
        "partition": partition,
        "region": region,
        "account": account,
        "app": app,
        "env": env,
        "svc": svc,
        "pipeline": pipeline or f"pipeline-{app}-{app}-main-Pipeline-1ABCDEF2GHIJK",
    }
    return [
        (
            call,
            Request(
                call.action,
                call.resource.format(**values),
                principal=principal,
                context={k: v.format(**values) for k, v in call.context.items()},
            ),
        )
        for call in COMMANDS[command]
    ]
