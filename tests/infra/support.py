"""Reading the deployment as Copilot would, for the infrastructure tests: the addon folders
merged into the one nested stack Copilot deploys, with local Lambda code paths replaced by S3
locations (what `copilot svc|env package --upload-assets` does), and the manifests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from moto import mock_aws

from devstack import templates
from devstack.intrinsics import Resolver
from tests.infra.rendered import model

ROOT = templates.ROOT
ENVIRONMENT_ADDONS = templates.ENVIRONMENT_ADDONS
SERVICE_ADDONS = templates.SERVICE_ADDONS
ADDON_FOLDERS = {"environment": ENVIRONMENT_ADDONS, "api": SERVICE_ADDONS}
# Every environment with a manifest: the pipeline's three and prod's standby in a second region.
ENVIRONMENTS = ("dev", "staging", "prod", "prod-eu-central-1")
COPILOT = ROOT / "copilot"
SERVICE_MANIFEST = COPILOT / "api" / "manifest.yml"
PIPELINE = COPILOT / "pipelines" / "teamtasks-main"


def merged(folder: Path) -> dict[str, Any]:
    return templates.merged(folder)


# What Copilot uploads for an addons folder: the one merged nested template, code paths rewritten.
local_assets = model.local_assets
packaged = model.packaged


def write_json(template: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(template, indent=1))
    return path


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_yaml_cfn(path: Path) -> Any:
    """YAML with CloudFormation's short-form tags (!Ref, !If, ...)."""
    return templates.load(path)


def resources_of(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] in types}


def resolver(template: dict[str, Any], env: str, **parameters: str) -> Resolver:
    """Evaluates the template's intrinsics as CloudFormation would in environment `env`."""
    values = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
    values.update(
        {
            "App": "teamtasks",
            "Env": env,
            "Name": "api",
            "NetworkStack": f"teamtasks-{env}-network",
            **parameters,
        }
    )
    return Resolver(
        template,
        parameters=values,
        pseudo={
            "AWS::Region": "eu-west-1",
            "AWS::AccountId": "111122223333",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": f"teamtasks-{env}-AddonsStack",
        },
        resources=_placeholder_resources(template),
        exports=_AnyExport(),
    )


class _AnyExport(dict):
    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return f"import:{key}"


def _placeholder_resources(template: dict[str, Any]) -> dict[str, Any]:
    class Attributes(dict):
        def __init__(self, logical_id: str):
            super().__init__(Ref=f"ref:{logical_id}")
            self.logical_id = logical_id

        def __missing__(self, attribute: str) -> str:
            return f"getatt:{self.logical_id}.{attribute}"

    return {logical_id: Attributes(logical_id) for logical_id in template["Resources"]}


@contextmanager
def mocked_account(region: str, account: str) -> Iterator[None]:
    """moto in-process as one account and region, with test credentials and no endpoint URL
    (a test on the emulator's server must not reach it, nor this one a real account)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "MOTO_ACCOUNT_ID": account,
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            yield
