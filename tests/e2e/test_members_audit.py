"""Members and the audit log: the role control by keyboard (defect 3), confirmations that are
announced, close on Escape and leave focus somewhere useful (defect 4), and an audit log in
words, with names from the events themselves (defect 5)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, sign_in, toasts
from tests.support.http import ApiClient


@pytest.fixture
def team(app_stack):
    """An owner's workspace with one member."""
    owner = app_stack.new_user("owner")
    helper = app_stack.new_user("helper")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.add_member(workspace["id"], helper, "member")
    return owner, helper, api, workspace


def test_defect_3_4_roles_by_keyboard_and_the_remove_dialog(tab, team):
    owner, helper, api, workspace = team
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/members")
    patches: list[str] = []
    page.on("request", lambda r: patches.append(r.url) if r.method == "PATCH" else None)

    role = page.get_by_role("button", name=f"Role of {helper.email}: Member")
    role.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")  # Viewer: not saved yet
    page.keyboard.press("ArrowUp")  # Member
    page.keyboard.press("ArrowUp")  # Admin
    assert patches == []
    page.keyboard.press("Enter")
    role = page.get_by_role("button", name=f"Role of {helper.email}: Admin")
    expect(role).to_be_focused()
    expect(toasts(page)).to_contain_text(f"{helper.email} is now admin.")
    assert len(patches) == 1
    members = api.get(f"/workspaces/{workspace['id']}/members").json()["items"]
    assert {m["email"]: m["role"] for m in members}[helper.email] == "admin"

    # Removing asks in a dialog that is announced; Escape closes it and focus comes back.
    remove = page.get_by_role("button", name=f"Remove {helper.email}")
    remove.click()
    dialog = page.get_by_role("dialog", name=f"Remove {helper.email}?")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-labelledby", "dialog-title")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(remove).to_be_focused()
    remove.press("Enter")
    page.keyboard.press("Tab")  # Cancel, then the dialog's own button (focus stays inside)
    expect(dialog.get_by_role("button", name="Remove member")).to_be_focused()
    page.keyboard.press("Enter")
    expect(toasts(page)).to_contain_text(f"Removed {helper.email}.")
    expect(page.get_by_role("heading", name="Members", level=2)).to_be_focused()
    expect(page.get_by_role("table", name="Members")).not_to_contain_text(helper.email)


def test_defect_5_the_audit_log_reads_as_sentences(new_tab, team):
    owner, helper, api, workspace = team
    task = api.create_task(workspace["id"], title="Write the brief")
    url = f"/workspaces/{workspace['id']}/tasks/{task['id']}"
    version = 1
    # 26 later changes push the task's creation (and its title) to the second page.
    for n in range(26):
        fields = (
            {"assignee_id": helper.user_id, "due_date": "2027-03-01"}
            if n == 25
            else {"status": "in_progress" if n % 2 == 0 else "todo"}
        )
        changed = api.patch(url, json=fields, headers={"If-Match": f'"{version}"'})
        assert changed.status_code == 200, changed.text
        version += 1
    tab = new_tab(DESKTOP)
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/audit")
    table = page.get_by_role("table", name="Audit events, newest first")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(26)
    newest = rows.nth(1)
    # Named by the event's label, though the creation is on another page; fields and values
    # in words; no action codes; the moment on one line.
    expect(newest).to_contain_text("Updated a task")
    expect(newest).to_contain_text("Task: Write the brief")
    expect(newest).to_contain_text(re.compile(rf"Assignee Nobody →( changed to)? {helper.email}"))
    expect(newest).to_contain_text(re.compile(r"Due date No due date →( changed to)? 1 Mar 2027"))
    expect(rows.nth(2)).to_contain_text(re.compile(r"Status To do →( changed to)? In progress"))
    for raw in (
        task["id"],
        "assignee_id",
        "in_progress",
        "task.updated",
        "due_date",
        "invitation.",
    ):
        expect(table).not_to_contain_text(raw)
    when = newest.get_by_role("cell").first
    line = when.evaluate("cell => parseFloat(getComputedStyle(cell).lineHeight)")
    assert when.locator("time").bounding_box()["height"] < 1.5 * line
    tab.axe("the audit log, page 1")
    page.get_by_role("button", name="Next page").click()
    # The first status change, the task, the member joining, their invitation, the workspace.
    expect(rows).to_have_count(6)
    expect(rows.nth(2)).to_contain_text("Created a task")
    expect(rows.nth(2)).to_contain_text("Title Write the brief")
    expect(rows.nth(3)).to_contain_text("Added a member")
    expect(rows.nth(3)).to_contain_text(f"Member: {helper.email}")
    # The invitation, in words: who, as what; the member's own acceptance is theirs.
    expect(rows.nth(3).get_by_role("cell").nth(1)).to_have_text(helper.email)
    expect(rows.nth(4)).to_contain_text("Invited someone")
    expect(rows.nth(4)).to_contain_text(f"Invitation: {helper.email}")
    expect(rows.nth(4)).to_contain_text("Role Member")
    expect(rows.nth(5)).to_contain_text("Created the workspace")
    expect(page.get_by_role("heading", name="Audit log", level=2)).to_be_focused()
