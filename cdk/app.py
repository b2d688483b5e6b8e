"""The CDK app: every environment's stacks, and the release pipeline.

    .venv/bin/python -m cdk.app        # synthesises into $CDK_OUTDIR or cdk/cdk.out

Context (cdk.json, or -c on the CLI): `account` (else the CLI's CDK_DEFAULT_ACCOUNT), `region`
(the primary region; prod's standby runs in the region its name says), `feature` (adds the
feature environment feat-<feature>), and for the pipeline `repository` (owner/name on GitHub),
`branch` and `connectionArn` (a CodeStar connection, approved once in the console)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from cdk import config, nag
from cdk.deployment import DeploymentStack
from cdk.environment import EnvironmentStack
from cdk.network import EdgeStack, NetworkStack, RegistryStack
from cdk.pipeline import PipelineStack, ReplicationStack
from cdk.service import ServiceStack

HERE = Path(__file__).resolve().parent
DEFAULT_OUTDIR = HERE / "cdk.out"


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (the feature flags and the primary region): the CLI passes it to the
    app, and build() reads it too, so that the tests synthesise what the CLI deploys."""
    context = dict(json.loads((HERE / "cdk.json").read_text())["context"])
    # The lookups' results (the managed prefix lists), which the first `cdk synth` with
    # credentials writes and the team commits, as the CLI would merge them.
    cached = HERE / "cdk.context.json"
    if cached.exists():
        context.update(json.loads(cached.read_text()))
    return context


class MissingContext(Exception):
    """The app cannot be synthesised without this context value."""


class EnvironmentStage(cdk.Stage):
    """One environment's stacks, deployed together (`cdk deploy '<env>/*'`) and by the pipeline:
    network and web ACL first, the deployment roles, the environment, then the service."""

    def __init__(self, scope: Construct, env: config.Environment) -> None:
        super().__init__(scope, env.name)
        self.env_config = env
        self.stacks: dict[str, cdk.Stack] = {}
        if env.owns_network:
            self.stacks["network"] = NetworkStack(self, env)
        if env.has_own_edge:
            self.stacks["edge"] = EdgeStack(self, env)
        roles = DeploymentStack(self, env)
        self.stacks["deployment"] = roles
        environment = EnvironmentStack(self, env)
        environment.add_stack_dependency(roles)
        if "network" in self.stacks:
            environment.add_stack_dependency(self.stacks["network"])
        if "edge" in self.stacks:
            environment.add_stack_dependency(self.stacks["edge"])
        self.stacks["environment"] = environment
        service = ServiceStack(self, env)
        service.add_stack_dependency(environment)
        self.stacks["api"] = service


def environment_names(context: Mapping[str, Any]) -> list[str]:
    names = list(config.ENVIRONMENTS)
    feature = context.get("feature")
    if feature:
        names.append(f"feat-{feature}")
    return names


def build(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> cdk.App:
    """The app with every environment's stage (and the pipeline when its context is given)."""
    app = cdk.App(
        context={**cdk_json_context(), **dict(context or {})},
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(DEFAULT_OUTDIR),
        analytics_reporting=False,
    )
    account = app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    if not account:
        raise MissingContext("the account: -c account=<id>, or run through the CDK CLI")
    region = app.node.try_get_context("region") or config.DEFAULT_REGION
    stages = {}
    for name in environment_names({"feature": app.node.try_get_context("feature")}):
        env = config.environment(name, account=str(account), region=str(region))
        stages[name] = EnvironmentStage(app, env)
    app.stages = stages  # type: ignore[attr-defined]
    app.registries = {  # type: ignore[attr-defined]
        name: RegistryStack(app, account=str(account), region=name)
        for name in sorted({stage.env_config.region for stage in stages.values()})
    }
    repository = app.node.try_get_context("repository")
    connection = app.node.try_get_context("connectionArn")
    if repository and connection:
        app.pipeline = PipelineStack(  # type: ignore[attr-defined]
            app,
            account=str(account),
            region=str(region),
            repository=str(repository),
            branch=str(app.node.try_get_context("branch") or "main"),
            connection_arn=str(connection),
            stages=stages,
            replication={
                config.EDGE_REGION: ReplicationStack(
                    app, account=str(account), region=config.EDGE_REGION
                )
            },
        )
    nag.check(app)
    return app


def main() -> None:
    build().synth()


if __name__ == "__main__":
    main()
