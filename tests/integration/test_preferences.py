"""Email preferences and unsubscribing without signing in (docs/api.md, "Notifications",
"Unsubscribe"): JSON from the browser app's page, RFC 8058's one-click form from mail clients,
and nothing else."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests

from app.auth import unsubscribe
from tests.support.http import assert_problem


def secret_of(stack) -> bytes:
    arn = stack.environment["UNSUBSCRIBE_SECRET_ARN"]
    value = stack.session.client("secretsmanager").get_secret_value(
        SecretId=arn, VersionStage="AWSCURRENT"
    )
    return value["SecretString"].encode()


@pytest.fixture
def token(stack, user):
    return unsubscribe.sign(secret_of(stack), user.user_id)


@pytest.fixture
def endpoint(stack):
    return f"{stack.api}/unsubscribe"


def test_preferences_default_to_immediate_and_take_the_three_values(client):
    assert client.get("/me/preferences").json() == {"email_notifications": "immediate"}
    for value in ("daily", "off", "immediate"):
        response = client.request("PUT", "/me/preferences", json={"email_notifications": value})
        assert response.status_code == 200, response.text
        assert response.json() == {"email_notifications": value}
        assert client.get("/me/preferences").json() == {"email_notifications": value}


def test_preferences_are_validated(client):
    put = lambda body: client.request("PUT", "/me/preferences", json=body)  # noqa: E731
    assert set(assert_problem(put({"email_notifications": "weekly"}), 422)["errors"]) == {
        "email_notifications"
    }
    assert set(assert_problem(put({}), 422)["errors"]) == {"email_notifications"}
    assert set(assert_problem(put({"email_notifications": "off", "x": 1}), 422)["errors"]) == {"x"}
    assert_problem(client.request("PUT", "/me/preferences", data="off"), 415)


def test_the_link_unsubscribes_without_signing_in_and_again(client, token, endpoint):
    for _ in range(2):
        response = requests.post(endpoint, json={"token": token}, timeout=10)
        assert response.status_code == 200, response.text
        assert response.json() == {"email_notifications": "off"}
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/me/preferences").json() == {"email_notifications": "off"}


def test_rfc_8058_one_click_posts_the_form_with_the_token_in_the_query(client, token, endpoint):
    """What a mail client sends for List-Unsubscribe-Post: List-Unsubscribe=One-Click."""
    response = requests.post(
        f"{endpoint}?token={token}", data={"List-Unsubscribe": "One-Click"}, timeout=10
    )
    assert response.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert response.status_code == 200, response.text
    assert client.get("/me/preferences").json() == {"email_notifications": "off"}
    multipart = requests.post(
        f"{endpoint}?token={token}", files={"List-Unsubscribe": (None, "One-Click")}, timeout=10
    )
    assert multipart.status_code == 200, multipart.text


def test_a_token_that_does_not_verify_is_400(stack, user, token, endpoint):
    payload, signature = token.split(".")
    other = unsubscribe.sign(secret_of(stack), "someone-else")
    forged = [
        "nonsense",
        f"{payload}.{signature[:-2]}AA",
        f"{other.split('.')[0]}.{signature}",
        unsubscribe.sign(b"another secret", user.user_id),
        token + ".x",
    ]
    for bad in forged:
        assert_problem(requests.post(endpoint, json={"token": bad}, timeout=10), 400)
    # A token of another purpose, signed with the same secret, does not verify either.
    cursor_purpose = unsubscribe._b64encode(b'{"sub":"%s","use":"cursor"}' % user.user_id.encode())
    key = unsubscribe._key(secret_of(stack))
    signed = hmac.new(key, unsubscribe._b64decode(cursor_purpose), hashlib.sha256).digest()
    other_purpose = f"{cursor_purpose}.{unsubscribe._b64encode(signed)}"
    assert_problem(requests.post(endpoint, json={"token": other_purpose}, timeout=10), 400)


def test_only_the_two_shapes_are_accepted(token, endpoint):
    form = {"List-Unsubscribe": "One-Click"}
    cases = [
        # JSON under the usual rules.
        (requests.post(endpoint, json={"token": token, "extra": 1}, timeout=10), 422),
        (requests.post(endpoint, json={}, timeout=10), 422),
        (requests.post(f"{endpoint}?token={token}", json={"token": token}, timeout=10), 422),
        (
            requests.post(
                endpoint, data=b"{", headers={"Content-Type": "application/json"}, timeout=10
            ),
            400,
        ),
        # The form: exactly RFC 8058's body, the token in the query.
        (requests.post(endpoint, data=form, timeout=10), 422),
        (
            requests.post(
                f"{endpoint}?token={token}", data={"List-Unsubscribe": "Yes"}, timeout=10
            ),
            422,
        ),
        (requests.post(f"{endpoint}?token={token}", data={**form, "x": "1"}, timeout=10), 422),
        (requests.post(f"{endpoint}?token={token}&x=1", data=form, timeout=10), 422),
        # Anything else.
        (
            requests.post(
                f"{endpoint}?token={token}",
                data="List-Unsubscribe=One-Click",
                headers={"Content-Type": "text/plain"},
                timeout=10,
            ),
            415,
        ),
    ]
    for response, status in cases:
        assert_problem(response, status)
    assert_problem(requests.get(endpoint, timeout=10), 405)


def test_no_other_endpoint_takes_a_form(client):
    response = client.post(
        "/workspaces", data={"name": "x"}, headers={"Authorization": f"Bearer {client.token}"}
    )
    assert_problem(response, 415)
