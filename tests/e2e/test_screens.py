"""Every screen of the app, at a laptop's width (1440 px) and a phone's (390 px), in the light
and the dark theme: axe-core finds nothing, nothing scrolls sideways (also at 320 px, WCAG's
reflow width) although the data has 200-character unbroken titles, long names and emails, and
each screen is photographed into test-artifacts/screenshots/<screen>-<width>-<theme>.png."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, REFLOW, TABLET, Tab, sign_in
from tests.support.http import ApiClient

LONG_TITLE = "https://example.com/" + "plans/" * 5 + "x" * 150  # 200 characters, no space
assert len(LONG_TITLE) == 200
LONG_NAME = "W" * 100  # a workspace name at its limit, unbroken
LONG_EMAIL = "a-rather-long-address-" + "x" * 50 + "@example.com"


@dataclass
class Screen:
    name: str
    path: str
    heading: str
    signed_in: bool = True


@pytest.fixture(scope="module")
def screens(app_stack):
    """A user with the data every screen needs, and the screens to visit."""
    owner = app_stack.new_user("screens")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.create_workspace(LONG_NAME)
    long_member = app_stack.user(LONG_EMAIL)
    leaver = app_stack.new_user("leaver")
    api.add_member(workspace["id"], long_member, "member")
    api.add_member(workspace["id"], leaver, "viewer")
    today = datetime.date.today()

    def day(offset: int) -> str:
        return (today + datetime.timedelta(days=offset)).isoformat()

    long_task = api.create_task(
        workspace["id"],
        title=LONG_TITLE,
        description=LONG_TITLE,
        due_date=day(1),
        assignee_id=owner.user_id,
    )
    for fields in [
        {"title": "Send the invites", "due_date": day(-3), "assignee_id": owner.user_id},
        {"title": "Book the venue", "status": "in_progress", "assignee_id": long_member.user_id},
        {"title": "Write the brief", "status": "done", "due_date": day(-1)},
        {"title": "Order the catering", "due_date": day(12), "assignee_id": leaver.user_id},
    ]:
        api.create_task(workspace["id"], **fields)
    # The leaver's task keeps their id: the app must call them a former member.
    removed = api.delete(f"/workspaces/{workspace['id']}/members/{leaver.user_id}")
    assert removed.status_code == 204
    api.patch(
        f"/workspaces/{workspace['id']}/tasks/{long_task['id']}",
        json={"status": "in_progress"},
        headers={"If-Match": '"1"'},
    )
    # Collaboration: an invitation waiting in the workspace, comments (a mention, a long URL),
    # and for the owner notifications of every kind and an invitation of their own.
    api.invite(workspace["id"], "b-" + LONG_EMAIL, "viewer")
    mate = ApiClient(app_stack.api, long_member.access_token)
    api.post(
        f"/workspaces/{workspace['id']}/tasks/{long_task['id']}/comments",
        json={"body": f"Over to you, @{long_member.email}.", "mentions": [long_member.user_id]},
    ).raise_for_status()
    mate.post(
        f"/workspaces/{workspace['id']}/tasks/{long_task['id']}/comments",
        json={"body": f"Done, see {LONG_TITLE}\nand the notes.", "mentions": [owner.user_id]},
    ).raise_for_status()
    mate.create_task(workspace["id"], title="Check the budget", assignee_id=owner.user_id)
    other_owner = app_stack.new_user("other-owner")
    elsewhere = ApiClient(app_stack.api, other_owner.access_token)
    elsewhere.invite(elsewhere.create_workspace(LONG_NAME)["id"], owner.email, "admin")
    wait_for_unread(api, 3)
    base = f"/workspaces/{workspace['id']}"
    visits = [
        Screen("sign-in", "/signin", "Sign in", signed_in=False),
        Screen("sign-up", "/signup", "Create an account", signed_in=False),
        Screen("confirm", f"/confirm?email={LONG_EMAIL}", "Confirm your email", signed_in=False),
        Screen("reset-password", "/forgot", "Reset your password", signed_in=False),
        Screen(
            "invited-sign-up",
            f"/invitations?email={LONG_EMAIL}",
            "Create an account",
            signed_in=False,
        ),
        Screen("unsubscribe", "/unsubscribe?token=abc.def", "Email notifications", signed_in=False),
        Screen("my-tasks", "/", "My tasks"),
        Screen("workspaces", "/workspaces", "Workspaces"),
        Screen("tasks", base, "Launch plan"),
        Screen("board", f"{base}/board", "Launch plan"),
        Screen("task", f"{base}/tasks/{long_task['id']}", LONG_TITLE),
        Screen("members", f"{base}/members", "Launch plan"),
        Screen("audit-log", f"{base}/audit", "Launch plan"),
        Screen("account", "/account", "Your account"),
        Screen("notifications", "/notifications", "Notifications"),
        Screen("invitations", "/invitations", "Invitations"),
        Screen("not-found", "/no/such/page", "Page not found"),
    ]
    return owner, visits, base


def wait_for_unread(api: ApiClient, at_least: int) -> None:
    """Notifications are written by the stream consumer, within seconds of their change."""
    for _ in range(60):
        if api.get("/me/notifications/summary").json()["unread"] >= at_least:
            return
        time.sleep(0.5)
    raise AssertionError(f"fewer than {at_least} notifications after 30 s")


def visit(tab: Tab, screen: Screen, *, reload: bool) -> None:
    page = tab.goto(screen.path) if reload else tab.follow(screen.path)
    expect(page.get_by_role("heading", level=1)).to_have_text(screen.heading)
    tab.settled()


def tour(tab: Tab, owner, visits: list[Screen], check) -> None:
    """Every screen in turn: the public ones, then, signed in, the rest (in the app, as a
    click on a link would open them)."""
    signed_in = False
    for screen in visits:
        if screen.signed_in and not signed_in:
            sign_in(tab, owner.email, owner.password)
            signed_in = True
        visit(tab, screen, reload=not screen.signed_in)
        check(screen.name)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_every_screen_is_accessible_fits_and_is_photographed(new_tab, screens, width):
    owner, visits, base = screens
    tab = new_tab(width)

    def check(name: str) -> None:
        assert tab.sideways_overflow() == 0, f"{name} scrolls sideways at {width} px"
        for scheme in ("light", "dark"):
            tab.theme(scheme)
            tab.axe(name)
            tab.screenshot(name)
        tab.theme("light")

    tour(tab, owner, visits, check)

    # The dialogs: keyboard shortcuts, and a confirmation.
    visit(tab, next(s for s in visits if s.name == "tasks"), reload=False)
    tab.page.locator("body").press("?")
    expect(tab.page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    check("shortcuts")
    tab.page.keyboard.press("Escape")
    tab.follow(f"{base}/members")
    tab.settled().get_by_role("button", name="Remove a-rather-long").click()
    expect(tab.page.get_by_role("dialog")).to_be_visible()
    check("confirm-dialog")
    tab.page.keyboard.press("Escape")

    # The mention suggestions, open under the comment being written.
    visit(tab, next(s for s in visits if s.name == "task"), reload=False)
    tab.page.get_by_label("Add a comment").press_sequentially("Ask @a")
    expect(tab.page.get_by_role("listbox", name="Members to mention")).to_be_visible()
    check("mention-suggestions")


@pytest.mark.parametrize("width", [REFLOW, TABLET])
def test_nothing_scrolls_sideways_at_320_px_nor_on_a_tablet(new_tab, screens, width):
    owner, visits, _ = screens
    tab = new_tab(width)
    wide: list[str] = []

    def check(name: str) -> None:
        if tab.sideways_overflow():
            wide.append(f"{name}: {tab.sideways_overflow()} px")
        if name in ("tasks", "my-tasks"):
            # Titles keep room to be read: no column squeezes them to a letter a line.
            narrowest = min(box["width"] for box in task_link_boxes(tab))
            if narrowest < 120:
                wide.append(f"{name}: a title {narrowest:.0f} px wide")

    tour(tab, owner, visits, check)
    assert not wide, f"at {width} px: " + ", ".join(wide)


def task_link_boxes(tab: Tab) -> list[dict]:
    table = tab.page.get_by_role("table").first
    return [link.bounding_box() for link in table.get_by_role("link").all()]
