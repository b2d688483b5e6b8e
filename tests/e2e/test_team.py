"""A team in one workspace, as people would use it: an owner signs up, plans work in tasks,
invites a viewer who accepts and can read but not change anything, removes them again, resolves
an edit conflict, and the audit log shows every step."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

from devstack import users
from tests.e2e.conftest import (
    add_task,
    choose_status,
    expect_titles,
    sign_in,
    sign_up,
    status_button,
    task_links,
    toasts,
)
from tests.support.http import ApiClient
from tests.support.stack import PASSWORD


def test_a_team_works_in_a_workspace(new_tab, app_stack):
    owner_email = f"owner-{secrets.token_hex(4)}@example.com"
    owner = new_tab()
    page = sign_up(owner, owner_email, PASSWORD)
    heading = page.get_by_role("heading", level=1)
    owner_api = ApiClient(
        app_stack.api,
        users.sign_in(app_stack.cognito, app_stack.stack.client_id, owner_email, PASSWORD)[
            "access_token"
        ],
    )

    # A workspace and its tasks.
    page.get_by_role("link", name="Workspaces", exact=True).click()
    page.get_by_label("New workspace name").fill("Launch plan")
    page.get_by_role("button", name="Create workspace").click()
    expect(heading).to_have_text("Launch plan")
    expect(heading).to_be_focused()
    expect(page.get_by_text("No tasks yet.")).to_be_visible()
    add_task(page, "Write the brief", assignee=owner_email, due="2027-03-01", description="Short.")
    add_task(page, "Book the venue", status="In progress")
    add_task(page, "Send the invites")
    expect_titles(page, ["Send the invites", "Book the venue", "Write the brief"])

    # Filters.
    filters = page.get_by_role("search", name="Filter tasks")
    filters.get_by_label("Status").select_option(label="In progress")
    expect_titles(page, ["Book the venue"])
    filters.get_by_label("Status").select_option(label="Any status")
    filters.get_by_label("Assignee").select_option(label=owner_email)
    expect_titles(page, ["Write the brief"])
    filters.get_by_role("button", name="Clear filters").click()
    expect(task_links(page)).to_have_count(3)

    # A status change from the list.
    choose_status(page, "Write the brief", "Done")
    expect(toasts(page)).to_contain_text("“Write the brief” is now Done.")
    [workspace] = owner_api.get("/workspaces").json()["items"]
    tasks_url = f"/workspaces/{workspace['id']}/tasks"
    statuses = {t["title"]: t["status"] for t in owner_api.get(tasks_url).json()["items"]}
    assert statuses == {
        "Write the brief": "done",
        "Book the venue": "in_progress",
        "Send the invites": "todo",
    }

    # A viewer is invited, and joins by accepting.
    viewer = app_stack.new_user("viewer")
    page.get_by_role("link", name="Members").click()
    expect(heading).to_be_focused()
    page.get_by_label("Email of the person to invite").fill(viewer.email)
    page.get_by_label("Role", exact=True).select_option(label="Viewer")
    page.get_by_role("button", name="Send invitation").click()
    expect(toasts(page)).to_contain_text(f"Invitation sent to {viewer.email} (viewer).")
    pending = page.get_by_role("table", name="Pending invitations")
    expect(pending.get_by_role("row", name=re.compile(re.escape(viewer.email)))).to_contain_text(
        "Viewer"
    )
    members = page.get_by_role("table", name="Members")
    expect(members.get_by_text(viewer.email)).to_have_count(0)

    reader = new_tab()
    reader_page = sign_in(reader, viewer.email, viewer.password)
    workspaces_link = reader_page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Workspaces")
    )
    expect(workspaces_link).to_have_accessible_name("Workspaces 1 invitation waiting")
    workspaces_link.click()
    reader_page.get_by_role("link", name="See your invitations").click()
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Invitations")
    reader_page.get_by_role("button", name="Accept the invitation to Launch plan").click()
    expect(toasts(reader_page)).to_contain_text("You joined Launch plan as viewer.")
    expect(workspaces_link).to_have_accessible_name("Workspaces")
    # The owner's page follows without a reload: the member joined, the invitation is gone.
    expect(members.get_by_role("row", name=re.compile(re.escape(viewer.email)))).to_contain_text(
        "Viewer"
    )
    expect(pending).to_have_count(0)
    expect(page.get_by_text("No invitations are waiting for an answer.")).to_be_visible()

    # The viewer reads, and cannot change anything.
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Launch plan")
    expect(reader_page.get_by_text("as a viewer you cannot change them")).to_be_visible()
    expect_titles(reader_page, ["Send the invites", "Book the venue", "Write the brief"])
    expect(reader_page.get_by_role("form", name="Add a task")).to_have_count(0)
    expect(status_button(reader_page, "Write the brief")).to_have_count(0)
    expect(reader_page.get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)
    expect(reader_page.get_by_role("link", name="Audit log")).to_have_count(0)
    reader_page.get_by_role("link", name="Members").click()
    expect(reader_page.get_by_role("form", name="Invite someone")).to_have_count(0)
    expect(reader_page.get_by_role("heading", name="Pending invitations")).to_have_count(0)
    expect(reader_page.get_by_role("button", name=f"Remove {owner_email}")).to_have_count(0)
    reader_page.get_by_role("link", name="Tasks", exact=True).click()
    reader_page.get_by_role("link", name="Book the venue").click()
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Book the venue")
    expect(reader_page.get_by_label("Title")).to_be_disabled()
    expect(reader_page.get_by_role("button", name="Save changes")).to_have_count(0)
    # The API agrees: a viewer's change is refused.
    viewer_api = ApiClient(app_stack.api, viewer.access_token)
    refused = viewer_api.post(tasks_url, json={"title": "Sneaky"})
    assert refused.status_code == 403

    # The owner removes the viewer, who loses access at once.
    page.get_by_role("button", name=f"Remove {viewer.email}").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove member").click()
    expect(toasts(page)).to_contain_text(f"Removed {viewer.email}.")
    expect(members.get_by_text(viewer.email)).to_have_count(0)
    # Their open page says so without a reload (the feed answers them 404 from then on).
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Workspace not found")
    expect(reader_page.get_by_role("link", name="Go to your workspaces")).to_be_visible()

    # Two edits of one task: the later save is refused, and nothing is lost.
    page.get_by_role("link", name="Tasks", exact=True).click()
    page.get_by_role("link", name="Send the invites").click()
    expect(heading).to_have_text("Send the invites")
    invites = next(
        t for t in owner_api.get(tasks_url).json()["items"] if t["title"] == "Send the invites"
    )
    changed = owner_api.patch(
        f"{tasks_url}/{invites['id']}",
        json={"title": "Send the invitations"},
        headers={"If-Match": f'"{invites["version"]}"'},
    )
    assert changed.status_code == 200
    page.get_by_label("Description").fill("With the agenda attached.")
    page.get_by_role("button", name="Save changes").click()
    conflict = page.get_by_role("region", name="Someone else changed this task")
    expect(conflict).to_contain_text("Their changes to Title are kept.")
    conflict.get_by_role("button", name="Save my changes on their version").click()
    expect(toasts(page)).to_contain_text("Saved.")
    expect(heading).to_have_text("Send the invitations")
    saved = owner_api.get(f"{tasks_url}/{invites['id']}").json()
    assert (saved["title"], saved["description"]) == (
        "Send the invitations",
        "With the agenda attached.",
    )

    # A task is deleted (with Undo, then for good once the page is left).
    page.get_by_role("link", name="Launch plan").click()
    page.get_by_role("button", name="Delete Book the venue").click()
    expect(toasts(page)).to_contain_text("Deleted “Book the venue”.")
    expect_titles(page, ["Send the invitations", "Write the brief"])
    owner.goto("/workspaces")

    # The audit log has every step, newest first.
    page.get_by_role("link", name="Launch plan").click()
    page.get_by_role("link", name="Audit log").click()
    expect(heading).to_be_focused()
    rows = page.get_by_role("table", name="Audit events, newest first").get_by_role("row")
    expect(rows).to_have_count(12)
    lines = [row.split("\n") for row in rows.all_inner_texts()[1:]]
    ends = ("task", "member", "workspace", "someone")
    what = [next(line for line in row if line.endswith(ends)) for row in lines]
    assert what == [
        "Deleted a task",
        "Updated a task",  # the description, after the conflict
        "Updated a task",  # the title, by the other edit
        "Removed a member",
        "Added a member",  # the viewer accepted
        "Invited someone",
        "Updated a task",  # the status, from the list
        "Created a task",
        "Created a task",
        "Created a task",
        "Created the workspace",
    ]
    expect(rows.nth(7)).to_contain_text(re.compile("Status To do →( changed to)? Done"))
    expect(rows.nth(1)).to_contain_text("Task: Book the venue")
    expect(rows.nth(4)).to_contain_text(viewer.email)
    expect(rows.nth(6)).to_contain_text(f"Invitation: {viewer.email}")


def owner_with_workspace(app_stack, name: str = "Team"):
    user = app_stack.new_user("owner")
    api = ApiClient(app_stack.api, user.access_token)
    workspace = api.create_workspace(name)
    return user, api, workspace


def test_tasks_are_paged_and_paging_keeps_focus(tab, app_stack):
    user, api, workspace = owner_with_workspace(app_stack, "Backlog")
    for n in range(27):
        api.create_task(workspace["id"], title=f"Task {n:02d}")
    page = sign_in(tab, user.email, user.password, f"/workspaces/{workspace['id']}")
    expect(task_links(page)).to_have_count(25)
    expect(task_links(page).first).to_have_text("Task 26")  # newest first
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect_titles(page, ["Task 01", "Task 00"])
    # Next is now disabled: focus went to the list's heading, not to the page's body.
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    expect(page.get_by_role("heading", name="Tasks", level=2)).to_be_focused()
    # A filter starts again at page 1.
    page.get_by_role("search", name="Filter tasks").get_by_label("Status").select_option(
        label="To do"
    )
    expect(page.get_by_text("Page 1")).to_be_visible()
    expect(task_links(page)).to_have_count(25)


def test_every_field_of_a_task_can_be_edited(tab, app_stack):
    user, api, workspace = owner_with_workspace(app_stack, "Edits")
    tasks_url = f"/workspaces/{workspace['id']}/tasks"
    task = api.create_task(workspace["id"], title="Draft")
    page = sign_in(tab, user.email, user.password, f"{tasks_url}/{task['id']}")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Draft")
    page.get_by_label("Title").fill("Final")
    page.get_by_label("Description").fill("All of it.")
    page.get_by_label("Status", exact=True).select_option(label="In progress")
    page.get_by_label("Due date").fill("2027-05-17")
    page.get_by_label("Assignee").select_option(label=user.email)
    page.get_by_role("button", name="Save changes").click()
    expect(toasts(page)).to_contain_text("Saved.")
    expect(heading).to_have_text("Final")
    saved = api.get(f"{tasks_url}/{task['id']}").json()
    assert {k: saved[k] for k in ("title", "description", "status", "due_date", "assignee_id")} == {
        "title": "Final",
        "description": "All of it.",
        "status": "in_progress",
        "due_date": "2027-05-17",
        "assignee_id": user.user_id,
    }
    assert saved["version"] == 2
    [event] = [
        e
        for e in api.get(f"/workspaces/{workspace['id']}/audit").json()["items"]
        if e["action"] == "task.updated"
    ]
    assert set(event["changes"]) == {"title", "description", "status", "due_date", "assignee_id"}

    # Delete from the task page: back to the list, with Undo; Undo keeps it.
    page.get_by_role("button", name="Delete task").click()
    expect(heading).to_have_text("Edits")
    expect(page.get_by_text("No tasks yet.")).to_be_visible()
    toasts(page).get_by_role("button", name="Undo").click()
    expect_titles(page, ["Final"])
    tab.goto("/workspaces")
    assert api.get(f"{tasks_url}/{task['id']}").status_code == 200


def test_an_admin_manages_members_within_the_admin_role(new_tab, app_stack):
    owner, api, workspace = owner_with_workspace(app_stack, "Shared")
    admin = app_stack.new_user("admin")
    newcomer = app_stack.new_user("newcomer")
    members_url = f"/workspaces/{workspace['id']}/members"
    api.add_member(workspace["id"], admin, "admin")
    # An owner's invitation as admin: an admin sees it, and cannot revoke it.
    lead = api.invite(workspace["id"], f"lead-{secrets.token_hex(3)}@example.com", "admin")
    tab = new_tab()
    page = sign_in(tab, admin.email, admin.password, members_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared")
    expect(page.get_by_role("link", name="Audit log")).to_be_visible()
    # An admin offers only the roles an admin may give, and cannot touch the owner.
    role = page.get_by_label("Role", exact=True)
    assert role.locator("option").all_inner_texts() == ["Member", "Viewer"]
    expect(page.get_by_role("button", name=f"Remove {owner.email}")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Role of {owner.email}")).to_have_count(0)
    pending = page.get_by_role("table", name="Pending invitations")
    expect(pending.get_by_role("row", name=re.compile(re.escape(lead["email"])))).to_contain_text(
        "Admin"
    )
    expect(
        page.get_by_role("button", name=f"Revoke the invitation to {lead['email']}")
    ).to_have_count(0)

    page.get_by_label("Email of the person to invite").fill(newcomer.email)
    role.select_option(label="Member")
    page.get_by_role("button", name="Send invitation").click()
    expect(toasts(page)).to_contain_text(f"Invitation sent to {newcomer.email} (member).")
    expect(pending.get_by_role("row", name=re.compile(re.escape(newcomer.email)))).to_contain_text(
        "Invited by you"
    )
    # Inviting the same address again says why, on the field.
    email = page.get_by_label("Email of the person to invite")
    email.fill(newcomer.email.upper())
    page.get_by_role("button", name="Send invitation").click()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("has a pending invitation"))

    # The newcomer accepts elsewhere: the admin's page shows them without a reload.
    [invitation] = [
        i
        for i in ApiClient(app_stack.api, newcomer.access_token)
        .get("/me/invitations")
        .json()["items"]
        if i["workspace_id"] == workspace["id"]
    ]
    accepted = ApiClient(app_stack.api, newcomer.access_token).post(
        f"/me/invitations/{invitation['id']}/accept"
    )
    assert accepted.status_code == 201, accepted.text
    page.get_by_role("button", name=f"Role of {newcomer.email}: Member").click()
    page.get_by_role("menuitemradio", name="Viewer").click()
    expect(toasts(page)).to_contain_text(f"{newcomer.email} is now viewer.")
    roles = {m["email"]: m["role"] for m in api.get(members_url).json()["items"]}
    assert roles == {owner.email: "owner", admin.email: "admin", newcomer.email: "viewer"}

    # A member is not invited again: the API's reason, on the field.
    email.fill(newcomer.email)
    page.get_by_role("button", name="Send invitation").click()
    expect(email).to_have_accessible_description(
        re.compile("A member of the workspace has this email")
    )

    # An invitation the admin may send, the admin may revoke.
    other = f"other-{secrets.token_hex(3)}@example.com"
    email.fill(other)
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_role("button", name=f"Revoke the invitation to {other}").click()
    expect(toasts(page)).to_contain_text(f"Revoked the invitation to {other}.")
    expect(pending.get_by_text(other)).to_have_count(0)
    expect(page.get_by_role("heading", name="Pending invitations")).to_be_focused()
    assert other not in [
        i["email"] for i in api.get(f"/workspaces/{workspace['id']}/invitations").json()["items"]
    ]

    # And the admin can leave.
    page.get_by_role("button", name="Leave this workspace").click()
    page.get_by_role("dialog").get_by_role("button", name="Leave workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workspaces")
    expect(page.get_by_role("link", name="Shared")).to_have_count(0)


def test_a_status_change_that_lost_a_race_says_so_and_reloads(tab, app_stack):
    user, api, workspace = owner_with_workspace(app_stack, "Race")
    tasks_url = f"/workspaces/{workspace['id']}/tasks"
    task = api.create_task(workspace["id"], title="Contested")
    page = sign_in(tab, user.email, user.password, f"/workspaces/{workspace['id']}")
    expect_titles(page, ["Contested"])

    # Someone else finishes it after this page loaded the list.
    done = api.patch(
        f"{tasks_url}/{task['id']}", json={"status": "done"}, headers={"If-Match": '"1"'}
    )
    assert done.status_code == 200
    choose_status(page, "Contested", "In progress")
    alert = toasts(page).get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed “Contested” since you loaded it")
    # The optimistic change was rolled back; Reload shows their version.
    expect(status_button(page, "Contested")).to_have_accessible_name("Status of Contested: To do")
    alert.get_by_role("button", name="Reload the task").click()
    expect(status_button(page, "Contested")).to_have_accessible_name("Status of Contested: Done")
    assert api.get(f"{tasks_url}/{task['id']}").json()["status"] == "done"
