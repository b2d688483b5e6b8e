"""The Secrets Manager rotation protocol, shared by the rotation functions in this folder (one
function per secret, each with its own role; Copilot zips the folder once per function).

Secrets Manager starts a rotation by adding an AWSPENDING version without a value, then invokes
the function once per step, with the version's token, and may invoke a step again:
- createSecret: store a new random value as the AWSPENDING version (once: a repeat finds it);
- setSecret: make every system that checks the value accept the pending one too;
- testSecret: check that they do, and that the value is well formed;
- finishSecret: move AWSCURRENT to the new version (AWSPREVIOUS follows the old one), then let
  the systems drop what they no longer need. Run again after the move (a retry), it only
  repeats the last part.

A kind of secret is a `Secret`: how its values look and what `set`, `test` and `finish` do.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

ALPHABET = string.ascii_letters + string.digits


class RotationError(Exception):
    """The event does not describe a rotation this function may carry out, or a check failed."""


class Secret:
    """A kind of secret: random letters and digits of `length`, and no system to update."""

    length = 64

    def __init__(self, logger: Any):
        self.logger = logger

    def new_value(self) -> str:
        return "".join(secrets.choice(ALPHABET) for _ in range(self.length))

    def well_formed(self, value: str) -> bool:
        return re.fullmatch(rf"[A-Za-z0-9]{{{self.length}}}", value) is not None

    def set(self, current: str, pending: str) -> None:
        """Make the systems that check the secret accept `pending` as well as `current`."""

    def test(self, current: str, pending: str) -> None:
        """Raise RotationError unless the systems accept both values."""

    def finish(self, current: str, previous: str | None) -> None:
        """After the move: `current` is the new value, `previous` the one it replaced."""


def rotate(secret: Secret, client: Any, event: dict[str, str]) -> None:
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    secret.logger.append_keys(secret_arn=arn, token=token, step=step)
    steps = {
        "createSecret": _create,
        "setSecret": _set,
        "testSecret": _test,
        "finishSecret": _finish,
    }
    if step not in steps:
        raise RotationError(f"unknown rotation step {step!r}")
    versions = _versions_checked(client, arn, token)
    if "AWSCURRENT" in versions[token]:
        if step == "finishSecret":
            # A retry after the move: the systems may not have been told yet.
            secret.finish(_value(client, arn, "AWSCURRENT"), _previous(client, arn))
        secret.logger.info("the version is already AWSCURRENT")
        return
    if "AWSPENDING" not in versions[token]:
        raise RotationError(f"version {token} of the secret is not AWSPENDING")
    steps[step](secret, client, arn, token)


def _versions_checked(client: Any, arn: str, token: str) -> dict[str, list[str]]:
    description = client.describe_secret(SecretId=arn)
    if not description.get("RotationEnabled"):
        raise RotationError("rotation is not enabled on the secret")
    versions = description.get("VersionIdsToStages", {})
    if token not in versions:
        raise RotationError(f"the secret has no version {token}")
    return versions


def _value(client: Any, arn: str, stage: str, token: str | None = None) -> str:
    # Always name the stage: GetSecretValue without one can return a stale version.
    arguments = {"SecretId": arn, "VersionStage": stage}
    if token is not None:
        arguments["VersionId"] = token
    return client.get_secret_value(**arguments)["SecretString"]


def _previous(client: Any, arn: str) -> str | None:
    try:
        return _value(client, arn, "AWSPREVIOUS")
    except client.exceptions.ResourceNotFoundException:
        return None


def _pending(secret: Secret, client: Any, arn: str, token: str) -> tuple[str, str]:
    current = _value(client, arn, "AWSCURRENT")
    pending = _value(client, arn, "AWSPENDING", token)
    if not secret.well_formed(pending):
        raise RotationError("the pending value is not well formed")
    if pending == current:
        raise RotationError("the pending value equals the current value")
    return current, pending


def _create(secret: Secret, client: Any, arn: str, token: str) -> None:
    _value(client, arn, "AWSCURRENT")  # there is a current version to rotate from
    try:
        _value(client, arn, "AWSPENDING", token)
        secret.logger.info("the pending version exists already")
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    client.put_secret_value(
        SecretId=arn,
        ClientRequestToken=token,
        SecretString=secret.new_value(),
        VersionStages=["AWSPENDING"],
    )
    secret.logger.info("stored a new pending value")


def _set(secret: Secret, client: Any, arn: str, token: str) -> None:
    secret.set(*_pending(secret, client, arn, token))


def _test(secret: Secret, client: Any, arn: str, token: str) -> None:
    secret.test(*_pending(secret, client, arn, token))
    secret.logger.info("the pending value is well formed and accepted")


def _finish(secret: Secret, client: Any, arn: str, token: str) -> None:
    stages = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current = next((v for v, s in stages.items() if "AWSCURRENT" in s), None)
    previous = _value(client, arn, "AWSCURRENT")
    client.update_secret_version_stage(
        SecretId=arn,
        VersionStage="AWSCURRENT",
        MoveToVersionId=token,
        RemoveFromVersionId=current,
    )
    secret.logger.info("the new value is AWSCURRENT", extra={"previous_version": current})
    secret.finish(_value(client, arn, "AWSCURRENT"), previous)
