"""Rotation of the cursor signing key: a Secrets Manager rotation function.

The secret's value is a plain random string, the HMAC key that signs the API's pagination
cursors. The service reads AWSCURRENT and AWSPREVIOUS and accepts cursors signed with either,
so a rotation only has to put a new random value in place:

- createSecret: store a new random key as the AWSPENDING version of this rotation's token
  (nothing happens if that version already exists: Secrets Manager may call a step again);
- setSecret: nothing to do, no other system holds a copy of the key;
- testSecret: the pending value must be a well-formed key;
- finishSecret: move AWSCURRENT to the new version (Secrets Manager moves AWSPREVIOUS to the
  version that was current).

Runs with Powertools for AWS Lambda (the runtime's layer) for structured logs, traces and a
metric per finished rotation.
"""

from __future__ import annotations

import os
import re
import secrets
import string
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

KEY_LENGTH = 64
KEY_ALPHABET = string.ascii_letters + string.digits
WELL_FORMED_KEY = re.compile(rf"^[A-Za-z0-9]{{{KEY_LENGTH}}}$")

logger = Logger()
tracer = Tracer()
metrics = Metrics()

_client: Any = None


class RotationError(Exception):
    """The event does not describe a rotation this function may carry out."""


def secretsmanager() -> Any:
    global _client  # noqa: PLW0603 -- one client per execution environment, as Lambda advises
    if _client is None:
        _client = boto3.client("secretsmanager", region_name=os.environ.get("AWS_REGION"))
    return _client


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, str], context: Any) -> None:
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    logger.append_keys(secret_arn=arn, token=token, step=step)
    client = secretsmanager()
    versions = _versions_checked(client, arn, token)
    if "AWSCURRENT" in versions[token]:
        logger.info("the version is already AWSCURRENT; nothing to do")
        return
    if "AWSPENDING" not in versions[token]:
        raise RotationError(f"version {token} of the secret is not AWSPENDING")
    steps = {
        "createSecret": create_secret,
        "setSecret": set_secret,
        "testSecret": test_secret,
        "finishSecret": finish_secret,
    }
    if step not in steps:
        raise RotationError(f"unknown rotation step {step!r}")
    steps[step](client, arn, token)


def _versions_checked(client: Any, arn: str, token: str) -> dict[str, list[str]]:
    description = client.describe_secret(SecretId=arn)
    if not description.get("RotationEnabled"):
        raise RotationError("rotation is not enabled on the secret")
    versions = description.get("VersionIdsToStages", {})
    if token not in versions:
        raise RotationError(f"the secret has no version {token}")
    return versions


@tracer.capture_method
def create_secret(client: Any, arn: str, token: str) -> None:
    # Make sure there is a current version to rotate from.
    client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
    try:
        client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        logger.info("the pending version exists already")
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    client.put_secret_value(
        SecretId=arn,
        ClientRequestToken=token,
        SecretString=new_key(),
        VersionStages=["AWSPENDING"],
    )
    logger.info("stored a new pending key")


@tracer.capture_method
def set_secret(client: Any, arn: str, token: str) -> None:
    logger.info("no system holds a copy of the key; nothing to set")


@tracer.capture_method
def test_secret(client: Any, arn: str, token: str) -> None:
    value = client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")[
        "SecretString"
    ]
    if not WELL_FORMED_KEY.match(value):
        raise RotationError("the pending key is not a well-formed signing key")
    current = client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
    if value == current:
        raise RotationError("the pending key equals the current key")
    logger.info("the pending key is well formed")


@tracer.capture_method
def finish_secret(client: Any, arn: str, token: str) -> None:
    stages = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current = next((v for v, s in stages.items() if "AWSCURRENT" in s), None)
    if current == token:
        logger.info("the version is already AWSCURRENT")
        return
    client.update_secret_version_stage(
        SecretId=arn,
        VersionStage="AWSCURRENT",
        MoveToVersionId=token,
        RemoveFromVersionId=current,
    )
    metrics.add_metric(name="CursorKeyRotated", unit=MetricUnit.Count, value=1)
    logger.info("the new key is AWSCURRENT", extra={"previous_version": current})
