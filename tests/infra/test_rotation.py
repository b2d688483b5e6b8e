"""The rotation functions (lambdas/secret_rotation), their four steps run in-process against moto
(the emulator cannot invoke a Lambda). Secrets Manager starts a rotation by adding an AWSPENDING
version without a value and then calls the function once per step; moto's RotateSecret does
exactly that first part before it fails to find the function, so the tests start rotations
through it. This file: the cursor signing key and the protocol; test_origin_rotation.py: the
origin header, at the load balancer and CloudFront."""

from __future__ import annotations

import importlib.util
import re
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.infra import support

REGION = "eu-west-1"
FUNCTIONS = support.ROOT / "lambdas" / "secret_rotation"


def load_function(monkeypatch, module: str, service: str):
    """A function module of lambdas/secret_rotation, imported as Lambda imports it (the folder
    is the zip's root)."""
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", service)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "TeamTasks")
    monkeypatch.syspath_prepend(str(FUNCTIONS))
    sys.modules.pop("rotation", None)
    spec = importlib.util.spec_from_file_location(f"rotation_{module}", FUNCTIONS / f"{module}.py")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.fixture
def handler(monkeypatch):
    module = load_function(monkeypatch, "cursor_key", "cursor-rotation")
    with mock_aws():
        yield module


class Context:
    function_name = "teamtasks-t-cursor-rotation"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{function_name}"
    aws_request_id = "request"


@pytest.fixture
def secret():
    client = boto3.client("secretsmanager", region_name=REGION)
    arn = client.create_secret(Name="/teamtasks/t/cursor-signing-key", SecretString="A" * 64)["ARN"]
    return client, arn


def begin_rotation(client, arn) -> str:
    token = str(uuid.uuid4())
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.rotate_secret(
            SecretId=arn,
            ClientRequestToken=token,
            RotationLambdaARN=f"arn:aws:lambda:{REGION}:123456789012:function:rotation",
            RotationRules={"AutomaticallyAfterDays": 30},
        )
    return token


def step(handler, name, arn, token):
    handler.lambda_handler({"Step": name, "SecretId": arn, "ClientRequestToken": token}, Context())


def stages(client, arn) -> dict[str, list[str]]:
    return client.describe_secret(SecretId=arn)["VersionIdsToStages"]


def value(client, arn, stage, **version) -> str:
    return client.get_secret_value(SecretId=arn, VersionStage=stage, **version)["SecretString"]


def test_a_full_rotation_makes_a_new_current_key_and_keeps_the_old_as_previous(handler, secret):
    client, arn = secret
    token = begin_rotation(client, arn)
    for name in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        step(handler, name, arn, token)
    new = value(client, arn, "AWSCURRENT")
    assert re.fullmatch(r"[A-Za-z0-9]{64}", new) and new != "A" * 64
    assert value(client, arn, "AWSPREVIOUS") == "A" * 64
    assert "AWSCURRENT" in stages(client, arn)[token]


def test_create_is_idempotent(handler, secret):
    client, arn = secret
    token = begin_rotation(client, arn)
    step(handler, "createSecret", arn, token)
    first = value(client, arn, "AWSPENDING", VersionId=token)
    step(handler, "createSecret", arn, token)
    assert value(client, arn, "AWSPENDING", VersionId=token) == first


def test_test_step_rejects_a_malformed_pending_key(handler, secret):
    client, arn = secret
    token = begin_rotation(client, arn)
    client.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString="short", VersionStages=["AWSPENDING"]
    )
    with pytest.raises(handler.RotationError, match="not well formed"):
        step(handler, "testSecret", arn, token)


def test_finish_is_idempotent(handler, secret):
    client, arn = secret
    token = begin_rotation(client, arn)
    for name in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        step(handler, name, arn, token)
    current = value(client, arn, "AWSCURRENT")
    step(handler, "finishSecret", arn, token)
    assert value(client, arn, "AWSCURRENT") == current


def test_a_token_that_is_not_the_secrets_is_refused(handler, secret):
    client, arn = secret
    begin_rotation(client, arn)
    with pytest.raises(handler.RotationError, match="no version"):
        step(handler, "createSecret", arn, str(uuid.uuid4()))


def test_a_secret_without_rotation_is_refused(handler, secret):
    _client, arn = secret
    with pytest.raises(handler.RotationError, match="not enabled"):
        step(handler, "createSecret", arn, str(uuid.uuid4()))


def test_an_unknown_step_is_refused(handler, secret):
    client, arn = secret
    token = begin_rotation(client, arn)
    with pytest.raises(handler.RotationError, match="unknown rotation step"):
        step(handler, "dropSecret", arn, token)


@pytest.mark.parametrize("logical_id", ["CursorRotationFunction", "OriginRotationFunction"])
def test_the_template_runs_these_handlers_with_the_protocol_beside_them(logical_id):
    function = support.merged(support.ENVIRONMENT_ADDONS)["Resources"][logical_id]
    module, name = function["Properties"]["Handler"].split(".")
    folder = support.ROOT / function["Properties"]["Code"]
    assert f"def {name}(" in (folder / f"{module}.py").read_text()
    assert (folder / "rotation.py").is_file()  # imported from the zip's root
    assert function["Properties"]["Runtime"] == "python3.13"
    assert Path(function["Properties"]["Code"]) == Path("lambdas/secret_rotation")
