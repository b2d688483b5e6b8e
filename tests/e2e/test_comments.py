"""Comments on the task page: a thread, oldest first, that members write, edit and delete (their
own; admins and owners delete any) with the ETags the API asks for, that viewers read, with
@mentions chosen from the workspace's members, limits checked before anything is sent, and the
count on the task list and the board."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, sign_in, toasts
from tests.support.http import ApiClient


@pytest.fixture
def thread(app_stack):
    owner = app_stack.new_user("owner")
    member = app_stack.new_user("member")
    viewer = app_stack.new_user("viewer")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.add_member(workspace["id"], member, "member")
    api.add_member(workspace["id"], viewer, "viewer")
    task = api.create_task(workspace["id"], title="Write the brief")
    path = f"/workspaces/{workspace['id']}/tasks/{task['id']}"
    api.post(f"{path}/comments", json={"body": "First."}).raise_for_status()
    return owner, member, viewer, api, workspace, task, path


@pytest.mark.parametrize("width", [1440, PHONE])
def test_members_write_edit_and_delete_their_comments(new_tab, thread, width):
    owner, member, _, api, workspace, task, path = thread
    tab = new_tab(width)
    page = sign_in(tab, member.email, member.password, path)
    comments = page.get_by_role("list", name="Comments, oldest first")
    expect(comments.get_by_role("listitem")).to_have_count(1)
    expect(comments.get_by_role("listitem").first).to_contain_text(owner.email)
    expect(page.get_by_role("heading", name=re.compile("^Comments"))).to_contain_text("1")
    # Someone else's comment: a member may neither edit nor delete it.
    expect(comments.get_by_role("button")).to_have_count(0)

    # Nothing is sent that the API would refuse: empty, or over 5,000 characters.
    box = page.get_by_label("Add a comment")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(re.compile("Write something first."))
    expect(box).to_be_focused()
    box.fill("x" * 5003)
    expect(page.get_by_text("5,003 / 5,000")).to_be_visible()
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(box).to_have_accessible_description(
        re.compile("A comment can be at most 5,000 characters: remove 3 characters.")
    )

    # A mention chosen with the pointer.
    box.fill("Agreed. ")
    box.press_sequentially(f"@{owner.email[:5]}")
    page.get_by_role("listbox", name="Members to mention").get_by_role(
        "option", name=owner.email
    ).click()
    expect(box).to_have_value(f"Agreed. @{owner.email} ")
    expect(box).to_be_focused()
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(toasts(page)).to_contain_text("Comment added.")
    expect(comments.get_by_role("listitem")).to_have_count(2)
    mine = comments.get_by_role("listitem").nth(1)
    expect(mine).to_contain_text("You")
    expect(mine.locator(".mention")).to_have_text(f"@{owner.email}")
    tab.axe("a thread with the member's own comment")

    # Edit: Escape gives up; Save sends If-Match and marks the comment edited.
    mine.get_by_role("button", name=re.compile("^Edit your comment")).click()
    edit = page.get_by_role("textbox", name="Edit your comment")
    expect(edit).to_be_focused()
    edit.fill("Agreed, with numbers.")
    edit.press("Escape")
    expect(edit).to_have_count(0)
    expect(mine).to_be_focused()
    expect(mine).to_contain_text(f"Agreed. @{owner.email}")
    mine.get_by_role("button", name=re.compile("^Edit your comment")).click()
    edit.fill("Agreed, with numbers.")
    with page.expect_request(lambda r: r.method == "PATCH") as sent:
        page.get_by_role("button", name="Save comment").click()
    assert sent.value.headers["if-match"] == '"1"'
    assert sent.value.post_data_json == {"body": "Agreed, with numbers.", "mentions": []}
    expect(toasts(page)).to_contain_text("Comment saved.")
    expect(mine).to_contain_text("Agreed, with numbers.")
    expect(mine).to_contain_text("(edited)")

    # Changed in another tab meanwhile: the save says so, keeps the text, and a second save wins.
    comments_url = f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments"
    own = ApiClient(api.base_url, member.access_token)
    [_, comment] = own.get(comments_url).json()["items"]
    mine.get_by_role("button", name=re.compile("^Edit your comment")).click()
    edit.fill("Third thoughts.")
    elsewhere = own.patch(
        f"{comments_url}/{comment['id']}",
        json={"body": "Second thoughts."},
        headers={"If-Match": '"2"'},
    )
    assert elsewhere.status_code == 200, elsewhere.text
    page.get_by_role("button", name="Save comment").click()
    expect(page.get_by_role("form", name="Edit comment").get_by_role("alert")).to_contain_text(
        "changed in another tab or window"
    )
    expect(edit).to_have_value("Third thoughts.")
    page.get_by_role("button", name="Save comment").click()
    expect(mine).to_contain_text("Third thoughts.")
    assert own.get(f"{comments_url}").json()["items"][1]["body"] == "Third thoughts."

    # Delete, after a confirmation.
    mine.get_by_role("button", name=re.compile("^Delete your comment")).click()
    page.get_by_role("dialog", name="Delete this comment?").get_by_role(
        "button", name="Delete comment"
    ).click()
    expect(toasts(page)).to_contain_text("Comment deleted.")
    expect(comments.get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("heading", name=re.compile("^Comments"))).to_be_focused()


def test_owners_delete_any_comment_viewers_only_read_and_counts_show(new_tab, thread):
    owner, member, viewer, api, workspace, task, path = thread
    ApiClient(api.base_url, member.access_token).post(
        f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments", json={"body": "Mine."}
    ).raise_for_status()

    reader = new_tab()
    page = sign_in(reader, viewer.email, viewer.password, path)
    expect(
        page.get_by_role("list", name="Comments, oldest first").get_by_role("listitem")
    ).to_have_count(2)
    expect(page.get_by_text("Viewers can read the comments, but not write them.")).to_be_visible()
    expect(page.get_by_label("Add a comment")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Edit|Delete) "))).to_have_count(0)

    tab = new_tab()
    page = sign_in(tab, owner.email, owner.password, path)
    theirs = page.get_by_role("list", name="Comments, oldest first").get_by_role("listitem").nth(1)
    # An owner deletes anyone's comment, and edits only their own.
    expect(theirs.get_by_role("button", name=re.compile("^Edit"))).to_have_count(0)
    theirs.get_by_role("button", name=f"Delete the comment by {member.email}", exact=False).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete comment").click()
    expect(toasts(page)).to_contain_text("Comment deleted.")

    # The count: on the list's row and on the board's card.
    page.get_by_role("link", name="Launch plan").click()
    row = page.get_by_role("row").filter(has_text="Write the brief")
    expect(row).to_contain_text("1 comment")
    page.get_by_role("link", name="Board").click()
    card = page.get_by_role("listitem").filter(has_text="Write the brief")
    expect(card).to_contain_text("1 comment")
