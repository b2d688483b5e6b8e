"""An invitation to an email lets in the person who receives mail there, never someone who only
typed that address into their own account (issue 9, item 1; issue 21).

The attack: sign up (anyone may), set a colleague's address on your own account, and wait for
an owner to invite that address. Two defences, each tested alone: the pool keeps a changed email
from taking effect until it is verified (UserAttributeUpdateSettings in
addons/environment/cognito.yml, which the emulator honours as AWS does), and the service asks the
pool for the caller's email and `email_verified` itself (app/aws/directory.py), never trusting an
address the caller sends.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.config import Settings
from devstack import users
from tests.support.http import ApiClient, assert_problem
from tests.support.stack import PASSWORD


def _address(name: str) -> str:
    return f"{name}-{secrets.token_hex(4)}@example.com"


@pytest.fixture
def self_signed_up(stack):
    """A user who signed up on their own, with their own address, and confirmed it."""
    cognito, client_id = stack.cognito, stack.stack.client_id
    email = _address("mallory")
    cognito.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    cognito.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode="123456")
    tokens = users.sign_in(cognito, client_id, email, PASSWORD)
    return email, tokens["access_token"]


@contextmanager
def another_api_process(stack) -> Iterator[FlaskClient]:
    """The service in this process, on the stack's environment: a second API process."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, stack.environment[name])
        yield create_app(Settings.from_env(stack.environment)).test_client()


def _attributes(stack, email: str) -> dict[str, str]:
    user = stack.cognito.admin_get_user(UserPoolId=stack.stack.user_pool_id, Username=email)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_the_pool_requires_a_changed_email_to_be_verified_first(stack):
    pool = stack.cognito.describe_user_pool(UserPoolId=stack.stack.user_pool_id)["UserPool"]
    settings = pool["UserAttributeUpdateSettings"]
    assert settings["AttributesRequireVerificationBeforeUpdate"] == ["email"]


def test_setting_a_colleagues_address_on_your_account_does_not_get_you_in(
    stack, user, client, self_signed_up
):
    attacker_email, attacker_token = self_signed_up
    colleague = _address("new-hire")
    stack.cognito.update_user_attributes(
        AccessToken=attacker_token, UserAttributes=[{"Name": "email", "Value": colleague}]
    )
    # Cognito keeps the verified address until the new one is verified.
    assert _attributes(stack, attacker_email)["email"] == attacker_email
    workspace = client.create_workspace()
    invitation = client.invite(workspace["id"], colleague, "admin")
    attacker = ApiClient(stack.api, attacker_token)
    assert attacker.get("/me/invitations").json()["items"] == []
    assert_problem(attacker.post(f"/me/invitations/{invitation['id']}/accept"), 404)
    members = f"/workspaces/{workspace['id']}/members"
    assert [m["email"] for m in client.all_items(members)] == [user.email]


def test_a_verified_change_of_address_receives_the_new_addresses_invitations(
    stack, client, self_signed_up
):
    old_email, token = self_signed_up
    new_email = _address("moved")
    workspace = client.create_workspace()
    to_old = client.invite(workspace["id"], old_email, "viewer")
    to_new = client.invite(workspace["id"], new_email, "member")
    person = ApiClient(stack.api, token)
    assert [i["id"] for i in person.get("/me/invitations").json()["items"]] == [to_old["id"]]
    stack.cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": new_email}]
    )
    stack.cognito.verify_user_attribute(AccessToken=token, AttributeName="email", Code="123456")
    assert [i["id"] for i in person.get("/me/invitations").json()["items"]] == [to_new["id"]]
    assert_problem(person.post(f"/me/invitations/{to_old['id']}/accept"), 404)
    joined = person.post(f"/me/invitations/{to_new['id']}/accept")
    assert joined.status_code == 201, joined.text
    assert joined.json()["email"] == new_email


def test_a_members_changed_email_shows_in_every_list_after_their_next_request(
    stack, client, self_signed_up
):
    """Issue 20, item 11: a membership kept the address its member had when added, so after a
    verified change two members could show the same one. The member's next request brings
    every membership of theirs up to date, once its response is sent."""
    old_email, token = self_signed_up
    person = ApiClient(stack.api, token)
    lists = []
    with another_api_process(stack) as elsewhere:
        # Joined through another process of the service: the stack's has not seen them yet (a
        # process checks a member's email on their first request to it, then every 5 minutes).
        for _ in range(2):
            workspace = client.create_workspace()
            invitation = client.invite(workspace["id"], old_email, "viewer")
            joined = elsewhere.post(
                f"/api/v1/me/invitations/{invitation['id']}/accept",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert joined.status_code == 201, joined.get_data(as_text=True)
            lists.append(f"/workspaces/{workspace['id']}/members")
    new_email = _address("moved")
    stack.cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": new_email}]
    )
    stack.cognito.verify_user_attribute(AccessToken=token, AttributeName="email", Code="123456")

    def shown() -> list[set[str]]:
        return [{m["email"] for m in client.all_items(members)} for members in lists]

    assert all(old_email in emails for emails in shown())
    assert person.get("/me").status_code == 200
    deadline = time.monotonic() + 10
    while any(old_email in emails for emails in shown()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(new_email in emails and old_email not in emails for emails in shown())


def test_a_user_whose_email_is_not_verified_sees_and_accepts_nothing(stack, client):
    """The service's own check, whatever the pool's settings: an unverified address (a pool
    without the setting marks a changed email so) receives no invitation."""
    person = stack.new_user("unverified")
    pool_id = stack.stack.user_pool_id
    workspace = client.create_workspace()
    invitation = client.invite(workspace["id"], person.email, "member")
    stack.cognito.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=person.email,
        UserAttributes=[{"Name": "email_verified", "Value": "false"}],
    )
    unverified = ApiClient(stack.api, person.access_token)
    assert unverified.get("/me/invitations").json()["items"] == []
    assert_problem(unverified.post(f"/me/invitations/{invitation['id']}/accept"), 404)
    assert_problem(unverified.post(f"/me/invitations/{invitation['id']}/decline"), 404)
    stack.cognito.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=person.email,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    accepted = unverified.post(f"/me/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["user_id"] == person.user_id
