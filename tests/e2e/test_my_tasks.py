"""My tasks, where a signed-in person lands: what is assigned to them in every workspace where
they are a member now, earliest due first, overdue and due soon at a glance."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from tests.e2e.conftest import (
    choose_status,
    expect_titles,
    sign_in,
    status_button,
    toasts,
)
from tests.support.http import ApiClient

MINE = "Tasks assigned to you"


def day(offset: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


def test_my_tasks_across_workspaces_earliest_due_first(tab, app_stack):
    me = app_stack.new_user("me")
    boss = app_stack.new_user("boss")
    api = ApiClient(app_stack.api, boss.access_token)
    launch = api.create_workspace("Launch plan")
    hiring = api.create_workspace("Hiring")
    left = api.create_workspace("Old project")
    for workspace, role in ((launch, "member"), (hiring, "viewer"), (left, "member")):
        api.add_member(workspace["id"], me, role)
    for workspace, title, due in [
        (launch, "Book the venue", day(1)),
        (hiring, "Read the CVs", day(-2)),
        (launch, "Someday", None),
        (hiring, "Plan interviews", day(9)),
        (left, "Forgotten", day(-5)),
    ]:
        api.create_task(workspace["id"], title=title, due_date=due, assignee_id=me.user_id)
    api.create_task(launch["id"], title="Not mine", due_date=day(0))
    # A workspace I leave takes its tasks out of my list.
    assert api.delete(f"/workspaces/{left['id']}/members/{me.user_id}").status_code == 204

    page = sign_in(tab, me.email, me.password)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("My tasks")
    expect(heading).to_be_focused()
    expect(page.get_by_role("link", name="My tasks")).to_have_attribute("aria-current", "page")
    expect_titles(page, ["Read the CVs", "Book the venue", "Plan interviews", "Someday"], MINE)
    rows = page.get_by_role("table", name=MINE).get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Hiring")
    expect(rows.nth(1)).to_contain_text("2 days overdue")
    expect(rows.nth(2)).to_contain_text("Launch plan")
    expect(rows.nth(2)).to_contain_text("Due tomorrow")
    expect(page.get_by_text("1 task overdue")).to_be_visible()
    expect(page.get_by_text("1 task due soon")).to_be_visible()

    # I am a member in Launch plan (I may change the status) and a viewer in Hiring (I may not).
    expect(status_button(page, "Read the CVs")).to_have_count(0)
    choose_status(page, "Book the venue", "Done")
    expect(toasts(page)).to_contain_text("“Book the venue” is now Done.")
    tasks = ApiClient(app_stack.api, me.access_token).get(f"/workspaces/{launch['id']}/tasks")
    assert {t["title"]: t["status"] for t in tasks.json()["items"]}["Book the venue"] == "done"
    # Done work is not due soon any more.
    expect(page.get_by_text("1 task due soon")).to_have_count(0)

    # The status filter is in the URL.
    page.get_by_role("search", name="Filter my tasks").get_by_label("Status").select_option(
        label="Done"
    )
    expect(page).to_have_url(re.compile(r"/\?status=done$"))
    expect_titles(page, ["Book the venue"], MINE)
    page.reload()
    expect_titles(page, ["Book the venue"], MINE)


def test_nothing_assigned_says_where_to_go(tab, app_stack):
    me = app_stack.new_user("idle")
    page = sign_in(tab, me.email, me.password)
    expect(page.get_by_text("Nothing is assigned to you.")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Go to your workspaces").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workspaces")
