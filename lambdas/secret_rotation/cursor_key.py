"""Rotation of the cursor signing key (addons/environment/secrets.yml).

The secret's value is the HMAC key that signs the API's pagination cursors. The service reads
AWSCURRENT and AWSPREVIOUS and accepts cursors signed with either, so a rotation only has to put
a new random key in place: no system holds a copy to update (rotation.py has the protocol).

Runs with Powertools for AWS Lambda (the runtime's layer) for structured logs, traces and a
metric per finished rotation.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from rotation import RotationError, Secret, rotate

__all__ = ["RotationError", "lambda_handler"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()

_client: Any = None


def secretsmanager() -> Any:
    global _client  # noqa: PLW0603 -- one client per execution environment, as Lambda advises
    if _client is None:
        _client = boto3.client("secretsmanager", region_name=os.environ.get("AWS_REGION"))
    return _client


class CursorKey(Secret):
    length = 64

    def finish(self, current: str, previous: str | None) -> None:
        metrics.add_metric(name="CursorKeyRotated", unit=MetricUnit.Count, value=1)


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, str], context: Any) -> None:
    rotate(CursorKey(logger), secretsmanager(), event)
