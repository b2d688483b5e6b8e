"""The emulator's email changes, as AWS makes them, and its RevokeToken (devstack/moto_server.py,
changes 3 and 4)."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cognitoidp.responses import CognitoIdpResponse

from devstack.moto_server import _email_change_as_in_aws, _revoke_token

OLD, NEW = "old@example.com", "new@example.com"


def _pool(*, verify_first: bool):
    settings = {"AttributesRequireVerificationBeforeUpdate": ["email"]} if verify_first else {}
    return SimpleNamespace(extended_config={"UserAttributeUpdateSettings": settings})


def _user():
    return SimpleNamespace(attribute_lookup={"email": OLD, "email_verified": "true"})


def _named(attributes):
    return {a["Name"]: a["Value"] for a in attributes}


def test_without_the_setting_a_new_email_applies_unverified():
    change = [{"Name": "email", "Value": NEW}, {"Name": "email_verified", "Value": "true"}]
    applied = _email_change_as_in_aws(_pool(verify_first=False), _user(), change, admin=False)
    assert _named(applied) == {"email": NEW, "email_verified": "false"}


def test_with_the_setting_a_new_email_waits_for_verification():
    user = _user()
    change = [{"Name": "email", "Value": NEW}, {"Name": "name", "Value": "Mallory"}]
    applied = _email_change_as_in_aws(_pool(verify_first=True), user, change, admin=False)
    assert _named(applied) == {"name": "Mallory"}
    assert user.pending_email == NEW


def test_an_administrator_may_set_a_verified_email_at_once():
    change = [{"Name": "email", "Value": NEW}, {"Name": "email_verified", "Value": "true"}]
    for verify_first in (True, False):
        pool = _pool(verify_first=verify_first)
        assert _email_change_as_in_aws(pool, _user(), change, admin=True) == change


def test_other_attributes_pass_untouched():
    change = [{"Name": "email", "Value": OLD}, {"Name": "name", "Value": "Same"}]
    assert _email_change_as_in_aws(_pool(verify_first=True), _user(), change, admin=False) == change


def test_revoke_token_ends_that_refresh_token_only(monkeypatch):
    """RevokeToken (devstack/moto_server.py, change 4), on moto's Cognito."""
    monkeypatch.setattr(CognitoIdpResponse, "revoke_token", _revoke_token, raising=False)
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="eu-west-1")
        pool = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(UserPoolId=pool, Username="u@example.com")
        cognito.admin_set_user_password(
            UserPoolId=pool, Username="u@example.com", Password="Passw0rd!Passw0rd", Permanent=True
        )

        def refresh_token():
            return cognito.admin_initiate_auth(
                UserPoolId=pool,
                ClientId=client,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "u@example.com", "PASSWORD": "Passw0rd!Passw0rd"},
            )["AuthenticationResult"]["RefreshToken"]

        def refresh(token):
            return cognito.initiate_auth(
                ClientId=client,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": token},
            )

        revoked, kept = refresh_token(), refresh_token()
        cognito.revoke_token(Token=revoked, ClientId=client)
        with pytest.raises(ClientError) as refused:
            refresh(revoked)
        assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
        assert refresh(kept)["AuthenticationResult"]["AccessToken"]
        cognito.revoke_token(Token="unknown", ClientId=client)  # no effect, no error
