"""The stacks Copilot renders around the addons (tests/infra/rendered), checked as CloudFormation
would check them: cfn-lint over every stack (E3004 is a circular dependency, E1012/E1010 a
dangling Ref/GetAtt), the wiring across the nested-stack boundary (parameters passed and declared,
every Outputs.X the parent reads), the exports every stack, manifest and script imports, and the
YAML patches applied to Copilot's templates (a path Copilot does not render is an error)."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from tests.infra.rendered import Scenario, analysis, manifests, render, yamlpatch
from tests.infra.rendered.model import (
    ENVIRONMENT_PATCHES,
    SERVICE_ADDONS,
    SERVICE_PATCHES,
    packaged,
)

ENVIRONMENTS = manifests.ENVIRONMENTS
BIN = Path(sys.executable).parent
DEPLOY_SCRIPT = manifests.ROOT / "frontend" / "scripts" / "deploy.py"
PIPELINE_EXPORT = re.compile(r"\$\{COPILOT_APPLICATION_NAME\}-\$\{COPILOT_ENVIRONMENT_NAME\}-(\w+)")

# Findings cfn-lint makes on Copilot's own parts of the rendered stacks (not on the addons, the
# patches or addons.parameters.yml, which must have none): they are how Copilot's templates are.
COPILOTS_OWN_WARNINGS = {
    "W2001": "Copilot declares parameters its template does not use for this manifest",
    "W8001": "Copilot declares conditions its template does not use for this manifest",
    "W3011": "Copilot retains its IAM roles without an UpdateReplacePolicy",
    "W3005": "Copilot's task definition names LogGroup in DependsOn and in a Ref",
    "W1001": "Copilot reads AddonsStack's outputs unconditionally although the stack has the "
    "condition HasAddons (it is always true when addons exist)",
}


@cache
def deployment(env: str, scenario: Scenario = Scenario.DEPLOYED):
    return render(env, scenario)


def cfn_lint(templates: dict[str, dict[str, Any]], folder: Path) -> list[dict[str, Any]]:
    paths = []
    for name, template in templates.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(template, indent=1))
        paths.append(str(path))
    result = subprocess.run(
        [str(BIN / "cfn-lint"), "--format", "json", "--", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def ours(finding: dict[str, Any]) -> bool:
    """Whether a finding is on something the repository writes: the addons, a path a patch
    touches, or the parameters Copilot renders from addons.parameters.yml."""
    path = [str(p) for p in finding["Location"]["Path"]]
    if "addons" in Path(finding["Filename"]).name:
        return True
    if path[:4] == ["Resources", "AddonsStack", "Properties", "Parameters"]:
        return True
    for patch in yamlpatch.load(ENVIRONMENT_PATCHES) + yamlpatch.load(SERVICE_PATCHES):
        prefix = [p for p in patch["path"].lstrip("/").split("/") if p != "-"]
        if path[: len(prefix)] == prefix:
            return True
    return False


def described(finding: dict[str, Any]) -> str:
    path = "/".join(map(str, finding["Location"]["Path"]))
    return f"{Path(finding['Filename']).stem} {finding['Rule']['Id']} {path}: {finding['Message']}"


@pytest.fixture(scope="module")
def lint_findings(tmp_path_factory) -> list[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("rendered")
    templates = {}
    for env in ENVIRONMENTS:
        for stack in deployment(env).stacks:
            if stack.role.endswith("addons") and env != "prod":
                continue  # the same template in every environment
            templates[f"{env}-{stack.role}"] = stack.template
    return cfn_lint(templates, folder)


def test_cfn_lint_finds_no_error_in_any_rendered_stack(lint_findings):
    errors = [described(f) for f in lint_findings if f["Level"] == "Error"]
    assert errors == []


def test_cfn_lint_warns_only_about_copilots_own_structure(lint_findings):
    warnings = [
        described(f)
        for f in lint_findings
        if f["Level"] != "Error" and (ours(f) or f["Rule"]["Id"] not in COPILOTS_OWN_WARNINGS)
    ]
    assert warnings == []


def test_a_service_addon_that_names_the_service_is_a_circular_dependency(tmp_path):
    """The defect of issue 8.1, put back in the model: cfn-lint sees the cycle
    Service -> TaskDefinition -> TaskRole -> AddonsStack -> Service."""
    addons = packaged(SERVICE_ADDONS)
    addons["Parameters"]["EcsServiceName"] = {"Type": "String", "Default": ""}
    parameters = dict(
        deployment("prod")
        .stack("service")
        .template["Resources"]["AddonsStack"]["Properties"]["Parameters"]
    )
    parameters.pop("App"), parameters.pop("Env"), parameters.pop("Name")
    parameters["EcsServiceName"] = {"Fn::GetAtt": ["Service", "Name"]}
    broken = render("prod", service_addons=addons, service_addons_parameters=parameters)
    findings = cfn_lint({"service": broken.stack("service").template}, tmp_path)
    cycles = {f["Location"]["Path"][1] for f in findings if f["Rule"]["Id"] == "E3004"}
    assert {"Service", "TaskDefinition", "TaskRole", "AddonsStack"} <= cycles


@pytest.mark.parametrize("scenario", list(Scenario))
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_nested_stacks_get_the_parameters_they_declare_and_declare_the_outputs_read(env, scenario):
    assert analysis.nested_stack_problems(deployment(env, scenario)) == []


def test_an_output_nobody_declares_is_reported():
    broken = copy.deepcopy(deployment("prod"))
    task = broken.stack("service").template["Resources"]["TaskDefinition"]
    variables = task["Properties"]["ContainerDefinitions"][0]["Environment"]
    variables.append({"Name": "NOPE", "Value": {"Fn::GetAtt": ["AddonsStack", "Outputs.Nope"]}})
    assert analysis.nested_stack_problems(broken) == [
        "teamtasks-prod-api/Resources/TaskDefinition/Properties/ContainerDefinitions/0/"
        f"Environment/{len(variables) - 1}/Value: reads Outputs.Nope, which "
        "teamtasks-prod-api-AddonsStack does not declare"
    ]


def load_deploy_script():
    spec = importlib.util.spec_from_file_location("frontend_deploy_exports", DEPLOY_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def imports_outside_templates(env: str) -> dict[str, list[str]]:
    """What the manifests (from_cfn) and the scripts import, by export name."""
    found: dict[str, list[str]] = {}
    manifest = manifests.service_manifest(env)
    for section in ("variables", "secrets"):
        for name, value in (manifest.get(section) or {}).items():
            if isinstance(value, dict) and "from_cfn" in value:
                found.setdefault(value["from_cfn"], []).append(
                    f"copilot/api/manifest.yml {section}.{name}"
                )
    for suffix in load_deploy_script().EXPORTS.values():
        found.setdefault(f"{manifests.APP}-{env}-{suffix}", []).append("frontend/scripts/deploy.py")
    # What the pipeline's scripts import (named with Copilot's two variables)
    for script in sorted((manifests.COPILOT / "pipelines").rglob("*.sh")):
        for suffix in PIPELINE_EXPORT.findall(script.read_text()):
            found.setdefault(f"{manifests.APP}-{env}-{suffix}", []).append(
                str(script.relative_to(manifests.ROOT))
            )
    return found


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_import_is_exported_by_a_stack_that_exists(env):
    assert analysis.import_problems(deployment(env), imports_outside_templates(env)) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_environment_deploys_before_its_first_service(env):
    """`copilot env deploy` of a new environment: the ALB and the distribution do not exist
    yet, and the addons must neither need them nor import anything but the network stack's
    exports (that stack is deployed before `env init`)."""
    first = deployment(env, Scenario.BOOTSTRAP)
    assert analysis.import_problems(first) == []
    exporters = analysis.exports(first)
    assert {exporters[name] for name in analysis.imports(first)} == {first.stack("network").name}


def test_every_environment_export_is_used():
    env = "prod"
    used = set(analysis.imports(deployment(env))) | set(imports_outside_templates(env))
    addons = deployment(env).stack("environment-addons")
    resolve = analysis.resolver(addons, deployment(env))
    exported = {
        resolve.resolve(o["Export"]["Name"])
        for o in addons.template["Outputs"].values()
        if "Export" in o
    }
    assert exported - used == set()


def test_an_import_nobody_exports_is_reported():
    assert analysis.import_problems(
        deployment("prod"), {"teamtasks-prod-FrontendBucket": ["a script"]}
    ) == ["teamtasks-prod-FrontendBucket is imported (a script) but no stack exports it"]


def test_a_nested_stack_importing_its_parents_export_is_reported():
    broken = copy.deepcopy(deployment("prod"))
    addons = broken.stack("environment-addons").template
    addons["Outputs"]["Cluster"] = {
        "Value": {"Fn::ImportValue": {"Fn::Sub": "${App}-${Env}-ClusterId"}}
    }
    (problem,) = analysis.import_problems(broken)
    assert "imports teamtasks-prod-ClusterId from its own parent stack" in problem


@pytest.mark.parametrize("patches", [ENVIRONMENT_PATCHES, SERVICE_PATCHES])
def test_patches_use_only_what_copilot_supports(patches):
    for patch in yamlpatch.load(patches):
        assert patch["op"] in yamlpatch.OPERATIONS
        assert patch["path"].startswith("/Resources/") or patch["path"].startswith("/Conditions/")


def test_a_patch_on_a_path_copilot_does_not_render_is_an_error():
    with pytest.raises(yamlpatch.PatchError, match="not found"):
        render(
            "prod",
            environment_patches=[
                {
                    "op": "replace",
                    "path": "/Resources/CloudFrontDistribution/Properties/Nope",
                    "value": 1,
                }
            ],
        )
    with pytest.raises(yamlpatch.PatchError, match="index 3 out of bounds"):
        render(
            "prod",
            environment_patches=[
                {
                    "op": "replace",
                    "path": "/Resources/CloudFrontDistribution/Properties/DistributionConfig/"
                    "CacheBehaviors/3",
                    "value": {},
                }
            ],
        )


def test_the_model_follows_the_manifests():
    """A few values the model takes from the manifests, so that it renders what they say."""
    prod = deployment("prod")
    environment = prod.stack("environment").template["Resources"]
    origin = environment["CloudFrontDistribution"]["Properties"]["DistributionConfig"]["Origins"][1]
    assert (
        origin["DomainName"]
        == "teamtasks-prod-frontend-111122223333-eu-west-1.s3.eu-west-1.amazonaws.com"
    )
    service = prod.stack("service").template["Resources"]
    rule = service["HTTPSListenerRule"]["Properties"]["Conditions"]
    assert {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api", "/api/*"]}} in rule
    assert service["TargetGroup"]["Properties"]["HealthCheckPath"] == "/healthz"
    policies = service["TaskRole"]["Properties"]["ManagedPolicyArns"]
    assert policies == [{"Fn::GetAtt": ["AddonsStack", "Outputs.TaskPolicyArn"]}]
    dev = deployment("dev").stack("service").template["Resources"]["Service"]["Properties"]
    assert dev["CapacityProviderStrategy"][0] == {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}


# -- Copilot's own functions on a supported runtime -----------------------------------------


def newest_node_runtime() -> str:
    """The Node.js runtime with no successor in cfn-lint's record of Lambda's runtime lifecycle."""
    lifecycle = json.loads(
        (
            Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"
        ).read_text()
    )
    (newest,) = [
        r for r, dates in lifecycle.items() if r.startswith("nodejs") and not dates["successor"]
    ]
    return newest


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_copilots_functions_run_on_the_newest_node_runtime(env):
    """Copilot v1.33.2 renders its custom resources on nodejs20.x, whose function creation
    Lambda blocks from 2027-02-01; the overrides move every one of them (and a function the
    model learns later fails here until a patch covers it)."""
    for stack in deployment(env).stacks:
        for logical_id, resource in stack.template["Resources"].items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            runtime = resource["Properties"].get("Runtime", "")
            if not runtime.startswith("python"):
                assert runtime == newest_node_runtime(), (stack.name, logical_id, runtime)


def test_the_runtime_patches_name_functions_copilot_renders():
    """What the overrides patch exists in the rendered stacks (a replace on a missing path
    fails to render), and each patched function is one of Copilot's Node.js functions."""
    unpatched = render("prod", environment_patches=[], service_patches=[])
    patched = {
        patch["path"].split("/")[2]
        for patch in yamlpatch.load(ENVIRONMENT_PATCHES) + yamlpatch.load(SERVICE_PATCHES)
        if patch["path"].endswith("/Properties/Runtime")
    }
    rendered = {
        logical_id
        for stack in unpatched.stacks
        if stack.role in ("environment", "service")
        for logical_id, resource in stack.template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
        and resource["Properties"]["Runtime"].startswith("nodejs")
    }
    assert patched == rendered
