"""Sign-up, confirmation, SRP sign-in, session resume, global sign-out, password reset and TOTP,
through the browser against the emulator's Cognito (the same calls the app makes in AWS)."""

from __future__ import annotations

import re
import secrets

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import expect

from devstack import users
from tests.e2e.conftest import ANY_CODE, sign_in
from tests.support.stack import PASSWORD


def main(page):
    return page.get_by_role("main")


def fresh_email(name: str) -> str:
    return f"{name}-{secrets.token_hex(4)}@example.com"


def test_sign_up_confirm_sign_in_resume_and_sign_out_everywhere(tab, app_stack):
    email = fresh_email("newcomer")
    page = tab.goto("/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Sign in")
    tab.screenshot("01-sign-in")

    page.get_by_role("link", name="Create an account").click()
    expect(heading).to_have_text("Create an account")
    expect(heading).to_be_focused()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    tab.screenshot("02-sign-up")
    page.get_by_role("button", name="Create account").click()

    expect(heading).to_have_text("Confirm your email")
    expect(page.get_by_text("We emailed a confirmation code")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    pool = app_stack.stack.user_pool_id
    assert app_stack.cognito.admin_get_user(UserPoolId=pool, Username=email)["UserStatus"] == (
        "UNCONFIRMED"
    )
    # The emulator has no ResendConfirmationCode (it answers 500 without CORS headers), so
    # this one Cognito call is answered here, after checking what the app sent.
    resent = []

    def resend(route):
        request = route.request
        if request.headers.get("x-amz-target", "").endswith(".ResendConfirmationCode"):
            resent.append(request.post_data_json)
            route.fulfill(
                status=200,
                content_type="application/x-amz-json-1.1",
                headers={"Access-Control-Allow-Origin": app_stack.base_url},
                body='{"CodeDeliveryDetails": {"DeliveryMedium": "EMAIL"}}',
            )
        else:
            route.continue_()

    page.route(app_stack.stack.options.endpoint + "/", resend)
    page.get_by_role("button", name="Send a new code").click()
    expect(main(page).get_by_role("status")).to_have_text(f"We sent a new code to {email}.")
    assert resent == [{"ClientId": app_stack.stack.client_id, "Username": email}]
    page.unroute(app_stack.stack.options.endpoint + "/")
    page.get_by_label("Confirmation code").fill(ANY_CODE)
    page.get_by_role("button", name="Confirm").click()

    expect(heading).to_have_text("Sign in")
    expect(page.get_by_text("Your email is confirmed. Sign in.")).to_be_visible()
    assert app_stack.cognito.admin_get_user(UserPoolId=pool, Username=email)["UserStatus"] == (
        "CONFIRMED"
    )
    sign_in(tab, email, PASSWORD)
    expect(page.get_by_text(email)).to_be_visible()

    # Tokens: the refresh token (and the email) in this tab's sessionStorage, nothing in
    # localStorage, no access or ID token in any storage.
    storage = page.evaluate(
        "() => ({local: localStorage.length, session: Object.assign({}, sessionStorage)})"
    )
    assert storage["local"] == 0
    saved = storage["session"]["teamtasks.session"]
    assert "refreshToken" in saved
    assert "eyJ" not in saved  # no JWT

    # A reload resumes the session silently from the refresh token.
    page.reload()
    expect(heading).to_have_text("My tasks")

    refresh_token = page.evaluate(
        "() => JSON.parse(sessionStorage.getItem('teamtasks.session')).refreshToken"
    )
    page.get_by_role("button", name="Sign out").click()
    expect(heading).to_have_text("Sign in")
    assert page.evaluate("() => sessionStorage.length") == 0
    # Global sign-out: Cognito no longer honours that session's refresh token.
    with pytest.raises(ClientError) as refused:
        app_stack.cognito.initiate_auth(
            ClientId=app_stack.stack.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    # And the app, visited again, asks to sign in.
    page.goto(app_stack.base_url + "/workspaces")
    expect(heading).to_have_text("Sign in")


def test_a_private_page_asks_for_sign_in_then_opens(tab, app_stack):
    user = app_stack.new_user("deep-link")
    page = tab.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page).to_have_url(app_stack.base_url + "/account")


def test_sign_in_errors_are_shown(tab):
    page = tab.goto("/signin")
    page.get_by_label("Email").fill(fresh_email("nobody"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(main(page).get_by_role("alert")).to_have_text("Incorrect email or password.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_sign_up_shows_the_password_policy_error(tab):
    page = tab.goto("/signup")
    page.get_by_label("Email").fill(fresh_email("weak"))
    page.get_by_label("Password").fill("alllowercase-no-digits")
    page.get_by_role("button", name="Create account").click()
    expect(main(page).get_by_role("alert")).to_contain_text(re.compile("password", re.I))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")


def test_an_unconfirmed_user_is_sent_to_confirm(tab, app_stack):
    email = fresh_email("unconfirmed")
    app_stack.cognito.sign_up(
        ClientId=app_stack.stack.client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    page = tab.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email")
    expect(page.get_by_text("Your account is not confirmed yet")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)


def test_forgotten_password_is_reset_with_the_emailed_code(tab, app_stack):
    user = app_stack.new_user("forgetful")
    new_password = "Another-Passw0rd!"
    page = tab.goto("/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send a reset code").click()
    page.get_by_label("Reset code").fill(ANY_CODE)
    page.get_by_label("New password").fill(new_password)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()

    # The emulator does not check SRP proofs, so check the password itself the other way.
    client_id = app_stack.stack.client_id
    assert users.sign_in(app_stack.cognito, client_id, user.email, new_password)["access_token"]
    with pytest.raises(ClientError):
        users.sign_in(app_stack.cognito, client_id, user.email, user.password)
    sign_in(tab, user.email, new_password)


def test_totp_two_step_sign_in(tab, app_stack):
    user = app_stack.new_user("careful")
    page = sign_in(tab, user.email, user.password)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_text("Key:")).to_be_visible()
    expect(page.get_by_role("link", name="Open in an authenticator app")).to_have_attribute(
        "href", re.compile(r"^otpauth://totp/")
    )
    page.get_by_label("Code from your authenticator app").fill(ANY_CODE)
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(main(page).get_by_role("status")).to_have_text(
        "Two-step sign-in is on. You will be asked for a code when you sign in."
    )
    settings = app_stack.cognito.admin_get_user(
        UserPoolId=app_stack.stack.user_pool_id, Username=user.email
    )
    assert settings.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA"

    page.get_by_role("button", name="Sign out").click()
    # The account page has fields about email too: fill the sign-in form once it is there.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Two-step sign-in")
    expect(heading).to_be_focused()
    page.get_by_label("Code from your authenticator app").fill(ANY_CODE)
    page.get_by_role("button", name="Verify").click()
    expect(heading).to_have_text("My tasks")


def test_sign_in_by_keyboard_alone(tab, app_stack):
    user = app_stack.new_user("keyboard")
    page = tab.goto("/signin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    email = page.get_by_label("Email")
    for _ in range(10):
        page.keyboard.press("Tab")
        if email.evaluate("element => element === document.activeElement"):
            break
    expect(email).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(user.password)
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("My tasks")
    expect(heading).to_be_focused()


def test_the_access_token_is_refreshed_silently_before_it_expires(tab, app_stack):
    user = app_stack.new_user("long-session")
    page = tab.page
    page.clock.install()
    sign_in(tab, user.email, user.password)

    # 58.5 minutes later the hour-long access token has under two minutes left: the next API
    # call (the page's own refresh, or the user's next click) first gets a new one from
    # Cognito, without asking the user anything.
    with page.expect_request(
        lambda request: (
            request.url.startswith(app_stack.stack.options.endpoint)
            and (request.headers.get("x-amz-target") or "").endswith(".InitiateAuth")
            and request.method == "POST"
        )
    ) as refresh:
        page.clock.fast_forward("58:30")
        page.get_by_role("link", name="Workspaces", exact=True).click()
    assert refresh.value.post_data_json["AuthFlow"] == "REFRESH_TOKEN_AUTH"
    page.get_by_label("New workspace name").fill("After a long lunch")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("After a long lunch")
