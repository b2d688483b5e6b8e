"""People shown as people (an initials avatar, the name before the @, the address on hover and
focus), a sole owner told before leaving, and an audit log that says what was deleted, links to
tasks and filters (issue 22, defects 7, 10 and 12)."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, sign_in, toasts
from tests.support.http import ApiClient


def person(scope, email: str) -> Locator:
    """The person component for `email` (its accessible text is the whole address)."""
    return scope.locator(".person[data-email]", has_text=email)


def tooltip(element: Locator) -> str | None:
    """The address the person shows on hover or focus; None while nothing shows."""
    return element.evaluate(
        """el => { const after = getComputedStyle(el, '::after');
                   return after.display === 'none' ? null : JSON.parse(after.content); }"""
    )


def expect_person(scope, email: str, name: str, initials: str) -> Locator:
    found = person(scope, email).first
    expect(found.locator(".avatar")).to_have_text(initials)
    expect(found.locator(".person-name")).to_have_text(name)
    # The address itself is not on screen until asked for (the pointer is out of the way).
    found.page.mouse.move(0, 0)
    assert tooltip(found) is None
    return found


@pytest.fixture
def people(app_stack):
    """An owner and a member whose address has two words before the @."""
    # One word before the @ ("O"), and two ("AL"; the random part after them is not a name).
    owner = app_stack.user(f"owner{secrets.token_hex(4)}@example.com")
    ann = app_stack.new_user("ann.lee")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.add_member(workspace["id"], ann, "member")
    return owner, ann, api, workspace


@pytest.mark.parametrize("width,scheme", [(DESKTOP, "light"), (PHONE, "dark")])
def test_defect_12_people_have_an_avatar_and_a_name_and_their_address_on_hover_and_focus(
    new_tab, people, width, scheme
):
    owner, ann, api, workspace = people
    ann_name = ann.email.split("@", maxsplit=1)[0]
    task = api.create_task(workspace["id"], title="Write the brief", assignee_id=ann.user_id)
    ApiClient(api.base_url, ann.access_token).post(
        f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments",
        json={"body": "On it.", "mentions": []},
    )
    tab = new_tab(width, scheme)
    base = f"/workspaces/{workspace['id']}"
    page = sign_in(tab, owner.email, owner.password, base)

    # The task list: the assignee.
    rows = page.get_by_role("table", name="Tasks")
    assignee = expect_person(rows, ann.email, ann_name, "AL")
    # Keyboard focus shows the whole address; Escape hides it; the pointer shows it too.
    assignee.focus()
    assert tooltip(assignee) == ann.email
    page.keyboard.press("Escape")
    assert tooltip(assignee) is None
    page.keyboard.press("Tab")
    assert tooltip(assignee) is None
    if width == DESKTOP:
        assignee.hover()
        assert tooltip(assignee) == ann.email
    tab.axe("people in the task list")

    # The header: the signed-in person.
    owner_name = owner.email.split("@", maxsplit=1)[0]
    if width == DESKTOP:  # the header keeps only the avatar's room on a phone
        expect_person(page.get_by_role("banner"), owner.email, owner_name, "O")

    # The board card, the task page (creator, and the comment's author), the members, the audit.
    tab.follow(f"{base}/board")
    expect_person(page.locator(".board"), ann.email, ann_name, "AL")
    tab.follow(f"{base}/tasks/{task['id']}")
    expect_person(page.locator(".comment"), ann.email, ann_name, "AL")
    expect_person(page.get_by_role("main"), owner.email, owner_name, "O")
    tab.follow(f"{base}/members")
    members = page.get_by_role("table", name="Members")
    expect_person(members, ann.email, ann_name, "AL")
    expect_person(members, owner.email, owner_name, "O")
    tab.axe("people in the members")
    tab.follow(f"{base}/audit")
    audit = page.get_by_role("table", name="Audit events, newest first")
    expect_person(audit, ann.email, ann_name, "AL")
    tab.axe("people in the audit log")


def test_defect_7_a_sole_owner_is_told_before_leaving_and_shown_the_way_on(new_tab, people):
    owner, ann, _, workspace = people
    tab = new_tab()
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/members")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "DELETE" else None)

    page.get_by_role("button", name="Leave this workspace").click()
    dialog = page.get_by_role("dialog", name="You are the only owner")
    expect(dialog).to_contain_text("A workspace must keep an owner")
    expect(dialog).to_contain_text("Make another member an owner")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    tab.axe("the sole owner's leave dialog")
    assert sent == []  # nothing tried, nothing refused

    # The way on: make Ann an owner (focus is on her role menu), then leave.
    dialog.get_by_role("button", name="Choose a new owner").click()
    role = page.get_by_role("button", name=f"Role of {ann.email}: Member")
    expect(role).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_role("menuitemradio", name="Owner").click()
    expect(toasts(page)).to_contain_text("is now owner")
    page.get_by_role("button", name="Leave this workspace").click()
    answer(page, "Leave this workspace?", "Leave workspace")
    expect(toasts(page)).to_contain_text("You left the workspace.")


def test_defect_7_alone_in_a_workspace_the_owner_is_offered_to_delete_it(new_tab, app_stack):
    owner = app_stack.new_user("alone")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Solo")
    tab = new_tab(PHONE, "dark")
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/members")
    page.get_by_role("button", name="Leave this workspace").click()
    dialog = page.get_by_role("dialog", name="You are the only owner")
    expect(dialog).to_contain_text("Nobody else is in it")
    expect(dialog.get_by_role("button", name="Choose a new owner")).to_have_count(0)
    dialog.get_by_role("button", name="Delete the workspace…").click()
    answer(page, "Delete Solo?", "Delete workspace")
    expect(toasts(page)).to_contain_text("Deleted “Solo”.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Workspaces")
    assert api.get(f"/workspaces/{workspace['id']}").status_code == 404


def answer(page: Page, dialog: str, button: str) -> None:
    page.get_by_role("dialog", name=dialog).get_by_role("button", name=button).click()


def audit_rows(page: Page) -> Locator:
    return page.get_by_role("table", name="Audit events, newest first").get_by_role("row")


def test_defect_10_the_audit_log_says_what_was_deleted_links_tasks_and_filters(new_tab, app_stack):
    owner = app_stack.new_user("owner")
    # A long address, which the log used to break mid-word.
    long_email = f"a.very.long.local.part.of.an.address-{secrets.token_hex(4)}@example.com"
    colleague = app_stack.user(long_email)
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.add_member(workspace["id"], colleague, "admin")
    theirs = ApiClient(app_stack.api, colleague.access_token)
    kept = api.create_task(workspace["id"], title="Write the brief")
    gone = theirs.create_task(workspace["id"], title="Book the venue")
    assert (
        theirs.delete(
            f"/workspaces/{workspace['id']}/tasks/{gone['id']}", headers={"If-Match": '"1"'}
        ).status_code
        == 204
    )
    # 25 status changes push the older events (and the member's arrival) onto a second page.
    url = f"/workspaces/{workspace['id']}/tasks/{kept['id']}"
    for version in range(1, 26):
        status = "in_progress" if version % 2 else "todo"
        changed = api.patch(url, json={"status": status}, headers={"If-Match": f'"{version}"'})
        assert changed.status_code == 200, changed.text

    tab = new_tab(PHONE, "light")
    base = f"/workspaces/{workspace['id']}/audit"
    page = sign_in(tab, owner.email, owner.password, base)
    rows = audit_rows(page)
    expect(rows).to_have_count(26)
    expect(page.get_by_role("main")).to_contain_text("The latest 25 events.")

    # Older events come in below, and focus goes to the first of them.
    page.get_by_role("button", name="Show older events").click()
    expect(rows).to_have_count(1 + 25 + 6)
    expect(page.locator("tr.audit-first-new")).to_be_focused()
    expect(page.get_by_role("button", name="Show older events")).to_have_count(0)

    # A deletion says what was deleted, and by whom.
    deleted = rows.filter(has_text="Deleted a task")
    expect(deleted).to_have_count(1)
    expect(deleted).to_contain_text("Deleted the task “Book the venue”, with its comments")
    expect(deleted).not_to_contain_text("No field changes")
    who = deleted.locator(".col-who .person-name")
    expect(who).to_have_text(long_email.split("@", maxsplit=1)[0])
    # The name is whole on one line (cut with an ellipsis if it must be), never broken mid-word.
    assert who.evaluate("el => el.getClientRects().length") == 1
    assert who.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"
    # A deleted task is not a link; a task that is there is.
    expect(deleted.get_by_role("link")).to_have_count(0)
    created = rows.filter(has_text="Created a task").filter(has_text="Write the brief")
    expect(created.get_by_role("link", name="Write the brief")).to_have_attribute(
        "href", f"/workspaces/{workspace['id']}/tasks/{kept['id']}"
    )
    tab.axe("the audit log with older events")

    # Filters, in the URL: what, which change, who; the page says what was searched.
    filters = page.get_by_role("search", name="Filter the audit log")
    filters.get_by_label("What").select_option(label="Tasks")
    expect(page).to_have_url(re.compile(r"[?&]what=task"))
    expect(rows).to_have_count(1 + 28)  # 2 created, 25 updated, 1 deleted
    filters.get_by_label("Change").select_option(label="Deleted or removed")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("main")).to_contain_text(
        "1 event of the latest 31 match: that is the whole log."
    )
    filters.get_by_label("Change").select_option(label="Any change")
    filters.get_by_label("Who").select_option(label=long_email)
    expect(page).to_have_url(re.compile(r"[?&]by="))
    # The colleague's own task: created and deleted.
    expect(rows).to_have_count(3)
    tab.axe("the filtered audit log")
    # A reload keeps the filters; they apply to what is loaded, and the page says so.
    page.reload()
    expect(page.get_by_role("main")).to_contain_text(
        "0 events of the latest 25 match. Older events are searched once they are shown."
    )
    expect(audit_rows(page)).to_have_count(0)
    page.get_by_role("button", name="Show older events").click()
    expect(audit_rows(page)).to_have_count(3)
    page.get_by_role("button", name="Clear filters").click()
    expect(audit_rows(page)).to_have_count(32)

    # Following a task's link opens it.
    audit_rows(page).filter(has_text="Updated a task").first.get_by_role(
        "link", name="Write the brief"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write the brief")
