"""Collaboration end to end, as people would do it: an owner invites someone who has no account
by email; the invitee reads the email (the local outbox), follows its link, signs up with the
address filled in, confirms, signs in and lands on the invitation, accepts it, and comments on a
task mentioning the owner through the autocomplete, by keyboard; the owner sees the bell count,
the notification in the inbox and its link to the task, and gets an email whose unsubscribe link
works without signing in."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ANY_CODE, DESKTOP, PHONE, sign_in, toasts
from tests.support.http import ApiClient
from tests.support.stack import PASSWORD


def path_of(link: str) -> str:
    """The app's path and query of a link in an email (the tests' app is on its own port)."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def bell(page: Page):
    return page.get_by_role("banner").get_by_role("link", name=re.compile("^Notifications"))


def wait_for_bell(page: Page, name: str, tries: int = 20) -> None:
    """The bell reads the unread count on every move to another page (and every 30 s): the
    owner moves between pages, as people do, until the notification is there."""
    for _ in range(tries):
        if bell(page).get_attribute("aria-label") == name:
            return
        page.wait_for_timeout(1000)
        page.get_by_role("link", name="My tasks").click()
    expect(bell(page)).to_have_accessible_name(name)


@pytest.mark.parametrize(("width", "scheme"), [(DESKTOP, "light"), (PHONE, "dark")])
def test_invited_by_email_signs_up_accepts_comments_and_notifies(new_tab, app_stack, width, scheme):
    owner = app_stack.new_user("owner")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.create_task(workspace["id"], title="Write the brief")
    invitee_email = f"new-{secrets.token_hex(4)}@example.com"

    # The owner invites an address that has no account.
    owner_tab = new_tab(width, scheme)
    mine = sign_in(owner_tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/members")
    mine.get_by_label("Email of the person to invite").fill(invitee_email)
    mine.get_by_role("button", name="Send invitation").click()
    expect(toasts(mine)).to_contain_text(f"Invitation sent to {invitee_email} (member).")

    # The email (the local outbox) names the workspace and the inviter, and links to the app,
    # in both its parts; the link carries nothing but the address.
    [email] = app_stack.wait_for_emails(invitee_email, timeout_s=30)
    assert "Launch plan" in email.subject + email.text
    assert owner.email in email.text
    [link] = [u for u in email.links if "/invitations" in u]
    assert link in email.text_links
    assert parse_qs(urlsplit(link).query) == {"email": [invitee_email]}

    # The link opens sign-up with the address filled in; then confirm, sign in: the invitation.
    invitee = new_tab(width, scheme)
    page = invitee.goto(path_of(link))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(
        f"You have been invited to a workspace. Create an account with {invitee_email}"
    )
    expect(page.get_by_label("Email")).to_have_value(invitee_email)
    # The switch to signing in keeps the address and the way back.
    switch = page.get_by_role("link", name="Sign in")
    assert "next=%2Finvitations" in switch.get_attribute("href")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email")
    expect(page.get_by_label("Email")).to_have_value(invitee_email)
    page.get_by_label("Confirmation code").fill(ANY_CODE)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Your email is confirmed. Sign in.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(invitee_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    assert path_of(page.url) == path_of(link)
    card = page.get_by_role("listitem").filter(has_text="Launch plan")
    expect(card).to_contain_text(f"{owner.email.lower()} invites you to join as member.")
    invitee.axe("the invitations page")
    card.get_by_role("button", name="Accept the invitation to Launch plan").click()
    expect(toasts(page)).to_contain_text("You joined Launch plan as member.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Launch plan")

    # A comment that mentions the owner, through the autocomplete, by keyboard only.
    page.get_by_role("link", name="Write the brief").click()
    box = page.get_by_label("Add a comment")
    box.press_sequentially("Could you check the numbers, @" + owner.email[:6])
    suggestions = page.get_by_role("listbox", name="Members to mention")
    option = suggestions.get_by_role("option", name=owner.email)
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-controls", suggestions.get_attribute("id"))
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    expect(page.locator("[aria-live=polite]").filter(has_text="to mention")).to_have_text(
        "1 member to mention. Up and down to choose, Enter to insert."
    )
    invitee.axe("the mention suggestions")
    box.press("Enter")
    expect(suggestions).to_have_count(0)
    expect(box).to_be_focused()
    box.press_sequentially("please?")
    expect(box).to_have_value(f"Could you check the numbers, @{owner.email} please?")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/comments")) as sent:
        box.press("Control+Enter")
    assert sent.value.post_data_json == {
        "body": f"Could you check the numbers, @{owner.email} please?",
        "mentions": [owner.user_id],
    }
    thread = page.get_by_role("list", name="Comments, oldest first")
    expect(thread.get_by_role("listitem")).to_have_count(1)
    expect(thread.locator(".mention")).to_have_text(f"@{owner.email}")
    expect(box).to_have_value("")

    # The owner is notified: the bell, the inbox, and its link to the task.
    wait_for_bell(mine, "Notifications: 1 unread")
    bell(mine).click()
    expect(mine.get_by_role("heading", level=1)).to_have_text("Notifications")
    item = mine.get_by_role("listitem").filter(has_text="mentioned you")
    expect(item).to_contain_text(f"{invitee_email} mentioned you in a comment on Write the brief")
    expect(item).to_contain_text("Unread")
    owner_tab.axe("the inbox")
    item.get_by_role("link", name="Write the brief").click()
    expect(mine.get_by_role("heading", level=1)).to_have_text("Write the brief")
    expect(mine.get_by_role("list", name="Comments, oldest first")).to_contain_text(
        "Could you check the numbers"
    )
    # Opening it marked it read.
    expect(bell(mine)).to_have_accessible_name("Notifications")
    summary = api.get("/me/notifications/summary").json()
    assert summary == {"unread": 0}

    # The owner was emailed too (immediately, the default); its unsubscribe link works signed out.
    [mention_email] = app_stack.wait_for_emails(owner.email, timeout_s=30)
    assert "Write the brief" in mention_email.text
    [unsubscribe] = [u for u in mention_email.links if "/unsubscribe?" in u]
    stranger = new_tab(width, scheme)
    page = stranger.goto(path_of(unsubscribe))
    expect(page.get_by_role("heading", level=1)).to_have_text("Email notifications")
    stranger.axe("the unsubscribe page")
    page.get_by_role("button", name="Turn off notification emails").click()
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(
        "Done: notification emails are off."
    )
    assert api.get("/me/preferences").json() == {"email_notifications": "off"}
    mine.get_by_role("link", name="Account").click()
    expect(mine.get_by_role("radio", name=re.compile("^Never"))).to_be_checked()


def test_a_signed_in_person_with_another_address_is_told_and_can_switch(new_tab, app_stack):
    owner = app_stack.new_user("owner")
    someone = app_stack.new_user("someone")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    invited = f"invited-{secrets.token_hex(4)}@example.com"
    api.invite(workspace["id"], invited, "viewer")
    tab = new_tab()
    sign_in(tab, someone.email, someone.password)
    page = tab.follow(f"/invitations?email={invited}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    warning = page.get_by_role("main").get_by_role("status").filter(has_text="sent to")
    expect(warning).to_contain_text(
        f"This invitation was sent to {invited}, but you are signed in as {someone.email}"
    )
    expect(page.get_by_text("No invitations are waiting for you.")).to_be_visible()
    tab.axe("an invitation for another address")
    warning.get_by_role("button", name=f"Sign out and continue as {invited}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    expect(page.get_by_label("Email")).to_have_value(invited)


def test_invitations_are_declined_and_a_stale_one_says_so(new_tab, app_stack):
    owner = app_stack.new_user("owner")
    me = app_stack.new_user("me")
    api = ApiClient(app_stack.api, owner.access_token)
    first = api.create_workspace("Hiring")
    second = api.create_workspace("Office move")
    api.invite(first["id"], me.email, "member")
    revoked = api.invite(second["id"], me.email, "viewer")
    tab = new_tab()
    page = sign_in(tab, me.email, me.password)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile("^Workspaces"))).to_have_accessible_name(
        "Workspaces 2 invitations waiting"
    )
    # The invitation.received notifications lead here too.
    wait_for_bell(page, "Notifications: 2 unread")
    page.get_by_role("link", name=re.compile("^Workspaces")).first.click()
    page.get_by_role("link", name="See your invitations").click()
    page.get_by_role("button", name="Decline the invitation to Hiring").click()
    expect(toasts(page)).to_contain_text("You declined the invitation to Hiring.")
    expect(page.get_by_role("heading", name="Waiting for your answer")).to_be_focused()
    # Revoked while the page was open: accepting says so, and the card goes.
    assert api.delete(f"/workspaces/{second['id']}/invitations/{revoked['id']}").status_code == 204
    page.get_by_role("button", name="Accept the invitation to Office move").click()
    expect(toasts(page).get_by_role("alert")).to_contain_text("This invitation is no longer open")
    expect(page.get_by_text("No invitations are waiting for you.")).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("^Workspaces"))).to_have_accessible_name(
        "Workspaces"
    )
    members = api.get(f"/workspaces/{first['id']}/members").json()["items"]
    assert me.email not in [m["email"] for m in members]


def test_an_invitee_with_an_account_goes_from_the_link_to_signing_in(new_tab, app_stack):
    owner = app_stack.new_user("owner")
    member = app_stack.new_user("has-account")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.invite(workspace["id"], member.email, "viewer")
    [email] = app_stack.wait_for_emails(member.email, timeout_s=30)
    [link] = [u for u in email.links if "/invitations" in u]
    tab = new_tab()
    page = tab.goto(path_of(link))
    # Trying to sign up again says the account exists, and leads to signing in, prefilled.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    alert = page.get_by_role("main").get_by_role("alert")
    expect(alert).to_contain_text("An account with this email already exists.")
    alert.get_by_role("link", name=f"Sign in with {member.email} instead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Email")).to_have_value(member.email)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    page.get_by_role("button", name="Accept the invitation to Launch plan").click()
    expect(toasts(page)).to_contain_text("You joined Launch plan as viewer.")
    expect(page.get_by_text("You can read this workspace's tasks")).to_be_visible()
