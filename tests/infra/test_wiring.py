"""Every setting app/config.py reads comes from the deployment, and every addon output is used.
(Exports and imports across stacks are checked on the rendered stacks, test_rendered_stacks.py.)"""

from __future__ import annotations

import ast
import re

import boto3
import moto
import pytest

from devstack import provision, templates
from tests.infra import support
from tests.infra.test_manifests import effective

# Set by the platform in every task: Copilot's COPILOT_* variables, AWS_REGION and
# AWS_DEFAULT_REGION by ECS on Fargate.
SET_BY_THE_PLATFORM = {
    "COPILOT_ENVIRONMENT_NAME",
    "COPILOT_SERVICE_NAME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
}
# Local runs only; app/config.py refuses the endpoint override in AWS.
NEVER_IN_AWS = {"AWS_ENDPOINT_URL", "FRONTEND_DIR"}


def settings_read() -> set[str]:
    """The variable names app/config.py passes to its readers (self._required("X"), ...)."""
    tree = ast.parse((support.ROOT / "app" / "config.py").read_text())
    names = set()
    for node in ast.walk(tree):
        is_reader_call = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr.startswith("_")
            and node.args
        )
        first = node.args[0] if is_reader_call else None
        if (
            isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9_]+", first.value)
        ):
            names.add(first.value)
        if isinstance(node, ast.Constant) and node.value == "AWS_ENDPOINT_URL":
            names.add(node.value)
    return names


def service_addon_variables() -> dict[str, str]:
    """Output name -> environment variable, for the outputs Copilot injects as variables."""
    template = templates.merged(support.SERVICE_ADDONS)
    return {
        name: templates.copilot_variable_name(name)
        for name, output in template["Outputs"].items()
        if not provision._typed_by_copilot(template, output)
    }


def test_the_settings_are_found():
    assert {
        "TASKS_TABLE_NAME",
        "USER_POOL_ID",
        "USER_POOL_CLIENT_ID",
        "CURSOR_SECRET_ARN",
        "UNSUBSCRIBE_SECRET_ARN",
    } <= settings_read()
    assert {"AWS_REGION", "LOG_LEVEL", "OTEL_EXPORTER_OTLP_ENDPOINT"} <= settings_read()


@pytest.mark.parametrize("env", support.ENVIRONMENTS)
def test_every_setting_is_produced_in_every_environment(env):
    manifest = effective(env)
    produced = set(manifest.get("variables", {})) | set(manifest.get("secrets", {}))
    produced |= set(service_addon_variables().values())
    missing = settings_read() - produced - SET_BY_THE_PLATFORM - NEVER_IN_AWS
    assert missing == set()
    assert not (produced & NEVER_IN_AWS)
    assert not (produced & SET_BY_THE_PLATFORM)


def test_the_manifest_sets_nothing_the_service_does_not_read():
    for env in support.ENVIRONMENTS:
        assert set(effective(env).get("variables", {})) <= settings_read()
        assert not effective(env).get("secrets")


def test_every_service_addon_output_is_a_setting_or_the_task_policy():
    template = templates.merged(support.SERVICE_ADDONS)
    for name, output in template["Outputs"].items():
        if provision._typed_by_copilot(template, output):
            assert (
                template["Resources"][output["Value"]["Ref"]]["Type"] == "AWS::IAM::ManagedPolicy"
            )
        else:
            assert templates.copilot_variable_name(name) in settings_read(), name


def test_outputs_are_not_conditional():
    # Copilot reads every output with an unconditional GetAtt.
    for folder in support.ADDON_FOLDERS.values():
        for name, output in (templates.merged(folder).get("Outputs") or {}).items():
            assert "Condition" not in output, name


def test_addon_parameters_are_declared_and_defaulted():
    for folder in support.ADDON_FOLDERS.values():
        template = templates.merged(folder)
        given = support.load_yaml_cfn(folder / "addons.parameters.yml")["Parameters"]
        reserved = {"App", "Env", "Name"}
        assert not set(given) & reserved
        for name, spec in template["Parameters"].items():
            if name in reserved:
                continue
            assert "Default" in spec or name in given, name
        assert set(given) <= set(template["Parameters"])


def test_parameters_repeated_across_files_are_identical():
    # Copilot refuses to merge files that declare one parameter differently.
    for folder in support.ADDON_FOLDERS.values():
        seen = {}
        for path in templates.template_files(folder):
            for name, spec in (templates.load(path).get("Parameters") or {}).items():
                assert seen.setdefault(name, spec) == spec, f"{path.name}: {name}"


# -- the local stack ----------------------------------------------------------------------


@pytest.mark.parametrize("folder", support.ADDON_FOLDERS)
def test_the_local_stack_handles_every_resource_type(folder):
    assert provision.unhandled_types(templates.merged(support.ADDON_FOLDERS[folder])) == set()


def test_an_unknown_type_is_reported():
    template = {"Resources": {"X": {"Type": "AWS::Glue::Job"}}}
    assert provision.unhandled_types(template) == {"AWS::Glue::Job"}


def test_every_type_not_needed_locally_says_why():
    for resource_type, reason in provision.NOT_NEEDED_LOCALLY.items():
        assert len(reason.split()) >= 5, resource_type


def test_the_local_stack_provisions_from_these_templates():
    with moto.mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        result = provision.LocalProvisioner(
            session, app="teamtasks", env="t", progress=lambda message: None
        ).run()
        environment = result.service_environment
        assert set(environment) == set(service_addon_variables().values())
        assert environment["TASKS_TABLE_NAME"] == "teamtasks-t-tasks"
        dynamodb = session.client("dynamodb")
        backups = dynamodb.describe_continuous_backups(TableName="teamtasks-t-tasks")
        status = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert status["PointInTimeRecoveryStatus"] == "ENABLED"
        ttl = dynamodb.describe_time_to_live(TableName="teamtasks-t-tasks")
        assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
        secret = session.client("secretsmanager").describe_secret(
            SecretId=environment["CURSOR_SECRET_ARN"]
        )
        assert {t["Key"] for t in secret["Tags"]} >= {"copilot-application", "copilot-environment"}
        pool = session.client("cognito-idp").describe_user_pool(
            UserPoolId=environment["USER_POOL_ID"]
        )
        assert pool["UserPool"]["UsernameAttributes"] == ["email"]
