"""The CDK app synthesises every stack of every environment offline, with cdk-nag's and CDK's own
validations passing (the synthesis raises on an unacknowledged finding), and includes every addon
template as it is."""

from __future__ import annotations

import subprocess
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk import cloudformation_include as cfn_inc

from cdk import addons, nag
from devstack import templates
from tests.infra.cdk.conftest import ENVIRONMENTS, FEATURE

# The session's synthesis (a minute of CPU) and the linters (two more) run inside the first
# test that needs them; on a machine shared with other work they take longer than pytest's
# default timeout.
pytestmark = pytest.mark.timeout(1800)
STACKS = ("network", "edge", "deployment", "environment", "api")


def test_every_environment_synthesises_offline(synthesised):
    # No lookup was left for the CLI to make with credentials.
    assert synthesised.manifest.get("missing", []) == []
    for env in ENVIRONMENTS:
        for stack in ("deployment", "environment", "api"):
            assert synthesised.template(env, stack)["Resources"]
    # A feature environment uses dev's network and web ACL.
    feature = f"feat-{FEATURE}"
    assert not synthesised.has(feature, "network") and not synthesised.has(feature, "edge")
    assert synthesised.stack_name("prod", "environment") == "teamtasks-prod"
    assert synthesised.stack_name("prod", "api") == "teamtasks-prod-api"
    assert synthesised.stack_name("prod", "network") == "teamtasks-prod-network"
    assert synthesised.artifact("prod", "edge")["environment"].endswith("/us-east-1")
    assert synthesised.artifact("prod-eu-central-1", "api")["environment"].endswith("/eu-central-1")


def _included(env: str, stack: str) -> dict[str, Any]:
    """The template the stack includes, as CloudFormation sees it on the Copilot path."""
    return {
        "environment": lambda: addons.merged_folder(addons.ENVIRONMENT_ADDONS),
        "api": lambda: addons.merged_folder(addons.SERVICE_ADDONS),
        "network": addons.network_template,
        "edge": addons.edge_template,
    }[stack]()


def test_every_addon_template_is_included_or_said_why_not():
    # A new file under addons/ fails here until the app deploys it (or says why it does not).
    files = {
        path
        for path in templates.ROOT.joinpath("addons").rglob("*")
        if path.suffix in (".yml", ".yaml") and path.name not in templates.PARAMETERS_FILE_NAMES
    }
    assert files == set(addons.included_files()) | set(addons.NOT_DEPLOYED)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_addons_resources_outputs_and_conditions_are_in_the_stacks(synthesised, env):
    # Every resource of every included template keeps its logical id and type (CfnInclude
    # silently drops everything after an Fn::ForEach, for one), and every output and export.
    for stack in ("network", "edge", "environment", "api"):
        if not synthesised.has(env, stack):
            continue
        included = _included(env, stack)
        synthesised_template = synthesised.template(env, stack)
        resources = synthesised_template["Resources"]
        for logical_id, resource in included["Resources"].items():
            assert resources.get(logical_id, {}).get("Type") == resource["Type"], (
                f"{env}/{stack}: {logical_id}"
            )
            if "Condition" in resource:
                assert resources[logical_id]["Condition"] == resource["Condition"]
        for name in included.get("Outputs") or {}:
            assert name in synthesised_template["Outputs"], f"{env}/{stack}: output {name}"
        assert set(included.get("Conditions") or {}) <= set(synthesised_template["Conditions"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_parameter_left_has_a_value_at_deploy_time(synthesised, env):
    # A parameter the app does not give a value (a new addon parameter without a default, one
    # that addons.parameters.yml would pass) would stop the deployment: each left has a default.
    for stack in STACKS:
        if not synthesised.has(env, stack):
            continue
        for name, spec in (synthesised.template(env, stack).get("Parameters") or {}).items():
            assert "Default" in spec, f"{env}/{stack}: parameter {name} has no value"


def test_the_environment_addons_get_copilots_parameters(synthesised):
    # addons.parameters.yml is what Copilot passes: the app passes each of them too.
    passed = set(templates.load(addons.ENVIRONMENT_ADDONS / "addons.parameters.yml")["Parameters"])
    merged = addons.merged_folder(addons.ENVIRONMENT_ADDONS)
    parameters = synthesised.template("prod", "environment").get("Parameters") or {}
    for name in passed:
        assert name in merged["Parameters"]
        assert name not in parameters, f"{name} left to the deployer"


def test_cfn_include_cannot_read_for_each_hence_the_unrolled_network(tmp_path):
    # Why the network template is included as the transform unrolls it: CfnInclude drops the
    # loop and everything after it, silently.
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Probe")
    unrolled = addons.network_template()["Resources"]
    try:
        cfn_inc.CfnInclude(
            stack,
            "Raw",
            template_file=str(addons.NETWORK_TEMPLATE),
            parameters={
                "App": "teamtasks",
                "Env": "dev",
                "Profile": "development",
                "S3PrefixListId": "pl-1",
                "DynamoDbPrefixListId": "pl-2",
            },
        )
        raw = app.synth().get_stack_by_name("Probe").template["Resources"]
    except RuntimeError as error:  # aws-cdk-lib 2.275: the loop becomes a typeless resource
        assert "type" in str(error)
        return
    assert len([k for k in unrolled if k not in raw]) > 10


def _probe_app(tmp_path) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Probe")
    nag.check(app)
    return app, stack


def test_an_unacknowledged_finding_fails_the_synthesis(tmp_path):
    app, stack = _probe_app(tmp_path)
    sqs.Queue(stack, "Queue", enforce_ssl=True)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_an_acknowledged_finding_passes(tmp_path):
    app, stack = _probe_app(tmp_path)
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    nag.acknowledge(queue, "AwsSolutions-SQS3", "a probe queue that is nobody's dead-letter queue")
    app.synth()


def test_every_acknowledged_rule_is_listed_in_docs_security(synthesised):
    text = templates.ROOT.joinpath("docs", "security.md").read_text()
    rules = {a.rule.split("[")[0] for a in nag.acknowledged()}
    missing = sorted(rule for rule in rules if rule.split("::")[-1] not in text)
    assert not missing, f"docs/security.md does not list {missing}"
    for acknowledgment in nag.acknowledged():
        assert len(acknowledgment.reason) > 20, acknowledgment


def test_the_cdk_packages_do_not_ship():
    # The image, the SBOM and the audit take the lock without the dev group (Dockerfile,
    # Makefile's sbom, tools/audit.sh): the CDK app's packages must not be in what ships.
    uv = templates.ROOT / ".tools" / "uv" / "bin" / "uv"
    shipped = subprocess.run(
        [
            str(uv),
            "export",
            "--locked",
            "--no-dev",
            "--no-emit-project",
            "--quiet",
            "--format",
            "requirements-txt",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=templates.ROOT,
    ).stdout
    for package in ("aws-cdk-lib", "constructs", "cdk-nag", "jsii"):
        assert f"\n{package}==" not in f"\n{shipped}", package
    assert "\nflask==" in f"\n{shipped}"
