"""The user directory (app/aws/directory.py) against Cognito's own answers.

botocore's Stubber stands in for the answers the emulator does not give: AWS refuses a username
over 128 characters (a valid email can be 254) with InvalidParameterException, where moto says
UserNotFound. The lookups themselves run against the emulator in
tests/integration/test_account_takeover.py and test_members.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from app.aws.clients import DependencyUnavailable
from app.aws.directory import CognitoDirectory, DirectoryUser

POOL = "eu-west-1_Example"
SUB = "7d5e2a34-1c3b-4a7e-9d0f-2b6c8e1f4a90"
EMAIL = "ann@example.com"


def _user(*, email=EMAIL, verified="true", status="CONFIRMED", enabled=True):
    return {
        "Username": SUB,
        "UserAttributes": [
            {"Name": "sub", "Value": SUB},
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": verified},
        ],
        "UserStatus": status,
        "Enabled": enabled,
    }


@pytest.fixture
def cognito():
    client = boto3.client(
        "cognito-idp",
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _directory(client) -> CognitoDirectory:
    return CognitoDirectory(SimpleNamespace(cognito=client), POOL)


def test_an_address_is_one_exact_admin_get_user(cognito):
    client, stubber = cognito
    stubber.add_response("admin_get_user", _user(), {"UserPoolId": POOL, "Username": EMAIL})
    assert _directory(client).find_confirmed(EMAIL) == DirectoryUser(user_id=SUB, email=EMAIL)


@pytest.mark.parametrize(
    "answer",
    [
        _user(verified="false"),
        _user(status="UNCONFIRMED"),
        _user(status="FORCE_CHANGE_PASSWORD"),
        _user(enabled=False),
        _user(email="someone-else@example.com"),
    ],
    ids=["unverified", "unconfirmed", "temporary-password", "disabled", "other-address"],
)
def test_a_user_who_cannot_be_added_by_this_address_is_nobody(cognito, answer):
    client, stubber = cognito
    stubber.add_response("admin_get_user", answer, {"UserPoolId": POOL, "Username": EMAIL})
    assert _directory(client).find_confirmed(EMAIL) is None


@pytest.mark.parametrize("code", ["UserNotFoundException", "InvalidParameterException"])
def test_an_address_that_is_no_username_is_nobody(cognito, code):
    client, stubber = cognito
    address = f"{'a' * 64}@{'b' * 60}.{'c' * 60}.com"
    stubber.add_client_error("admin_get_user", service_error_code=code, http_status_code=400)
    assert _directory(client).find_confirmed(address) is None


def test_any_other_refusal_is_a_bug_not_nobody(cognito):
    client, stubber = cognito
    stubber.add_client_error(
        "admin_get_user", service_error_code="AccessDeniedException", http_status_code=400
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        _directory(client).find_confirmed(EMAIL)


def test_throttling_is_an_outage(cognito):
    client, stubber = cognito
    stubber.add_client_error(
        "admin_get_user", service_error_code="TooManyRequestsException", http_status_code=429
    )
    with pytest.raises(DependencyUnavailable):
        _directory(client).find_confirmed(EMAIL)


def test_an_email_by_user_id_is_one_admin_get_user_by_sub_then_cached(cognito):
    client, stubber = cognito
    stubber.add_response("admin_get_user", _user(), {"UserPoolId": POOL, "Username": SUB})
    directory = _directory(client)
    assert directory.email_of(SUB) == EMAIL
    assert directory.email_of(SUB) == EMAIL  # a second call would find no stubbed answer


def test_a_user_id_that_names_nobody_has_no_email(cognito):
    client, stubber = cognito
    stubber.add_client_error(
        "admin_get_user", service_error_code="UserNotFoundException", http_status_code=400
    )
    assert _directory(client).email_of(SUB) == ""
