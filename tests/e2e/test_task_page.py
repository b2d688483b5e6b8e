"""The task page: unsaved edits are never lost (defect 8: leaving the page, a session that
expires during Save, someone else's save), and the page follows the changes feed with
conditional GETs."""

from __future__ import annotations

import datetime
import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in, toasts
from tests.support.http import ApiClient


@pytest.fixture
def task(app_stack):
    owner = app_stack.new_user("editor")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    created = api.create_task(workspace["id"], title="Write the brief", description="Short.")
    path = f"/workspaces/{workspace['id']}/tasks/{created['id']}"
    return owner, api, workspace, created, path


def open_task(tab, task) -> Page:
    owner, _, _, created, path = task
    page = sign_in(tab, owner.email, owner.password, path)
    expect(page.get_by_role("heading", level=1)).to_have_text(created["title"])
    return page


def test_defect_8_leaving_the_page_keeps_the_edits_as_a_draft(tab, task):
    _, api, workspace, created, _ = task
    page = open_task(tab, task)
    page.get_by_label("Description").fill("Two pages, with the budget.")
    page.get_by_role("link", name="Launch plan").click()
    kept = toasts(page)
    expect(kept).to_contain_text("Your unsaved changes to “Write the brief” are kept as a draft.")
    row = page.get_by_role("row").filter(has_text="Write the brief")
    expect(row).to_contain_text("Unsaved draft")

    # A reload asks first (the browser's own prompt), and the draft survives it too.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    kept.get_by_role("button", name="Open the draft").click()
    expect(page.get_by_label("Description")).to_have_value("Two pages, with the budget.")
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(
        "Your unsaved changes were restored."
    )
    page.get_by_label("Title").fill("Write the brief, with numbers")
    page.reload()
    assert dialogs == ["beforeunload"]
    expect(page.get_by_label("Title")).to_have_value("Write the brief, with numbers")
    expect(page.get_by_label("Description")).to_have_value("Two pages, with the budget.")
    page.get_by_role("button", name="Save changes").click()
    expect(toasts(page)).to_contain_text("Saved.")
    saved = api.get(f"/workspaces/{workspace['id']}/tasks/{created['id']}").json()
    assert (saved["title"], saved["description"]) == (
        "Write the brief, with numbers",
        "Two pages, with the budget.",
    )
    page.get_by_role("link", name="Launch plan").click()
    expect(page.get_by_role("row").filter(has_text="Write the brief")).not_to_contain_text(
        "Unsaved draft"
    )


def test_defect_8_a_session_that_expires_during_save_loses_nothing(tab, task, app_stack):
    owner, api, workspace, created, _ = task
    page = tab.page
    page.clock.install()
    open_task(tab, task)
    page.get_by_label("Description").fill("Written just before lunch.")
    # The session ends meanwhile (signed out everywhere, and an hour has passed): Save needs
    # a new token, and Cognito refuses the refresh token.
    # (The emulator files the browser's SRP session under the internal username: sign out
    # with a token of that very session, as another device of the user would.)
    refresh_token = page.evaluate(
        "() => JSON.parse(sessionStorage.getItem('teamtasks.session')).refreshToken"
    )
    same_session = app_stack.cognito.initiate_auth(
        ClientId=app_stack.stack.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh_token},
    )
    app_stack.cognito.global_sign_out(
        AccessToken=same_session["AuthenticationResult"]["AccessToken"]
    )
    page.clock.set_system_time(datetime.datetime.now() + datetime.timedelta(minutes=61))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("Your session has ended. Please sign in again.")).to_be_visible()
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(owner.password)
    page.get_by_role("button", name="Sign in").click()
    # Back on the task, with the text as it was.
    expect(page.get_by_role("heading", level=1)).to_have_text("Write the brief")
    expect(page.get_by_label("Description")).to_have_value("Written just before lunch.")
    page.get_by_role("button", name="Save changes").click()
    expect(toasts(page)).to_contain_text("Saved.")
    saved = api.get(f"/workspaces/{workspace['id']}/tasks/{created['id']}").json()
    assert saved["description"] == "Written just before lunch."


def test_defect_8_someone_elses_save_keep_mine_or_take_theirs_field_by_field(tab, task):
    _, api, workspace, created, _ = task
    url = f"/workspaces/{workspace['id']}/tasks/{created['id']}"
    page = open_task(tab, task)
    page.get_by_label("Title").fill("Brief (mine)")
    page.get_by_label("Status", exact=True).select_option(label="In progress")
    theirs = api.patch(
        url,
        json={"title": "Brief (theirs)", "description": "Theirs."},
        headers={"If-Match": '"1"'},
    )
    assert theirs.status_code == 200
    page.get_by_role("button", name="Save changes").click()
    panel = page.get_by_role("region", name="Someone else changed this task")
    expect(panel.get_by_role("heading")).to_be_focused()
    # Only they changed the description: theirs. Only I changed the status: mine. Both
    # changed the title: my choice.
    expect(panel).to_contain_text("Their changes to Description are kept.")
    title = panel.get_by_role("group", name="Title")
    expect(title.get_by_role("radio", name="Keep mine Brief (mine)")).to_be_checked()
    expect(panel.get_by_role("group")).to_have_count(1)
    title.get_by_role("radio", name="Take theirs Brief (theirs)").check()
    with page.expect_request(lambda r: r.method == "PATCH") as patch:
        panel.get_by_role("button", name="Save my changes on their version").click()
    assert json.loads(patch.value.post_data) == {"status": "in_progress"}
    assert patch.value.headers["if-match"] == '"2"'
    expect(toasts(page)).to_contain_text("Saved.")
    saved = api.get(url).json()
    assert (saved["title"], saved["description"], saved["status"]) == (
        "Brief (theirs)",
        "Theirs.",
        "in_progress",
    )

    # And "take theirs" for everything drops my edits.
    page.get_by_label("Title").fill("Mine again")
    api.patch(url, json={"title": "Theirs again"}, headers={"If-Match": '"3"'})
    page.get_by_role("button", name="Save changes").click()
    panel.get_by_role("button", name="Discard mine, take theirs").click()
    expect(page.get_by_label("Title")).to_have_value("Theirs again")
    expect(page.get_by_role("heading", level=1)).to_have_text("Theirs again")
    assert api.get(url).json()["title"] == "Theirs again"


def test_the_task_follows_the_changes_feed_with_conditional_requests(tab, task):
    """The task page reads the task again only when the workspace's changes feed reports a
    change to it, and then with If-None-Match; while nothing changes, the feed's polls are 304s."""
    _, api, workspace, created, _ = task
    url = f"/workspaces/{workspace['id']}/tasks/{created['id']}"
    page = open_task(tab, task)
    reads: list[tuple[str | None, int]] = []
    polls: list[int] = []
    page.on(
        "response",
        lambda r: (
            reads.append((r.request.headers.get("if-none-match"), r.status))
            if r.request.method == "GET" and r.url.endswith(f"/tasks/{created['id']}")
            else polls.append(r.status)
            if "/changes?after=" in r.url
            else None
        ),
    )
    page.wait_for_timeout(7000)
    assert reads == []
    assert polls and set(polls) == {304}, polls
    # Someone else renames it: the page shows it (nothing was being edited), read conditionally.
    api.patch(url, json={"title": "Renamed elsewhere"}, headers={"If-Match": '"1"'})
    expect(page.get_by_role("heading", level=1)).to_have_text("Renamed elsewhere")
    expect(page.get_by_label("Title")).to_have_value("Renamed elsewhere")
    assert reads == [('"1"', 200)]
    # While editing, a newer version is announced instead of overwriting the edits.
    page.get_by_label("Description").fill("Mine.")
    api.patch(url, json={"status": "done"}, headers={"If-Match": '"2"'})
    notice = page.get_by_role("main").get_by_role("status").filter(has_text="newer version")
    expect(notice).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("Mine.")
    notice.get_by_role("button", name="Compare with theirs").click()
    panel = page.get_by_role("region", name="Someone else changed this task")
    expect(panel).to_contain_text("Their changes to Status are kept.")
