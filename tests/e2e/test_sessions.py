"""Sessions that follow the user across the tabs of a browser, signing out (of this browser or
everywhere) with feedback, the email carried from confirmation to sign-in, and the password
rules checked as the user types (issue 22, defects 2, 6, 9 and 11)."""

from __future__ import annotations

import re
import secrets

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ANY_CODE, sign_in
from tests.support.stack import PASSWORD


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def refresh_token_of(page: Page) -> str:
    return page.evaluate(
        "() => JSON.parse(sessionStorage.getItem('teamtasks.session')).refreshToken"
    )


def refreshes(app_stack, refresh_token: str) -> bool:
    """Whether Cognito still honours this refresh token."""
    try:
        app_stack.cognito.initiate_auth(
            ClientId=app_stack.stack.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    except ClientError as refused:
        assert refused.response["Error"]["Code"] == "NotAuthorizedException"
        return False
    return True


def cognito_calls(page: Page, app_stack) -> list[str]:
    """The Cognito operations the page calls from now on."""
    calls: list[str] = []
    page.on(
        "request",
        lambda request: (
            calls.append(request.headers.get("x-amz-target", ""))
            if request.url.startswith(app_stack.stack.options.endpoint)
            else None
        ),
    )
    return calls


def sign_out(page: Page, choice: str) -> None:
    """The header's Sign out, then the dialog's "Sign out" or "Sign out everywhere"."""
    page.get_by_role("banner").get_by_role("button", name="Sign out", exact=True).click()
    dialog = page.get_by_role("dialog", name="Sign out")
    expect(dialog).to_contain_text("every tab of this browser")
    expect(dialog).to_contain_text("another device")
    dialog.get_by_role("button", name=choice, exact=True).click()


def test_defect_2_a_new_tab_is_signed_in_and_signing_out_ends_every_tab(new_tab, app_stack):
    user = app_stack.new_user("tabs")
    first = new_tab()
    page = sign_in(first, user.email, user.password)

    # Ctrl+click or a pasted link: a new page of the same browser, with an empty sessionStorage.
    second = first.context.new_page()
    errors: list[str] = []
    second.on("pageerror", lambda error: errors.append(str(error)))
    asked = cognito_calls(second, app_stack)
    second.goto(app_stack.base_url + "/account")
    expect(heading(second)).to_have_text("Your account")
    expect(second.get_by_role("banner")).to_contain_text(user.email)
    # Handed over by the open tab: no sign-in, no refresh, nothing asked of Cognito.
    assert asked == []
    # Kept as the new tab's own: a reload keeps it; still nothing in localStorage, no JWT stored.
    second.reload()
    expect(heading(second)).to_have_text("Your account")
    storage = second.evaluate(
        "() => ({local: Object.keys(localStorage), session: JSON.stringify(sessionStorage)})"
    )
    assert storage["local"] == []
    assert "eyJ" not in storage["session"]
    shared_token = refresh_token_of(second)
    assert shared_token == refresh_token_of(page)

    # Signing out in one tab signs out every tab of the browser at once, without a reload; the
    # other tab says why, with focus on its heading (it has not moved since it opened).
    sign_out(page, "Sign out")
    expect(heading(page)).to_have_text("Sign in")
    expect(heading(second)).to_have_text("Sign in")
    expect(second.get_by_role("main").get_by_role("status")).to_have_text(
        "You signed out in this browser from another tab."
    )
    expect(heading(second)).to_be_focused()
    assert second.evaluate("() => sessionStorage.length") == 0
    # And the session is over in Cognito too (RevokeToken), not only forgotten by the tabs.
    assert not refreshes(app_stack, shared_token)

    # A new tab now asks to sign in (no signed-in tab to take a session from), at once.
    third = first.context.new_page()
    third.goto(app_stack.base_url + "/workspaces")
    expect(heading(third)).to_have_text("Sign in")
    # Signing in there signs in the tabs that show the sign-in page too.
    third.get_by_label("Email").fill(user.email)
    third.get_by_label("Password").fill(user.password)
    third.get_by_role("button", name="Sign in").click()
    expect(heading(third)).to_have_text("Workspaces")
    expect(heading(second)).to_have_text("Your account")
    assert errors == []


def test_defect_6_signing_out_says_so_keeps_focus_and_can_end_every_session(new_tab, app_stack):
    user = app_stack.new_user("leaving")
    laptop = new_tab()
    phone = new_tab(390, "dark")
    page = sign_in(laptop, user.email, user.password)
    phone_page = sign_in(phone, user.email, user.password)
    phone_token = refresh_token_of(phone_page)

    # Sign out of this browser: said, focus on the sign-in heading, the phone stays signed in.
    page.get_by_role("link", name="Workspaces", exact=True).click()
    laptop_token = refresh_token_of(page)
    page.get_by_role("banner").get_by_role("button", name="Sign out", exact=True).click()
    laptop.axe("the sign-out dialog")
    page.get_by_role("dialog", name="Sign out").get_by_role(
        "button", name="Sign out", exact=True
    ).click()
    expect(heading(page)).to_have_text("Sign in")
    expect(heading(page)).to_be_focused()
    notice = page.get_by_role("main").get_by_role("status")
    expect(notice).to_contain_text("You are signed out in this browser")
    expect(notice).to_contain_text("Other devices where you signed in stay signed in.")
    laptop.axe("the sign-in page after signing out")
    assert not refreshes(app_stack, laptop_token)
    assert refreshes(app_stack, phone_token)

    # Sign out everywhere, from the phone: every session of the user ends.
    page = sign_in(laptop, user.email, user.password)
    laptop_token = refresh_token_of(page)
    sign_out(phone_page, "Sign out everywhere")
    expect(heading(phone_page)).to_have_text("Sign in")
    expect(heading(phone_page)).to_be_focused()
    expect(phone_page.get_by_role("main").get_by_role("status")).to_have_text(
        "You are signed out on every device."
    )
    phone.axe("the sign-in page after signing out everywhere")
    assert not refreshes(app_stack, phone_token)
    assert not refreshes(app_stack, laptop_token)


def test_defect_9_the_confirmed_email_is_filled_in_on_sign_in(tab, app_stack):
    email = f"confirmed-{secrets.token_hex(4)}@example.com"
    page = tab.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(heading(page)).to_have_text("Confirm your email")
    page.get_by_label("Confirmation code").fill(ANY_CODE)
    page.get_by_role("button", name="Confirm").click()
    expect(heading(page)).to_have_text("Sign in")
    expect(page.get_by_text("Your email is confirmed. Sign in.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    # Only the password is left to type.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page)).to_have_text("My tasks")


def test_defect_9_a_reset_password_leads_to_sign_in_with_the_email(tab, app_stack):
    user = app_stack.new_user("reset")
    page = tab.goto("/forgot")
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send a reset code").click()
    page.get_by_label("Reset code").fill(ANY_CODE)
    page.get_by_label("New password").fill("Another-Passw0rd!")
    page.get_by_role("button", name="Set new password").click()
    expect(heading(page)).to_have_text("Sign in")
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(user.email)


def rules(page: Page):
    return page.get_by_role("list", name="What it must have").get_by_role("listitem")


def expect_rules(page: Page, met: list[bool]) -> None:
    expect(rules(page)).to_have_text(
        [re.compile(r"\(met\)$") if ok else re.compile(r"\(not met yet\)$") for ok in met]
    )


@pytest.mark.parametrize("width,scheme", [(1440, "light"), (390, "dark")])
def test_defect_11_every_password_rule_is_checked_as_one_types(new_tab, app_stack, width, scheme):
    tab = new_tab(width, scheme)
    page = tab.goto("/signup")
    page.get_by_label("Email").fill(f"rules-{secrets.token_hex(4)}@example.com")
    password = page.get_by_label("Password", exact=True)
    # The pool's policy (addons/environment/cognito.yml): 12 characters, upper, lower, number,
    # symbol, each a rule of its own, none met yet.
    expect(rules(page)).to_have_text(
        [
            re.compile("^At least 12 characters"),
            re.compile("^An upper-case letter"),
            re.compile("^A lower-case letter"),
            re.compile("^A number"),
            re.compile("^A symbol"),
        ]
    )
    expect_rules(page, [False] * 5)
    expect(password).to_have_attribute("aria-describedby", re.compile("signup-password-rules"))
    password.press_sequentially("abc")
    expect_rules(page, [False, False, True, False, False])
    # A pause in typing: what is still needed is announced politely.
    status = page.locator("#signup-password ~ p[data-password-needs]")
    expect(status).to_have_text(
        "Still needed: 9 more characters, an upper-case letter, a number, a symbol."
    )
    tab.axe("the password rules")

    # Sent with rules unmet: nothing reaches Cognito, the field says why and has focus.
    sent = cognito_calls(page, app_stack)
    page.get_by_role("button", name="Create account").click()
    expect(password).to_be_focused()
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#signup-password-error")).to_have_text(
        re.compile(r"does not follow the rules yet\. Still needed: 9 more characters")
    )
    assert sent == []

    password.press_sequentially("DEFGHIJ9!")
    expect_rules(page, [True] * 5)
    expect(status).to_have_text("The password meets every rule.")


def test_defect_11_the_services_refusals_are_in_the_apps_words(tab, app_stack):
    page = tab.goto("/signup")
    page.get_by_label("Email").fill(f"spaced-{secrets.token_hex(4)}@example.com")
    # Cognito takes passwords of up to 256 characters; the emulator refuses 99 and more, with
    # its own (misspelt) message: a refusal by the service that the browser cannot foresee.
    page.get_by_label("Password", exact=True).fill("Aa1!" + "x" * 96)
    expect_rules(page, [True] * 5)
    page.get_by_role("button", name="Create account").click()
    alert = page.get_by_role("main").get_by_role("alert")
    expect(alert).to_have_text(
        "This password does not follow the rules for passwords. Check the list under the password."
    )
    expect(alert).not_to_contain_text("confirm to")
    expect(heading(page)).to_have_text("Create an account")
