"""The board: a workspace's tasks in columns by status, moved by pointer (drag and drop), by
their arrow buttons, or with Shift + arrow keys on a focused card; a refused move goes back."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, refuse_changes, sign_in, toasts, wait_for
from tests.support.http import ApiClient


@pytest.fixture
def board(app_stack):
    owner = app_stack.new_user("planner")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    soon = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    tasks = {
        title: api.create_task(workspace["id"], title=title, **fields)
        for title, fields in [
            ("Write the brief", {"status": "done"}),
            ("Book the venue", {"status": "in_progress", "due_date": soon}),
            ("Send the invites", {}),
        ]
    }
    return owner, api, workspace, tasks


def column(page: Page, status: str):
    return page.get_by_role("region", name=re.compile(f"^{status}"))


def card(page: Page, title: str):
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=title))


def status_of(api, workspace, task) -> str:
    return api.get(f"/workspaces/{workspace['id']}/tasks/{task['id']}").json()["status"]


def open_board(tab, board) -> Page:
    owner, _, workspace, _ = board
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/board")
    expect(column(page, "To do").get_by_role("link")).to_have_text(["Send the invites"])
    return page


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_columns_and_moves_by_pointer_buttons_and_keys(new_tab, board, width):
    _, api, workspace, tasks = board
    tab = new_tab(width)
    page = open_board(tab, board)
    expect(column(page, "In progress")).to_contain_text("Due tomorrow")
    expect(column(page, "Done").get_by_role("link")).to_have_text(["Write the brief"])
    assert tab.sideways_overflow() == 0

    # By pointer: drag a card onto another column.
    card(page, "Send the invites").drag_to(column(page, "In progress"))
    expect(column(page, "In progress").get_by_role("link")).to_have_text(
        ["Book the venue", "Send the invites"]
    )
    expect(toasts(page)).to_contain_text("Moved “Send the invites” to In progress.")
    wait_for(page, lambda: status_of(api, workspace, tasks["Send the invites"]) == "in_progress")

    # By its buttons: focus stays on the same button, now in the next column.
    move = page.get_by_role("button", name="Move Book the venue to Done")
    move.click()
    expect(column(page, "Done").get_by_role("link", name="Book the venue")).to_be_visible()
    back = page.get_by_role("button", name="Move Book the venue to In progress")
    expect(back).to_be_visible()

    # By keyboard alone: Shift + Left / Right on the focused card; focus goes with it.
    link = page.get_by_role("link", name="Write the brief")
    link.focus()
    page.keyboard.press("Shift+ArrowLeft")
    moved = column(page, "In progress").get_by_role("link", name="Write the brief")
    expect(moved).to_be_focused()
    page.keyboard.press("Shift+ArrowLeft")
    expect(column(page, "To do").get_by_role("link", name="Write the brief")).to_be_focused()
    page.keyboard.press("Shift+ArrowLeft")  # already the first column: nothing happens
    expect(column(page, "To do").get_by_role("link", name="Write the brief")).to_be_focused()
    wait_for(page, lambda: status_of(api, workspace, tasks["Write the brief"]) == "todo")
    assert status_of(api, workspace, tasks["Book the venue"]) == "done"
    assert tab.sideways_overflow() == 0


def test_a_refused_move_goes_back(tab, board):
    _, api, workspace, tasks = board
    page = open_board(tab, board)
    refuse_changes(page, "Try again shortly")
    page.get_by_role("button", name="Move Send the invites to In progress").click()
    expect(toasts(page).get_by_role("alert")).to_contain_text("“Send the invites” was not moved")
    expect(column(page, "To do").get_by_role("link")).to_have_text(["Send the invites"])
    assert status_of(api, workspace, tasks["Send the invites"]) == "todo"
