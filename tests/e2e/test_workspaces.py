"""Workspaces in the browser: create, list with paging, rename, delete, and a 412 on rename."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.support.http import ApiClient


def test_create_rename_and_delete_a_workspace(tab, app_stack):
    user = app_stack.new_user("owner")
    page = sign_in(tab, user.email, user.password)
    heading = page.get_by_role("heading", level=1)
    expect(page.get_by_text("You have no workspaces yet")).to_be_visible()

    page.get_by_label("New workspace name").fill("Launch plan")
    page.get_by_role("button", name="Create workspace").click()
    expect(heading).to_have_text("Launch plan")
    expect(heading).to_be_focused()
    expect(page.get_by_text("Your role: owner")).to_be_visible()

    page.get_by_role("link", name="Workspaces").first.click()
    expect(heading).to_have_text("Workspaces")
    expect(page.get_by_role("link", name="Launch plan")).to_be_visible()
    tab.screenshot("03-workspaces")

    page.get_by_role("button", name="Rename Launch plan").click()
    page.get_by_label("New name for Launch plan").fill("Launch plan 2027")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("status")).to_have_text("Renamed “Launch plan” to “Launch plan 2027”.")
    expect(page.get_by_role("link", name="Launch plan 2027")).to_be_visible()
    api = ApiClient(app_stack.api, user.access_token)
    [workspace] = api.get("/workspaces").json()["items"]
    assert (workspace["name"], workspace["version"]) == ("Launch plan 2027", 2)

    page.get_by_role("button", name="Delete Launch plan 2027").click()
    page.get_by_role("button", name="Delete workspace").click()
    expect(page.get_by_role("status")).to_have_text("Deleted “Launch plan 2027”.")
    expect(page.get_by_text("You have no workspaces yet")).to_be_visible()
    assert api.get(f"/workspaces/{workspace['id']}").status_code == 404


def test_workspaces_are_paged(tab, app_stack):
    user = app_stack.new_user("busy")
    api = ApiClient(app_stack.api, user.access_token)
    for n in range(27):
        api.create_workspace(f"Workspace {n:02d}")
    page = sign_in(tab, user.email, user.password)
    cards = page.get_by_role("list", name="Your workspaces").get_by_role("listitem")
    expect(cards).to_have_count(25)
    expect(page.get_by_text("Page 1")).to_be_visible()
    expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(cards).to_have_count(2)
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    seen_second = set(cards.all_inner_texts())
    page.get_by_role("button", name="Previous page").click()
    expect(cards).to_have_count(25)
    seen_first = set(cards.all_inner_texts())
    assert not seen_first & seen_second


def test_a_rename_that_lost_a_race_says_so_and_reloads(tab, app_stack):
    user = app_stack.new_user("racer")
    api = ApiClient(app_stack.api, user.access_token)
    workspace = api.create_workspace("Original")
    page = sign_in(tab, user.email, user.password)
    expect(page.get_by_role("link", name="Original")).to_be_visible()

    # Someone else renames it after this page loaded it.
    changed = api.patch(
        f"/workspaces/{workspace['id']}", json={"name": "Theirs"}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200

    page.get_by_role("button", name="Rename Original").click()
    page.get_by_label("New name for Original").fill("Mine")
    page.get_by_role("button", name="Save name").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed this workspace.")
    expect(alert).to_contain_text("Request id:")
    alert.get_by_role("button", name="Reload").click()
    expect(page.get_by_role("link", name="Theirs")).to_be_visible()
    assert api.get(f"/workspaces/{workspace['id']}").json()["name"] == "Theirs"


def test_unknown_workspace_and_page(tab, app_stack):
    user = app_stack.new_user("lost")
    page = sign_in(tab, user.email, user.password)
    tab.goto("/workspaces/01ARZ3NDEKTSV4RRFFQ69G5FAV")
    expect(page.get_by_role("alert")).to_contain_text("not found")
    tab.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
