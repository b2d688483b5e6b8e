"""The CDK app synthesised once for the whole session (every environment, the pipeline), offline:
the account is fixed and the lookups' results are given as context, as cdk.context.json gives
them to the team's synth; a lookup the context does not answer fails the run."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cdk import app as cdk_app
from tests.infra.aws_rules.concrete import longest_feature_env
from tests.infra.rendered import environment as rendered_environment
from tests.infra.rendered import network as rendered_network

ACCOUNT = "111122223333"
# The feature environment with the longest name ops/feature_env.py accepts (feat- and 12
# characters): the names AWS limits are checked at it (test_aws_rules.py).
FEATURE = longest_feature_env().removeprefix("feat-")
ENVIRONMENTS = ("dev", "staging", "prod", "prod-eu-central-1", f"feat-{FEATURE}")
# jsii's runtime warns on every start under Node.js 20, which it no longer supports; the
# machine's Node.js is 20 (the browser app's build needs 20.19+).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def prefix_list_key(name: str, region: str) -> str:
    """The context key of ec2.PrefixList.from_lookup (CDK's Cloud Control lookup)."""
    return (
        f"cc-api-provider:account={ACCOUNT}:expectedMatchCount=exactly-one:"
        f"propertiesToReturn.0=PrefixListId:propertyMatch.PrefixListName={name}:"
        f"region={region}:typeName=AWS$:$:EC2$:$:PrefixList"
    )


def context() -> dict[str, Any]:
    values: dict[str, Any] = {
        "account": ACCOUNT,
        "feature": FEATURE,
        "repository": "teamtasks/teamtasks",
        "branch": "main",
        "connectionArn": f"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/example",
    }
    for region, lists in rendered_network.PREFIX_LISTS.items():
        for service in ("s3", "dynamodb"):
            values[prefix_list_key(f"com.amazonaws.{region}.{service}", region)] = [
                {"PrefixListId": lists[service]}
            ]
        values[prefix_list_key("com.amazonaws.global.cloudfront.origin-facing", region)] = [
            {"PrefixListId": rendered_environment.CLOUDFRONT_PREFIX_LIST}
        ]
    return values


@dataclass
class Synthesised:
    outdir: Path
    manifest: dict[str, Any]
    seconds: float
    app: Any

    def artifact(self, env: str, stack: str) -> dict[str, Any]:
        """The manifest entry of a stage's stack (network, edge, deployment, environment, api)."""
        folder = (
            self.outdir
            / self.manifest["artifacts"][f"assembly-{env}"]["properties"]["directoryName"]
        )
        nested = json.loads((folder / "manifest.json").read_text())
        for artifact in nested["artifacts"].values():
            if artifact.get("displayName") == f"{env}/{stack}":
                return {"dir": folder, **artifact}
        raise KeyError(f"{env}/{stack}")

    def has(self, env: str, stack: str) -> bool:
        try:
            self.artifact(env, stack)
        except KeyError:
            return False
        return True

    def template(self, env: str, stack: str) -> dict[str, Any]:
        artifact = self.artifact(env, stack)
        return json.loads((artifact["dir"] / artifact["properties"]["templateFile"]).read_text())

    def stack_name(self, env: str, stack: str) -> str:
        return self.artifact(env, stack)["properties"]["stackName"]

    def stacks(self, env: str) -> dict[str, dict[str, Any]]:
        """The stage's stacks by role (network, edge, deployment, environment, api), each with
        its name, region and template."""
        folder = (
            self.outdir
            / self.manifest["artifacts"][f"assembly-{env}"]["properties"]["directoryName"]
        )
        nested = json.loads((folder / "manifest.json").read_text())
        return {
            artifact["displayName"].removeprefix(f"{env}/"): self._stack(folder, artifact)
            for artifact in nested["artifacts"].values()
            if artifact["type"] == "aws:cloudformation:stack"
        }

    def account_stacks(self) -> dict[str, dict[str, Any]]:
        """The stacks outside the environments' stages (the registries, the pipeline and its
        replication bucket), by construct id."""
        return {
            name: self._stack(self.outdir, artifact)
            for name, artifact in self.manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        }

    @staticmethod
    def _stack(folder: Path, artifact: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": artifact["properties"]["stackName"],
            "region": artifact["environment"].rsplit("/", 1)[1],
            "template": json.loads((folder / artifact["properties"]["templateFile"]).read_text()),
        }

    def templates(self) -> dict[str, Path]:
        """Every synthesised template, by a readable name."""
        found = {}
        for path in sorted(self.outdir.rglob("*.template.json")):
            found[str(path.relative_to(self.outdir))] = path
        return found


@pytest.fixture(scope="session")
def synthesised(tmp_path_factory) -> Synthesised:
    outdir = tmp_path_factory.mktemp("cdk.out")
    started = time.monotonic()
    app = cdk_app.build(context(), outdir=str(outdir))
    app.synth()
    seconds = time.monotonic() - started
    print(f"\ncdk synth: {seconds:.1f} s")
    manifest = json.loads((outdir / "manifest.json").read_text())
    return Synthesised(outdir, manifest, seconds, app)
