"""Organising work (issue 22): labels created and coloured inline and applied from the list, the
board and the task page; filters by status and priority sets, label and search, in the URL;
priority shown, changed and sorted; quick add's short syntax and its preview; safe Markdown; and
the defects 1, 3, 4, 5 and 8 of the issue, one test each (each fails with its defect put back)."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    Tab,
    expect_titles,
    filter_summary,
    set_filter,
    sign_in,
    task_links,
    toasts,
)
from tests.support.http import ApiClient


def day(offset: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


def gb(iso: str) -> str:
    """A day as the app writes it in an en-GB browser: "24 Dec 2026"."""
    date = datetime.date.fromisoformat(iso)
    return f"{date.day} {date.strftime('%b')} {date.year}"


@pytest.fixture
def shop(app_stack):
    """An owner and a member of a workspace with two labels and four tasks."""
    owner = app_stack.new_user("organiser")
    member = app_stack.new_user("helper")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Shop")
    api.add_member(workspace["id"], member, "member")
    labels = {}
    for name, color in [("Bug", "red"), ("Design", "purple")]:
        response = api.post(
            f"/workspaces/{workspace['id']}/labels", json={"name": name, "color": color}
        )
        assert response.status_code == 201, response.text
        labels[name] = response.json()
    tasks = {
        title: api.create_task(workspace["id"], title=title, **fields)
        for title, fields in [
            (
                "Fix the checkout",
                {"priority": "urgent", "labels": [labels["Bug"]["id"]], "due_date": day(2)},
            ),
            ("Redesign the logo", {"priority": "low", "labels": [labels["Design"]["id"]]}),
            ("Réunion hebdomadaire", {"status": "in_progress", "priority": "high"}),
            ("Archive old orders", {"status": "done"}),
        ]
    }
    return owner, member, api, workspace, labels, tasks


def open_tasks(tab: Tab, shop, query: str = "") -> Page:
    owner, _, _, workspace, _, _ = shop
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}{query}")
    expect(page.get_by_role("heading", level=2, name="Tasks")).to_be_visible()
    tab.settled()
    return page


def row(page: Page, title: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=title))


def task_of(api, workspace, task) -> dict:
    return api.get(f"/workspaces/{workspace['id']}/tasks/{task['id']}").json()


# -- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_labels_created_inline_and_applied_from_list_board_and_task_page(new_tab, shop, width):
    _, _, api, workspace, labels, tasks = shop
    tab = new_tab(width)
    page = open_tasks(tab, shop)
    # Shown on the rows, with their names (the colour is never the only sign).
    expect(row(page, "Fix the checkout")).to_contain_text("Bug")

    # From the list: create a label with its colour, inline, and apply several.
    row(page, "Redesign the logo").get_by_role("button", name="Labels of Redesign the logo").click()
    picker = page.get_by_role("group", name="Labels of Redesign the logo")
    expect(picker.get_by_role("checkbox", name="Design")).to_be_checked()
    picker.get_by_label("New label").fill("Marketing")
    picker.get_by_label("Colour").select_option(label="Green")
    picker.get_by_role("button", name="Create label").click()
    expect(picker.get_by_role("checkbox", name="Marketing")).to_be_checked()
    picker.get_by_role("checkbox", name="Bug").check()
    tab.axe("the label picker")
    page.keyboard.press("Escape")
    expect(
        row(page, "Redesign the logo").get_by_role("button", name="Labels of Redesign the logo")
    ).to_be_focused()
    expect(row(page, "Redesign the logo")).to_contain_text("Design")
    expect(row(page, "Redesign the logo")).to_contain_text("Marketing")
    created = {
        label["name"]: label
        for label in api.get(f"/workspaces/{workspace['id']}/labels").json()["items"]
    }
    assert created["Marketing"]["color"] == "green"
    wanted = {labels["Design"]["id"], created["Marketing"]["id"], labels["Bug"]["id"]}
    for _ in range(40):
        if set(task_of(api, workspace, tasks["Redesign the logo"])["labels"]) == wanted:
            break
        page.wait_for_timeout(100)
    assert set(task_of(api, workspace, tasks["Redesign the logo"])["labels"]) == wanted

    # From the board: a card shows its labels, and takes one more.
    page.get_by_role("link", name="Board").click()
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="Réunion hebdomadaire")
    )
    card.get_by_role("button", name="Labels of Réunion hebdomadaire").click()
    page.get_by_role("group", name="Labels of Réunion hebdomadaire").get_by_role(
        "checkbox", name="Marketing"
    ).check()
    page.keyboard.press("Escape")
    expect(card).to_contain_text("Marketing")
    card_fix = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="Fix the checkout")
    )
    expect(card_fix).to_contain_text("Bug")

    # From the task page.
    card_fix.get_by_role("link", name="Fix the checkout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fix the checkout")
    page.get_by_role("button", name=re.compile("Bug")).click()
    page.get_by_role("group", name="Choose labels").get_by_role("checkbox", name="Design").check()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save changes").click()
    expect(toasts(page)).to_contain_text("Saved.")
    assert task_of(api, workspace, tasks["Fix the checkout"])["labels"] == [
        labels["Bug"]["id"],
        labels["Design"]["id"],
    ]
    assert tab.sideways_overflow() == 0


# -- filters, search and sort, in the URL -------------------------------------------------------


def test_filters_search_and_sort_live_in_the_url(new_tab, shop):
    _, _, _, _, labels, _ = shop
    tab = new_tab()
    page = open_tasks(tab, shop)
    expect(task_links(page)).to_have_count(4)

    # Status as a set.
    set_filter(page, "Status", ["To do", "In progress"])
    expect(page).to_have_url(re.compile(r"status=todo%2Cin_progress|status=todo,in_progress"))
    expect(task_links(page)).to_have_count(3)
    expect(filter_summary(page, "Status")).to_have_text("To do, In progress")
    # Priority as a set.
    set_filter(page, "Priority", ["Urgent", "High"])
    expect_titles(page, ["Réunion hebdomadaire", "Fix the checkout"])
    # A label.
    page.get_by_role("search", name="Filter tasks").get_by_label("Label").select_option(label="Bug")
    expect_titles(page, ["Fix the checkout"])
    expect(page).to_have_url(re.compile(f"label={labels['Bug']['id']}"))

    # Back undoes one choice at a time; Forward redoes it.
    page.go_back()
    expect_titles(page, ["Réunion hebdomadaire", "Fix the checkout"])
    expect(page.get_by_role("search", name="Filter tasks").get_by_label("Label")).to_have_value("")
    page.go_back()
    expect(task_links(page)).to_have_count(3)
    expect(filter_summary(page, "Priority")).to_have_text("Any priority")
    page.go_forward()
    page.go_forward()
    expect_titles(page, ["Fix the checkout"])

    # Search: `/` focuses it; results follow typing (word prefix, case and accents ignored).
    page.get_by_role("button", name="Clear filters").first.click()
    expect(task_links(page)).to_have_count(4)
    page.get_by_role("heading", level=1).click()
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_focused()
    search.press_sequentially("reu", delay=40)
    expect_titles(page, ["Réunion hebdomadaire"])
    expect(page).to_have_url(re.compile(r"q=reu"))
    search.fill("heck")
    expect(page.get_by_text("No task matches “heck” with these filters.")).to_be_visible()
    search.fill("che")
    expect_titles(page, ["Fix the checkout"])

    # Sort by priority, highest first; a pasted link restores everything.
    search.fill("")
    expect(task_links(page)).to_have_count(4)
    page.get_by_role("search", name="Filter tasks").get_by_label("Sort").select_option(
        label="Priority, highest first"
    )
    expect_titles(
        page,
        ["Fix the checkout", "Réunion hebdomadaire", "Redesign the logo", "Archive old orders"],
    )
    set_filter(page, "Status", ["To do", "In progress"])
    url = page.url
    other = new_tab()
    owner = shop[0]
    shared = sign_in(other, owner.email, owner.password, url.removeprefix(other.base_url))
    expect_titles(shared, ["Fix the checkout", "Réunion hebdomadaire", "Redesign the logo"])
    expect(filter_summary(shared, "Status")).to_have_text("To do, In progress")
    expect(shared.get_by_role("search", name="Filter tasks").get_by_label("Sort")).to_have_value(
        "-priority"
    )
    tab.axe("the filtered list")


# -- priority ----------------------------------------------------------------------------------


def test_priority_is_shown_and_changed_on_list_board_and_task_page(new_tab, shop):
    _, _, api, workspace, _, tasks = shop
    tab = new_tab()
    page = open_tasks(tab, shop)
    button = page.get_by_role("button", name="Priority of Redesign the logo: Low")
    button.click()
    page.get_by_role("menuitemradio", name="High").click()
    expect(toasts(page)).to_contain_text("“Redesign the logo” is now High.")
    assert task_of(api, workspace, tasks["Redesign the logo"])["priority"] == "high"

    page.get_by_role("link", name="Board").click()
    page.get_by_role("button", name="Priority of Archive old orders: No priority").click()
    page.get_by_role("menuitemradio", name="Medium").click()
    expect(toasts(page)).to_contain_text("“Archive old orders” is now Medium.")
    assert task_of(api, workspace, tasks["Archive old orders"])["priority"] == "medium"

    page.get_by_role("link", name="Archive old orders").click()
    expect(page.get_by_label("Priority")).to_have_value("medium")
    page.get_by_label("Priority").select_option(label="Urgent")
    page.get_by_role("button", name="Save changes").click()
    expect(toasts(page)).to_contain_text("Saved.")
    assert task_of(api, workspace, tasks["Archive old orders"])["priority"] == "urgent"


# -- quick add's short syntax -------------------------------------------------------------------


def test_quick_add_shows_what_it_understood_before_saving(new_tab, shop):
    _, member, api, workspace, labels, _ = shop
    tab = new_tab()
    page = open_tasks(tab, shop)
    name = member.email.split("@")[0]
    box = page.get_by_label("New task")
    box.fill(f"Call the printer tomorrow @{name} #bug #design !2")
    preview = page.locator("#quick-add-preview")
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    expect(preview).to_contain_text("Will add “Call the printer”")
    expect(preview).to_contain_text(
        f"Due {tomorrow.strftime('%A')} {tomorrow.day} {tomorrow.strftime('%B')} {tomorrow.year}"
    )
    expect(preview).to_contain_text(f"Assigned to {member.email}")
    expect(preview).to_contain_text("Priority High")
    expect(preview).to_contain_text("Bug")
    expect(preview).to_contain_text("Design")
    expect(box).to_have_attribute("aria-describedby", re.compile("quick-add-preview"))
    tab.axe("quick add's preview")
    page.get_by_role("button", name="Add task").click()
    expect(toasts(page)).to_contain_text("Added “Call the printer”.")
    saved = next(
        t
        for t in api.get(f"/workspaces/{workspace['id']}/tasks").json()["items"]
        if t["title"] == "Call the printer"
    )
    assert saved["due_date"] == tomorrow.isoformat()
    assert saved["assignee_id"] == member.user_id
    assert saved["priority"] == "high"
    assert saved["labels"] == [labels["Bug"]["id"], labels["Design"]["id"]]

    # What it does not understand stays in the title, and it says why.
    box.fill("Close #4711 for @nobody-here")
    expect(preview).to_contain_text("No label #4711 in this workspace: it stays in the title.")
    expect(preview).to_contain_text("Nobody in this workspace is @nobody-here")
    page.get_by_role("button", name="Add task").click()
    expect(toasts(page)).to_contain_text("the last “Close #4711 for @nobody-here”.")


# -- Markdown ----------------------------------------------------------------------------------


def test_descriptions_and_comments_render_safe_markdown(new_tab, shop):
    owner, _, api, workspace, _, tasks = shop
    task = tasks["Fix the checkout"]
    description = (
        "Steps:\n\n- open **the cart**\n- see [the log](https://example.com/log?a=1&b=2)\n\n"
        '<script>window.pwned=1</script> <img src=x onerror="window.pwned=2"> '
        "[click](javascript:window.pwned=3) `code`"
    )
    response = api.patch(
        f"/workspaces/{workspace['id']}/tasks/{task['id']}",
        json={"description": description},
        headers={"If-Match": f'"{task["version"]}"'},
    )
    assert response.status_code == 200, response.text
    comment = (
        "Also see https://example.org/x and [mail](mailto:a@example.com) and [x](data:text/html,hi)"
    )
    assert (
        api.post(
            f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments", json={"body": comment}
        ).status_code
        == 201
    )
    tab = new_tab()
    page = sign_in(
        tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/tasks/{task['id']}"
    )
    shown = page.locator(".description")
    expect(shown.get_by_role("listitem")).to_have_count(2)
    expect(shown.locator("strong")).to_have_text("the cart")
    link = shown.get_by_role("link", name="the log")
    expect(link).to_have_attribute("href", "https://example.com/log?a=1&b=2")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    # HTML is shown as text; a javascript: link is no link.
    expect(shown).to_contain_text("<script>window.pwned=1</script>")
    expect(shown).to_contain_text("[click](javascript:window.pwned=3)")
    expect(shown.locator("script, img")).to_have_count(0)
    expect(shown.get_by_role("link")).to_have_count(1)
    thread = page.locator(".comment-body")
    expect(thread.get_by_role("link", name="https://example.org/x")).to_have_attribute(
        "href", "https://example.org/x"
    )
    expect(thread.get_by_role("link", name="mail")).to_have_attribute(
        "href", "mailto:a@example.com"
    )
    expect(thread.get_by_role("link")).to_have_count(2)
    assert page.evaluate("() => window.pwned") is None
    tab.axe("Markdown on the task page")


# -- defect 1: My tasks opens on open work ------------------------------------------------------


def test_defect_1_my_tasks_shows_open_work_first(new_tab, app_stack):
    me = app_stack.new_user("busy")
    api = ApiClient(app_stack.api, me.access_token)
    workspace = api.create_workspace("Ops")
    for n in range(12):
        api.create_task(
            workspace["id"],
            title=f"Old done {n}",
            status="done",
            due_date=day(-60 + n),
            assignee_id=me.user_id,
        )
    api.create_task(
        workspace["id"], title="Renew the certificate", due_date=day(-2), assignee_id=me.user_id
    )
    api.create_task(
        workspace["id"],
        title="Plan the sprint",
        status="in_progress",
        due_date=day(3),
        assignee_id=me.user_id,
    )
    tab = new_tab(PHONE)
    page = sign_in(tab, me.email, me.password)
    mine = "Tasks assigned to you"
    expect_titles(page, ["Renew the certificate", "Plan the sprint"], mine)
    overdue = page.get_by_role("link", name="Renew the certificate")
    expect(overdue).to_be_in_viewport()
    expect(page.get_by_role("radio", name="Open (to do, in progress)")).to_be_checked()
    # Done is one click away, and in the URL.
    page.get_by_role("radio", name="Done").check()
    expect(page).to_have_url(re.compile(r"\?status=done$"))
    expect(task_links(page, mine)).to_have_count(12)
    page.go_back()
    expect_titles(page, ["Renew the certificate", "Plan the sprint"], mine)
    page.get_by_role("radio", name="All").check()
    expect(task_links(page, mine)).to_have_count(14)
    tab.axe("My tasks")


# -- defect 3: a card moved on a phone does not drag the page along ------------------------------


def test_defect_3_moving_a_card_on_a_phone_keeps_the_page_where_it_is(new_tab, app_stack):
    owner = app_stack.new_user("mover")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Board")
    for n in range(8):
        api.create_task(workspace["id"], title=f"Card {n}", due_date=day(n))
    tab = new_tab(PHONE)
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/board")
    first = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Card 0"))
    expect(first).to_be_visible()
    first.scroll_into_view_if_needed()
    before = page.evaluate("() => scrollY")
    first.get_by_role("button", name="Move Card 0 to In progress").click()
    expect(toasts(page)).to_contain_text("Moved “Card 0” to In progress.")
    page.wait_for_timeout(300)
    after = page.evaluate("() => scrollY")
    assert abs(after - before) < 150, f"the page jumped from {before} to {after}"
    # Focus stays where the user was: on the next card of the column, in sight.
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused == "Card 1"
    expect(page.get_by_role("link", name="Card 1")).to_be_in_viewport()


# -- defect 4: nineteen quick adds, a few toasts --------------------------------------------------


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_defect_4_many_quick_adds_merge_their_toasts(new_tab, app_stack, width):
    owner = app_stack.new_user("adder")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Inbox")
    tab = new_tab(width)
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}")
    box = page.get_by_label("New task")
    for n in range(19):
        box.fill(f"Item {n}")
        box.press("Enter")
        expect(box).to_have_value("")
    expect(toasts(page)).to_contain_text("Added 19 tasks, the last “Item 18”.")
    assert toasts(page).locator(".toast").count() <= 3
    region = toasts(page).bounding_box()
    for what in (page.locator("header").first, page.get_by_role("button", name="Add task")):
        box_of = what.bounding_box()
        overlap = (
            region["x"] < box_of["x"] + box_of["width"]
            and box_of["x"] < region["x"] + region["width"]
            and region["y"] < box_of["y"] + box_of["height"]
            and box_of["y"] < region["y"] + region["height"]
        )
        assert not overlap, f"the toasts cover {what}"


# -- defect 5: the conflict panel and the form agree ---------------------------------------------


def test_defect_5_the_conflict_form_shows_their_version(new_tab, shop):
    owner, _, api, workspace, _, tasks = shop
    task = tasks["Redesign the logo"]
    tab = new_tab()
    page = sign_in(
        tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/tasks/{task['id']}"
    )
    expect(page.get_by_text(re.compile(r"Version 1$"))).to_be_visible()
    page.get_by_label("Title").fill("Redesign the logo, in blue")
    # Someone else changes the priority and the title meanwhile.
    response = api.patch(
        f"/workspaces/{workspace['id']}/tasks/{task['id']}",
        json={"priority": "urgent", "title": "Redesign the logo, in green"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200
    page.get_by_role("button", name="Save changes").click()
    panel = page.get_by_role("region", name="Someone else changed this task")
    expect(panel).to_contain_text("Their changes to Priority are kept: the form below shows them.")
    # What the panel says is what the form shows: their priority, their version.
    expect(page.get_by_label("Priority")).to_have_value("urgent")
    expect(page.get_by_text(re.compile(r"Version 2$"))).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Redesign the logo, in blue")
    panel.get_by_role("radio", name=re.compile("Take theirs")).check()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Redesign the logo, in green")
    panel.get_by_role("button", name="Save my changes on their version").click()
    expect(
        page.get_by_text("Nothing left to save: the task already has the values you chose.")
    ).to_be_visible()


# -- defect 8: one date format, the user's ------------------------------------------------------


def test_defect_8_one_date_format_from_the_locale(new_tab, shop, browser, app_stack):
    owner, _, api, workspace, _, tasks = shop
    task = tasks["Fix the checkout"]
    tab = new_tab()
    page = sign_in(
        tab, owner.email, owner.password, f"/workspaces/{workspace['id']}/tasks/{task['id']}"
    )
    due = page.get_by_label("Due date")
    expect(due).to_have_value(gb(day(2)))
    assert page.locator("input[type=date]").count() == 0
    due.fill("dec 24")
    expect(page.locator("#task-due-hint")).to_contain_text("Understood: ")
    due.fill("12/24/2026")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("“12/24/2026” is not a date: write it as 24 Dec 2026")).to_be_visible()
    due.fill("24/12/2026")
    page.get_by_role("button", name="Save changes").click()
    expect(toasts(page)).to_contain_text("Saved.")
    expect(due).to_have_value("24 Dec 2026")
    assert task_of(api, workspace, task)["due_date"] == "2026-12-24"

    # A browser in US English reads and writes month first, everywhere on the page.
    context = browser.new_context(viewport={"width": DESKTOP, "height": 900}, locale="en-US")
    us = Tab(context, app_stack.base_url, DESKTOP, "light")
    try:
        page = sign_in(
            us, owner.email, owner.password, f"/workspaces/{workspace['id']}/tasks/{task['id']}"
        )
        due = page.get_by_label("Due date")
        expect(due).to_have_value("Dec 24, 2026")
        expect(page.locator(".meta")).to_contain_text(
            re.compile(r"Created [A-Z][a-z]{2} \d{1,2}, \d{4}")
        )
        due.fill("1/2/2027")
        page.get_by_role("button", name="Save changes").click()
        expect(toasts(page)).to_contain_text("Saved.")
        assert task_of(api, workspace, task)["due_date"] == "2027-01-02"
        expect(due).to_have_value("Jan 2, 2027")
    finally:
        context.close()
