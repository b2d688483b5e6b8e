"""The everyday loop (add a task, change its status, delete it, think again) done twice: by
keyboard alone at a laptop's width, and by touch on a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, expect_titles, sign_in, status_button, toasts
from tests.support.http import ApiClient


def workspace_with_a_task(app_stack):
    user = app_stack.new_user("daily")
    api = ApiClient(app_stack.api, user.access_token)
    workspace = api.create_workspace("Launch plan")
    api.create_task(workspace["id"], title="Book the venue")
    return user, api, workspace


def test_the_daily_loop_by_keyboard_alone(tab, app_stack):
    user, api, workspace = workspace_with_a_task(app_stack)
    page = sign_in(tab, user.email, user.password, f"/workspaces/{workspace['id']}")
    heading = page.get_by_role("heading", level=1)
    expect_titles(page, ["Book the venue"])
    expect(heading).to_be_focused()
    keys = page.keyboard

    keys.press("c")
    keys.type("Send the invites")
    keys.press("Enter")
    expect(toasts(page)).to_contain_text("Added “Send the invites”.")
    expect_titles(page, ["Send the invites", "Book the venue"])

    heading.focus()
    keys.press("j")
    expect(page.get_by_role("link", name="Send the invites")).to_be_focused()
    keys.press("Tab")
    expect(
        page.get_by_role("button", name="Priority of Send the invites: No priority")
    ).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_role("button", name="Labels of Send the invites")).to_be_focused()
    keys.press("Tab")
    expect(status_button(page, "Send the invites")).to_be_focused()
    keys.press("Enter")
    keys.press("ArrowDown")
    keys.press("Enter")
    expect(status_button(page, "Send the invites")).to_have_accessible_name(
        "Status of Send the invites: In progress"
    )
    keys.press("Tab")  # past the due date to Delete
    while not page.get_by_role("button", name="Delete Send the invites").evaluate(
        "b => b === document.activeElement"
    ):
        keys.press("Tab")
    keys.press("Enter")
    expect(page.get_by_role("link", name="Book the venue")).to_be_focused()
    expect_titles(page, ["Book the venue"])
    keys.press("z")
    expect_titles(page, ["Send the invites", "Book the venue"])
    keys.press("Enter")  # the focused link opens the task
    expect(heading).to_have_text("Book the venue")
    statuses = {
        t["title"]: t["status"]
        for t in api.get(f"/workspaces/{workspace['id']}/tasks").json()["items"]
    }
    assert statuses == {"Send the invites": "in_progress", "Book the venue": "todo"}


def test_the_daily_loop_on_a_phone(new_tab, app_stack):
    user, api, workspace = workspace_with_a_task(app_stack)
    tab = new_tab(PHONE)
    page = sign_in(tab, user.email, user.password, f"/workspaces/{workspace['id']}")
    page.get_by_label("New task").tap()
    page.get_by_label("New task").fill("Send the invites")
    page.get_by_role("button", name="Add task").tap()
    expect_titles(page, ["Send the invites", "Book the venue"])
    status_button(page, "Send the invites").tap()
    page.get_by_role("menuitemradio", name="Done").tap()
    expect(status_button(page, "Send the invites")).to_have_accessible_name(
        "Status of Send the invites: Done"
    )
    page.get_by_role("button", name="Delete Book the venue").tap()
    toasts(page).get_by_role("button", name="Undo").tap()
    expect_titles(page, ["Send the invites", "Book the venue"])
    page.get_by_role("link", name="Book the venue").tap()
    page.get_by_label("Title").fill("Book the venue for 80")
    page.get_by_role("button", name="Save changes").tap()
    expect(toasts(page)).to_contain_text("Saved.")
    assert tab.sideways_overflow() == 0
    titles = {t["title"] for t in api.get(f"/workspaces/{workspace['id']}/tasks").json()["items"]}
    assert titles == {"Send the invites", "Book the venue for 80"}
