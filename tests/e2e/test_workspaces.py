"""Workspaces in the browser: create, list with paging, rename, delete, a 412 on rename, and
where focus goes after each of them (never to the page's body)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in, toasts
from tests.support.http import ApiClient


def test_create_rename_and_delete_a_workspace(tab, app_stack):
    user = app_stack.new_user("owner")
    page = sign_in(tab, user.email, user.password, "/workspaces")
    heading = page.get_by_role("heading", level=1)
    expect(page.get_by_text("You have no workspaces yet")).to_be_visible()

    page.get_by_label("New workspace name").fill("Launch plan")
    page.get_by_role("button", name="Create workspace").click()
    expect(heading).to_have_text("Launch plan")
    expect(heading).to_be_focused()
    expect(page.get_by_text("Your role Owner")).to_be_visible()

    page.get_by_role("link", name="Workspaces").first.click()
    expect(heading).to_have_text("Workspaces")
    expect(page.get_by_role("link", name="Launch plan")).to_be_visible()

    # Rename: the field has focus; Escape cancels and gives focus back to Rename.
    rename = page.get_by_role("button", name="Rename Launch plan")
    rename.click()
    field = page.get_by_label("New name for Launch plan")
    expect(field).to_be_focused()
    field.fill("Something else")
    field.press("Escape")
    expect(field).to_have_count(0)
    expect(rename).to_be_focused()
    # Cancel does the same.
    rename.click()
    page.get_by_role("button", name="Cancel").click()
    expect(rename).to_be_focused()
    # Saving focuses the renamed workspace's link.
    rename.click()
    page.get_by_label("New name for Launch plan").fill("Launch plan 2027")
    page.get_by_role("button", name="Save name").click()
    expect(toasts(page)).to_contain_text("Renamed “Launch plan” to “Launch plan 2027”.")
    expect(page.get_by_role("link", name="Launch plan 2027")).to_be_focused()
    api = ApiClient(app_stack.api, user.access_token)
    [workspace] = api.get("/workspaces").json()["items"]
    assert (workspace["name"], workspace["version"]) == ("Launch plan 2027", 2)

    # Delete asks first, in a dialog that is announced, starts on Cancel and closes on Escape.
    delete = page.get_by_role("button", name="Delete Launch plan 2027")
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete Launch plan 2027?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    delete.click()
    dialog.get_by_role("button", name="Delete workspace").click()
    expect(toasts(page)).to_contain_text("Deleted “Launch plan 2027”.")
    expect(page.get_by_text("You have no workspaces yet")).to_be_visible()
    expect(page.get_by_role("heading", name="Your workspaces")).to_be_focused()
    assert api.get(f"/workspaces/{workspace['id']}").status_code == 404


def test_workspaces_are_paged(tab, app_stack):
    user = app_stack.new_user("busy")
    api = ApiClient(app_stack.api, user.access_token)
    for n in range(27):
        api.create_workspace(f"Workspace {n:02d}")
    page = sign_in(tab, user.email, user.password, "/workspaces")
    cards = page.get_by_role("list", name="Your workspaces").get_by_role("listitem")
    expect(cards).to_have_count(25)
    expect(page.get_by_text("Page 1")).to_be_visible()
    expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(cards).to_have_count(2)
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    expect(page.get_by_role("heading", name="Your workspaces")).to_be_focused()
    seen_second = set(cards.all_inner_texts())
    page.get_by_role("button", name="Previous page").click()
    expect(cards).to_have_count(25)
    seen_first = set(cards.all_inner_texts())
    assert not seen_first & seen_second


def test_a_rename_that_lost_a_race_says_so_and_reloads(tab, app_stack):
    user = app_stack.new_user("racer")
    api = ApiClient(app_stack.api, user.access_token)
    workspace = api.create_workspace("Original")
    page = sign_in(tab, user.email, user.password, "/workspaces")
    expect(page.get_by_role("link", name="Original")).to_be_visible()

    # Someone else renames it after this page loaded it.
    changed = api.patch(
        f"/workspaces/{workspace['id']}", json={"name": "Theirs"}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200

    page.get_by_role("button", name="Rename Original").click()
    page.get_by_label("New name for Original").fill("Mine")
    page.get_by_role("button", name="Save name").click()
    alert = page.get_by_role("main").get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed this workspace.")
    expect(alert).to_contain_text("Request id:")
    alert.get_by_role("button", name="Reload").click()
    expect(page.get_by_role("link", name="Theirs")).to_be_visible()
    assert api.get(f"/workspaces/{workspace['id']}").json()["name"] == "Theirs"


def test_unknown_and_deleted_workspaces_lead_somewhere(tab, app_stack):
    user = app_stack.new_user("lost")
    api = ApiClient(app_stack.api, user.access_token)
    page = sign_in(tab, user.email, user.password, "/workspaces/01ARZ3NDEKTSV4RRFFQ69G5FAV")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Workspace not found")
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)

    # A workspace deleted by someone else while it is open: the next refresh says so, and
    # offers a way out instead of "Try again".
    workspace = api.create_workspace("Doomed")
    tab.goto(f"/workspaces/{workspace['id']}")
    expect(heading).to_have_text("Doomed")
    deleted = api.delete(f"/workspaces/{workspace['id']}", headers={"If-Match": '"1"'})
    assert deleted.status_code == 204
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(heading).to_have_text("Workspace not found")
    main = page.get_by_role("main")
    expect(main.get_by_role("alert")).to_contain_text("or you are no longer a member of it")
    main.get_by_role("link", name="Go to your workspaces").click()
    expect(heading).to_have_text("Workspaces")

    tab.goto("/no/such/page")
    expect(heading).to_have_text("Page not found")
