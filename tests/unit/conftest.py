"""Unit tests run against moto in-process, with the table and the rest provisioned from the
same addon templates as everywhere else."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, HTTPHeaders
from botocore.httpsession import URLLib3Session
from moto import mock_aws
from moto.core.models import botocore_stubber

from app.aws.clients import AwsClients
from app.config import Settings
from devstack.provision import LocalProvisioner

REGION = "us-east-1"


@pytest.fixture(autouse=True, scope="session")
def _dynamodb_client_reaches_in_process_moto() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(URLLib3Session, "send", _in_process_moto_first(URLLib3Session.send))
        yield


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


def _in_process_moto_first(send):
    """moto in-process answers what botocore's clients send through their `before-send` event;
    the DynamoDB client (app/aws/dynamodb.py) sends through botocore's HTTP session directly,
    so its requests are handed to the same in-process moto here."""

    def send_to_moto(session, request):
        if not botocore_stubber.enabled:
            return send(session, request)
        headers = HTTPHeaders()
        for name, value in request.headers.items():
            headers[name] = value
        prepared = AWSPreparedRequest(
            request.method, request.url, headers, request.body, request.stream_output
        )
        response = botocore_stubber("before-send", prepared)
        return response if response is not None else send(session, request)

    return send_to_moto
