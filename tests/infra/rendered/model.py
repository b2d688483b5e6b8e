"""A whole deployment of one environment as CloudFormation sees it: the stacks, their templates
(rendered, overridden, packaged) and the parameter values they are deployed with."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from devstack import templates
from tests.infra.rendered import environment, manifests, network, service, yamlpatch

ENVIRONMENT_ADDONS = templates.ENVIRONMENT_ADDONS
SERVICE_ADDONS = templates.SERVICE_ADDONS
ENVIRONMENT_PATCHES = manifests.COPILOT / "environments" / "overrides" / "cfn.patches.yml"
SERVICE_PATCHES = manifests.COPILOT / manifests.SERVICE / "overrides" / "cfn.patches.yml"
ASSETS_BUCKET = "stackset-teamtasks-infrastru-pipelinebuiltartifactbuc"

# Properties whose local path Copilot zips and uploads, rewriting them to an S3 location
# (internal/pkg/addon/package.go).
_PACKAGED = {
    "AWS::Lambda::Function": "Code",
    "AWS::Lambda::LayerVersion": "Content",
}


class Scenario(Enum):
    """BOOTSTRAP: `copilot env deploy` of a new environment, before any service (Copilot's
    ALBWorkloads and NATWorkloads are empty, so the ALB and the distribution do not exist), the
    network stack deployed before it. DEPLOYED: once the api service is deployed (its env
    controller has set them)."""

    BOOTSTRAP = "bootstrap"
    DEPLOYED = "deployed"


@dataclass
class Stack:
    name: str
    role: str  # network, environment, environment-addons, service, service-addons
    template: dict[str, Any]
    parameters: dict[str, str]
    parent: str | None = None  # the parent stack's role, for a nested stack
    logical_id: str | None = None  # its AWS::CloudFormation::Stack resource in the parent
    region: str = manifests.REGION


@dataclass
class Deployment:
    env: str
    scenario: Scenario
    stacks: list[Stack] = field(default_factory=list)
    # The SSM parameters CloudFormation resolves {{resolve:ssm:<name>}} to at deploy time.
    settings: dict[str, str] = field(default_factory=dict)

    def stack(self, role: str) -> Stack:
        (found,) = [s for s in self.stacks if s.role == role]
        return found

    def has(self, role: str) -> bool:
        return any(s.role == role for s in self.stacks)


def local_assets(template: dict[str, Any]) -> dict[str, str]:
    """Logical id -> the local path Copilot would upload for it."""
    found = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        prop = _PACKAGED.get(resource.get("Type", ""))
        if prop and isinstance((resource.get("Properties") or {}).get(prop), str):
            found[logical_id] = resource["Properties"][prop]
    return found


def packaged(folder: Path) -> dict[str, Any]:
    """An addons folder merged into the one nested template Copilot uploads, its local code
    paths replaced by the S3 locations `package --upload-assets` writes."""
    template = copy.deepcopy(templates.merged(folder))
    for logical_id, path in local_assets(template).items():
        resource = template["Resources"][logical_id]
        key = "manual/addons/assets/" + path.strip("/").replace("/", "-") + ".zip"
        resource["Properties"][_PACKAGED[resource["Type"]]] = {
            "S3Bucket": ASSETS_BUCKET,
            "S3Key": key,
        }
    template["AWSTemplateFormatVersion"] = "2010-09-09"
    return template


def addons_parameters(folder: Path) -> dict[str, Any] | None:
    """addons.parameters.yml's Parameters, which Copilot renders into the AddonsStack resource."""
    for name in templates.PARAMETERS_FILE_NAMES:
        path = folder / name
        if path.is_file():
            return dict(templates.load(path).get("Parameters") or {})
    return None


def _has_addons(folder: Path) -> bool:
    return folder.is_dir() and bool(templates.template_files(folder))


def render(
    env: str,
    scenario: Scenario = Scenario.DEPLOYED,
    *,
    environment_patches: list[dict[str, Any]] | None = None,
    service_patches: list[dict[str, Any]] | None = None,
    service_addons: dict[str, Any] | None = None,
    service_addons_parameters: dict[str, Any] | None = None,
    variables: dict[str, str] | None = None,
) -> Deployment:
    """The stacks of environment `env`. Patches, the service's addons template and its
    addons.parameters.yml default to the repository's files; tests pass others to show that a
    defect would be caught. `variables` are shell variables for the manifests' ${VAR}."""
    deployment = Deployment(env=env, scenario=scenario, settings=manifests.settings(env))
    region = manifests.region(env)
    deployment.stacks.append(
        Stack(
            network.stack_name(env),
            "network",
            network.template(),
            network.parameter_values(env),
            region=manifests.region(network.owner(env)),
        )
    )
    env_manifest = manifests.environment_manifest(env, variables)
    has_env_addons = _has_addons(ENVIRONMENT_ADDONS)
    env_template = environment.template(
        env,
        env_manifest,
        addons_parameters=(addons_parameters(ENVIRONMENT_ADDONS) or {}) if has_env_addons else None,
        region=region,
    )
    patches = (
        yamlpatch.load(ENVIRONMENT_PATCHES) if environment_patches is None else environment_patches
    )
    env_template = yamlpatch.apply(env_template, patches)
    svc_manifest = manifests.service_manifest(env, variables)
    services = (
        {manifests.SERVICE: service._aliases(svc_manifest)} if scenario is Scenario.DEPLOYED else {}
    )
    env_parameters = environment.parameter_values(env, services=services)
    env_stack_name = f"{manifests.APP}-{env}"
    deployment.stacks.append(
        Stack(env_stack_name, "environment", env_template, env_parameters, region=region)
    )
    if has_env_addons:
        deployment.stacks.append(
            Stack(
                f"{env_stack_name}-AddonsStack",
                "environment-addons",
                packaged(ENVIRONMENT_ADDONS),
                {},
                parent="environment",
                logical_id="AddonsStack",
                region=region,
            )
        )
    if scenario is Scenario.BOOTSTRAP:
        return deployment

    has_svc_addons = service_addons is not None or _has_addons(SERVICE_ADDONS)
    svc_addons = service_addons or (packaged(SERVICE_ADDONS) if has_svc_addons else None)
    if service_addons_parameters is None and has_svc_addons:
        service_addons_parameters = addons_parameters(SERVICE_ADDONS)
    svc_template = service.template(
        svc_manifest, addons=svc_addons, addons_parameters=service_addons_parameters
    )
    patches = yamlpatch.load(SERVICE_PATCHES) if service_patches is None else service_patches
    svc_template = yamlpatch.apply(svc_template, patches)
    svc_stack_name = f"{env_stack_name}-{manifests.SERVICE}"
    deployment.stacks.append(
        Stack(
            svc_stack_name,
            "service",
            svc_template,
            service.parameter_values(env, svc_manifest, manifests.APP),
            region=region,
        )
    )
    if svc_addons is not None:
        deployment.stacks.append(
            Stack(
                f"{svc_stack_name}-AddonsStack",
                "service-addons",
                svc_addons,
                {},
                parent="service",
                logical_id="AddonsStack",
                region=region,
            )
        )
    return deployment
