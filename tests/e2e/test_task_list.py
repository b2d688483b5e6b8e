"""A workspace's task list: the defects of issue 11 that live there (each test names its defect)
and the list's features: quick add, sort by due date with relative dates, optimistic status
changes with rollback, Undo for deletes, shortcuts."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    REFLOW,
    add_task,
    choose_status,
    expect_titles,
    refuse_changes,
    sign_in,
    status_button,
    task_links,
    toasts,
    wait_for,
)
from tests.support.http import ApiClient

LONG_TITLE = "https://example.com/" + "x" * 180


def day(offset: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


@pytest.fixture
def team(app_stack):
    """An owner with a workspace of three tasks, and a second member."""
    owner = app_stack.new_user("owner")
    member = app_stack.new_user("member")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.add_member(workspace["id"], member, "member")
    tasks = {
        title: api.create_task(workspace["id"], title=title, **fields)
        for title, fields in [
            ("Write the brief", {"status": "done", "due_date": day(-1)}),
            ("Book the venue", {"status": "in_progress", "due_date": day(1)}),
            ("Send the invites", {"due_date": day(-3), "assignee_id": member.user_id}),
        ]
    }
    return owner, member, api, workspace, tasks


def open_list(tab, team) -> Page:
    owner, _, _, workspace, _ = team
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}")
    expect(task_links(page)).to_have_count(3)
    return page


def requests_to(page: Page, method: str, fragment: str) -> list[str]:
    """Records the requests the page makes from now on (method and URL containing `fragment`)."""
    seen: list[str] = []
    page.on(
        "request",
        lambda r: seen.append(r.url) if r.method == method and fragment in r.url else None,
    )
    return seen


# -- defects 1 and 2: long titles, narrow screens ---------------------------------------------


@pytest.mark.parametrize("width", [DESKTOP, PHONE, REFLOW])
def test_defect_1_2_a_long_title_keeps_every_control_on_screen(new_tab, team, width):
    owner, _, api, workspace, _ = team
    task = api.create_task(workspace["id"], title=LONG_TITLE, due_date=day(2))
    tab = new_tab(width)
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}")
    row = page.get_by_role("row").filter(has_text=LONG_TITLE)
    expect(row).to_be_visible()
    assert tab.sideways_overflow() == 0
    for control in (
        status_button(page, LONG_TITLE),
        page.get_by_role("button", name=f"Delete {LONG_TITLE}"),
        row.get_by_text("Due in 2 days"),
        row.get_by_text("Nobody"),
    ):
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
    # The task page and the audit log, with the same title.
    tab.follow(f"/workspaces/{workspace['id']}/tasks/{task['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(LONG_TITLE)
    assert tab.sideways_overflow() == 0
    save = page.get_by_role("button", name="Save changes").bounding_box()
    assert save and save["x"] + save["width"] <= width
    tab.follow(f"/workspaces/{workspace['id']}/audit")
    expect(page.get_by_role("table", name="Audit events, newest first")).to_contain_text(
        LONG_TITLE[:30]
    )
    assert tab.sideways_overflow() == 0


# -- defects 3 and 4: the status control by keyboard, and focus --------------------------------


def test_defect_3_4_status_by_keyboard_saves_only_the_choice_and_keeps_focus(tab, team):
    _, _, api, workspace, tasks = team
    page = open_list(tab, team)
    patches = requests_to(page, "PATCH", "/tasks/")
    control = status_button(page, "Send the invites")
    control.focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu", name="Status of Send the invites")
    expect(menu.get_by_role("menuitemradio", name="To do")).to_be_focused()
    page.keyboard.press("ArrowDown")  # In progress: nothing is saved while moving
    page.keyboard.press("ArrowDown")  # Done
    expect(menu.get_by_role("menuitemradio", name="Done")).to_be_focused()
    assert patches == []
    page.keyboard.press("Enter")
    expect(control).to_have_accessible_name("Status of Send the invites: Done")
    expect(control).to_be_focused()
    expect(toasts(page)).to_contain_text("“Send the invites” is now Done.")
    assert len(patches) == 1
    task = api.get(f"/workspaces/{workspace['id']}/tasks/{tasks['Send the invites']['id']}")
    assert task.json()["status"] == "done"
    # Escape closes the menu without a change, focus back on the button.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(control).to_be_focused()
    assert len(patches) == 1


def test_defect_4_deleting_moves_focus_to_the_next_task(tab, team):
    page = open_list(tab, team)
    page.get_by_role("button", name="Delete Book the venue").click()
    expect(page.get_by_role("link", name="Write the brief")).to_be_focused()
    page.get_by_role("button", name="Delete Write the brief").click()
    expect(page.get_by_role("link", name="Send the invites")).to_be_focused()
    page.get_by_role("button", name="Delete Send the invites").click()
    expect(page.get_by_label("New task")).to_be_focused()


# -- defect 6: a loading sign while a filter's answer is on its way -----------------------------


def test_defect_6_11_filters_show_loading_and_live_in_the_url(new_tab, team):
    tab = new_tab()
    page = open_list(tab, team)
    held: list[Route] = []
    page.route(re.compile(r".*/tasks\?.*status=in_progress.*"), lambda route: held.append(route))  # noqa: PLW0108
    filters = page.get_by_role("search", name="Filter tasks")
    filters.get_by_label("Status").select_option(label="In progress")
    # The old rows stay, marked busy and dimmed, with a loading sign, until the answer comes.
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text("Loading tasks")
    expect(page.get_by_role("table", name="Tasks")).to_have_attribute("aria-busy", "true")
    expect(task_links(page)).to_have_count(3)
    wait_for(page, lambda: held)
    held[0].continue_()
    page.unroute(re.compile(r".*/tasks\?.*status=in_progress.*"))
    expect_titles(page, ["Book the venue"])
    expect(page.get_by_role("table", name="Tasks")).to_have_attribute("aria-busy", "false")

    # Defect 11: the filters are in the URL: a reload, Back and a shared link keep them.
    filters.get_by_label("Sort").select_option(label="Due date, earliest first")
    expect(page).to_have_url(re.compile(r"status=in_progress"))
    expect(page).to_have_url(re.compile(r"sort=due_date"))
    url = page.url
    page.reload()
    expect(filters.get_by_label("Status")).to_have_value("in_progress")
    expect(filters.get_by_label("Sort")).to_have_value("due_date")
    expect_titles(page, ["Book the venue"])
    page.get_by_role("link", name="Book the venue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book the venue")
    page.go_back()
    expect(filters.get_by_label("Status")).to_have_value("in_progress")
    expect_titles(page, ["Book the venue"])
    shared = new_tab()
    owner = team[0]
    shared_page = sign_in(shared, owner.email, owner.password, url.removeprefix(shared.base_url))
    expect(
        shared_page.get_by_role("search", name="Filter tasks").get_by_label("Status")
    ).to_have_value("in_progress")
    expect_titles(shared_page, ["Book the venue"])


# -- defect 7: no call waits forever ----------------------------------------------------------


def test_defect_7_a_hung_request_times_out_and_can_be_retried(tab, team):
    page = tab.page
    page.clock.install()
    open_list(tab, team)
    held: list[Route] = []
    page.route(re.compile(r".*/tasks$"), lambda route: held.append(route))  # noqa: PLW0108
    page.get_by_label("New task").fill("Into the void")
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("button", name="Adding…")).to_be_disabled()
    wait_for(page, lambda: held)
    page.clock.fast_forward(16_000)
    form = page.get_by_role("form", name="Add a task")
    expect(form.get_by_role("alert")).to_contain_text("did not answer within 15 seconds")
    expect(page.get_by_role("button", name="Add task")).to_be_enabled()
    expect(page.get_by_label("New task")).to_have_value("Into the void")
    page.unroute(re.compile(r".*/tasks$"))
    page.get_by_role("button", name="Add task").click()
    expect(toasts(page)).to_contain_text("Added “Into the void”.")

    # A list that never answers: "Loading" ends in an error with Try again.
    page.route(re.compile(r".*/tasks\?.*status=done.*"), lambda route: held.append(route))  # noqa: PLW0108
    page.get_by_role("search", name="Filter tasks").get_by_label("Status").select_option(
        label="Done"
    )
    wait_for(page, lambda: len(held) == 2)
    page.clock.fast_forward(16_000)
    alert = page.get_by_role("main").get_by_role("alert")
    expect(alert).to_contain_text("did not answer within 15 seconds")
    page.unroute(re.compile(r".*/tasks\?.*status=done.*"))
    alert.get_by_role("button", name="Try again").click()
    expect_titles(page, ["Write the brief"])


# -- defect 9: a removed member's tasks --------------------------------------------------------


def test_defect_9_a_removed_members_task_shows_a_former_member(tab, team):
    _, member, api, workspace, tasks = team
    removed = api.delete(f"/workspaces/{workspace['id']}/members/{member.user_id}")
    assert removed.status_code == 204
    page = open_list(tab, team)
    row = page.get_by_role("row", name=re.compile("Send the invites"))
    expect(row).to_contain_text("Former member")
    expect(row).not_to_contain_text(member.user_id)
    # A status change from the list is refused (422 on the assignee) and says what to do.
    control = status_button(page, "Send the invites")
    control.click()
    page.get_by_role("menuitemradio", name="Done").click()
    expect(toasts(page)).to_contain_text("assigned to someone who has left the workspace")
    expect(control).to_have_accessible_name("Status of Send the invites: To do")
    row.get_by_role("link", name="Send the invites").click()
    assignee = page.get_by_label("Assignee")
    expect(assignee).to_have_value(member.user_id)
    expect(assignee.locator("option:checked")).to_have_text(
        "Former member (no longer in this workspace)"
    )
    # The page says why no change can be saved while the leaver is the assignee (the API
    # keeps every task valid as a new one would be) ...
    expect(assignee).to_have_accessible_description(re.compile("choose a member or Nobody"))
    with page.expect_response(lambda r: r.request.method == "PATCH") as refused:
        page.get_by_label("Title").fill("Send the invitations")
        page.get_by_role("button", name="Save changes").click()
    assert refused.value.status == 422
    expect(assignee).to_have_attribute("aria-invalid", "true")
    expect(assignee).to_be_focused()
    expect(toasts(page)).not_to_contain_text("Saved.")
    # ... and the edit is kept until it can be: choosing Nobody saves both changes.
    expect(page.get_by_label("Title")).to_have_value("Send the invitations")
    with page.expect_request(lambda r: r.method == "PATCH") as patch:
        assignee.select_option(label="Nobody")
        page.get_by_role("button", name="Save changes").click()
    assert json.loads(patch.value.post_data) == {
        "title": "Send the invitations",
        "assignee_id": None,
    }
    expect(toasts(page)).to_contain_text("Saved.")
    saved = api.get(f"/workspaces/{workspace['id']}/tasks/{tasks['Send the invites']['id']}")
    assert (saved.json()["title"], saved.json()["assignee_id"]) == ("Send the invitations", None)


# -- defect 10: the title's limit is shown, and a long paste is not cut silently ---------------


def test_defect_10_a_long_paste_is_kept_counted_and_refused_with_a_reason(tab, team):
    page = open_list(tab, team)
    posts = requests_to(page, "POST", "/tasks")
    title = page.get_by_label("New task")
    expect(page.get_by_text("0 / 200")).to_be_visible()
    title.focus()
    page.keyboard.insert_text("y" * 500)  # as a paste does
    expect(title).to_have_value("y" * 500)
    expect(page.get_by_text("500 / 200")).to_be_visible()
    page.get_by_role("button", name="Add task").click()
    expect(
        page.get_by_text("A title can be at most 200 characters: remove 300 characters.")
    ).to_be_visible()
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    assert posts == []
    title.fill("y" * 200)
    expect(title).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Add task").click()
    expect(toasts(page)).to_contain_text("Added")
    assert len(posts) == 1


# -- defect 12: one message at a time, and the truth about hidden tasks -------------------------


def test_defect_12_messages_do_not_contradict_each_other(tab, team):
    page = open_list(tab, team)
    add_task(page, "Order the catering")
    expect(toasts(page).get_by_text("Added “Order the catering”.")).to_be_visible()
    # A failure right after: the earlier success is not left beside it.
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_text("Give the task a title.")).to_be_visible()
    expect(toasts(page).get_by_text("Added “Order the catering”.")).to_have_count(0)

    # A new task that the filters hide says so, and offers to show it.
    page.get_by_role("search", name="Filter tasks").get_by_label("Status").select_option(
        label="Done"
    )
    expect_titles(page, ["Write the brief"])
    add_task(page, "Print the badges", status="To do")
    hidden = toasts(page).get_by_text("Added “Print the badges”. The filters hide it.")
    expect(hidden).to_be_visible()
    expect_titles(page, ["Write the brief"])
    toasts(page).get_by_role("button", name="Clear filters").click()
    expect(task_links(page).first).to_have_text("Print the badges")


# -- defect 13: a task deleted elsewhere --------------------------------------------------------


def test_defect_13_a_task_deleted_elsewhere_is_no_dead_end(tab, team):
    _, _, api, workspace, tasks = team
    page = open_list(tab, team)
    gone = tasks["Book the venue"]
    deleted = api.delete(
        f"/workspaces/{workspace['id']}/tasks/{gone['id']}", headers={"If-Match": '"1"'}
    )
    assert deleted.status_code == 204
    choose_status(page, "Book the venue", "Done")
    expect(toasts(page).get_by_role("alert")).to_contain_text(
        "“Book the venue” was deleted by someone else, so the status change was not saved."
    )
    expect_titles(page, ["Send the invites", "Write the brief"])
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    # Its page, opened from an old link, says what happened and leads back.
    tab.follow(f"/workspaces/{workspace['id']}/tasks/{gone['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Task not found")
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    page.get_by_role("link", name="Back to the tasks of Launch plan").click()
    expect_titles(page, ["Send the invites", "Write the brief"])


# -- defect 14: messages on the field, one date format, one way to write a role ----------------


def test_defect_14_field_messages_one_date_format_and_role_names(tab, team, app_stack):
    owner, _, api, workspace, tasks = team
    page = open_list(tab, team)
    page.get_by_role("button", name="Add task").click()
    title = page.get_by_label("New task")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_accessible_description(re.compile("Give the task a title."))
    # The API's refusal lands on its field: the assignee left while this page was open.
    other = app_stack.new_user("leaving")
    api.add_member(workspace["id"], other, "member")
    tab.follow(f"/workspaces/{workspace['id']}/tasks/{tasks['Write the brief']['id']}")
    assignee = page.get_by_label("Assignee")
    expect(assignee.locator("option", has_text=other.email)).to_have_count(1)
    assignee.select_option(label=other.email)
    api.delete(f"/workspaces/{workspace['id']}/members/{other.user_id}")
    page.get_by_role("button", name="Save changes").click()
    expect(assignee).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Choose someone who is a member of this workspace.")).to_be_visible()
    expect(assignee).to_be_focused()

    # Moments are "1 Dec 2026, 18:05" everywhere; roles are capitalised everywhere.
    moment = re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}")
    expect(page.get_by_text(re.compile("^Created "))).to_contain_text(moment)
    tab.follow(f"/workspaces/{workspace['id']}/members")
    members = page.get_by_role("table", name="Members")
    expect(members.get_by_role("row", name=re.compile(re.escape(owner.email)))).to_contain_text(
        moment
    )
    expect(members).to_contain_text("Owner")
    expect(page.get_by_text("Your role Owner")).to_be_visible()
    tab.follow(f"/workspaces/{workspace['id']}/audit")
    audit = page.get_by_role("table", name="Audit events, newest first")
    expect(audit.get_by_role("row").nth(1)).to_contain_text(moment)
    expect(audit).to_contain_text("Role Member")
    expect(audit).not_to_contain_text(re.compile(r"Role (owner|admin|member|viewer)\b"))


# -- features -----------------------------------------------------------------------------------


def test_sort_by_due_date_with_overdue_and_due_soon_in_words(tab, team):
    _, _, api, workspace, _ = team
    api.create_task(workspace["id"], title="Someday")
    api.create_task(workspace["id"], title="Next month", due_date=day(40))
    owner = team[0]
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}?sort=due_date")
    # Earliest due first, no due date last; overdue work counts only while it is not done.
    expect_titles(
        page,
        ["Send the invites", "Write the brief", "Book the venue", "Next month", "Someday"],
    )
    rows = page.get_by_role("table", name="Tasks").get_by_role("row")
    expect(rows.nth(1)).to_contain_text("3 days overdue")
    expect(rows.nth(2)).to_contain_text("Due yesterday")
    expect(rows.nth(3)).to_contain_text("Due tomorrow")
    expect(rows.nth(5)).to_contain_text("No due date")
    # Colour and words: the overdue chip says it, and the exact date shows on focus.
    overdue = rows.nth(1).get_by_text("3 days overdue")
    expect(overdue).to_have_css("color", re.compile(r"rgb\(180, 35, 24\)"))
    chip = rows.nth(1).locator(".due")
    chip.focus()
    tip = page.get_by_role("tooltip")
    exact = datetime.date.today() - datetime.timedelta(days=3)
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(f"{exact.day} {exact.strftime('%B')} {exact.year}")
    expect(chip).to_have_accessible_description(re.compile(str(exact.year)))


def test_a_refused_status_change_is_rolled_back(tab, team):
    _, _, api, workspace, tasks = team
    page = open_list(tab, team)
    refuse_changes(page, "Try again shortly")
    choose_status(page, "Book the venue", "Done")
    expect(toasts(page).get_by_role("alert")).to_contain_text("Try again shortly")
    expect(status_button(page, "Book the venue")).to_have_accessible_name(
        "Status of Book the venue: In progress"
    )
    task = api.get(f"/workspaces/{workspace['id']}/tasks/{tasks['Book the venue']['id']}")
    assert task.json()["status"] == "in_progress"


def test_undo_instead_of_are_you_sure(tab, team):
    _, _, api, workspace, tasks = team
    page = tab.page
    page.clock.install()
    open_list(tab, team)
    deletes = requests_to(page, "DELETE", "/tasks/")
    url = f"/workspaces/{workspace['id']}/tasks"

    # Undo: nothing is sent, the task comes back.
    page.get_by_role("button", name="Delete Book the venue").click()
    expect_titles(page, ["Send the invites", "Write the brief"])
    toasts(page).get_by_role("button", name="Undo").click()
    expect_titles(page, ["Send the invites", "Book the venue", "Write the brief"])
    # z undoes the last delete too.
    page.get_by_role("button", name="Delete Send the invites").click()
    page.keyboard.press("z")
    expect_titles(page, ["Send the invites", "Book the venue", "Write the brief"])
    assert deletes == []

    # When the toast ends, the delete is sent.
    page.get_by_role("button", name="Delete Write the brief").click()
    expect(toasts(page)).to_contain_text("Deleted “Write the brief”.")
    page.clock.fast_forward(7000)
    wait_for(page, lambda: deletes)
    expect(toasts(page)).not_to_contain_text("Deleted “Write the brief”.")
    wait_for(page, lambda: api.get(f"{url}/{tasks['Write the brief']['id']}").status_code == 404)

    # Leaving the page sends it at once (keepalive: it outlives the page).
    page.get_by_role("button", name="Delete Book the venue").click()
    tab.goto("/workspaces")
    wait_for(page, lambda: api.get(f"{url}/{tasks['Book the venue']['id']}").status_code == 404)
    assert api.get(f"{url}/{tasks['Send the invites']['id']}").status_code == 200


def test_shortcuts_c_slash_j_k_and_help_never_steal_typing(tab, team):
    page = open_list(tab, team)
    page.get_by_role("heading", level=1).focus()
    page.keyboard.press("c")
    title = page.get_by_label("New task")
    expect(title).to_be_focused()
    page.keyboard.type("cjk/?z")  # typed into the field, not taken as shortcuts
    expect(title).to_have_value("cjk/?z")
    page.get_by_role("heading", level=1).focus()
    page.keyboard.press("/")
    expect(page.get_by_role("search", name="Filter tasks").get_by_label("Status")).to_be_focused()
    page.get_by_role("heading", level=1).focus()
    page.keyboard.press("j")
    expect(page.get_by_role("link", name="Send the invites")).to_be_focused()
    page.keyboard.press("j")
    expect(page.get_by_role("link", name="Book the venue")).to_be_focused()
    page.keyboard.press("k")
    expect(page.get_by_role("link", name="Send the invites")).to_be_focused()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_contain_text("New task")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("link", name="Send the invites")).to_be_focused()
    # Ctrl/Alt combinations stay the browser's.
    page.keyboard.press("Control+k")
    expect(dialog).to_have_count(0)


def test_my_tasks_refreshes_on_focus_and_every_30_seconds(tab, team):
    """My tasks spans workspaces, so no one workspace's changes feed serves it: it reads itself
    again when the tab regains focus and every 30 s while visible. (A workspace's own pages
    follow its feed: test_live.py.)"""
    owner, _, api, workspace, _ = team
    page = tab.page
    page.clock.install()
    page = sign_in(tab, owner.email, owner.password)
    expect(page.get_by_text("Nothing is assigned to you.")).to_be_visible()
    api.create_task(workspace["id"], title="Added elsewhere", assignee_id=owner.user_id)
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(task_links(page, "Tasks assigned to you").first).to_have_text("Added elsewhere")
    api.create_task(
        workspace["id"], title="Added later", assignee_id=owner.user_id, due_date=day(-9)
    )
    page.clock.fast_forward(31_000)
    expect(task_links(page, "Tasks assigned to you").first).to_have_text("Added later")
