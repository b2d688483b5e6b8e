"""Unit tests run against moto in-process, with the table and the rest provisioned from the
same addon templates as everywhere else."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from app.aws.clients import AwsClients
from app.config import Settings
from devstack.provision import LocalProvisioner

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch) -> Iterator[dict[str, str]]:
    """moto in-process with the addons provisioned; yields the service's environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        provisioner = LocalProvisioner(
            boto3.session.Session(region_name=REGION), app="unit", env="t", progress=lambda _m: None
        )
        yield {**provisioner.run().service_environment, "AWS_REGION": REGION}


@pytest.fixture
def settings(aws) -> Settings:
    return Settings.from_env(aws)


@pytest.fixture
def clients(settings) -> AwsClients:
    return AwsClients(settings)
