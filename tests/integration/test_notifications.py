"""Notifications and email over HTTP on the local stack (docs/api.md, "Notifications"): the
notifier runs on the emulator's stream as on AWS's, sends through the emulator's SES, and
writes each email it sends to the stack's outbox, which tests read (tests/support/mail.py).
Who is notified of what, never of their own actions, never for a workspace they left; the
three preferences; the digest; the unsubscribe link and RFC 8058's headers; invitation emails
with no secret and user text escaped; the background tidying (a deleted task's comments,
withdrawn invitations)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.support.http import ApiClient, assert_problem

NOTIFICATION_FIELDS = {"id", "type", "at", "read", "workspace_id", "actor_id", "target"}


def as_user(stack, person) -> ApiClient:
    return ApiClient(stack.api, person.access_token)


def wait_for_notifications(client: ApiClient, count: int, timeout_s: float = 15) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        items = client.all_items("/me/notifications")
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


def settle(stack, seconds: float = 3) -> None:
    """Long enough for the notifier to have acted on what came before (it runs within ~2 s)."""
    time.sleep(seconds)


def tomorrow() -> str:
    return (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


@pytest.fixture
def team(stack, client, user):
    """An owner's workspace with a member (ann) and a viewer (bob)."""
    workspace = client.create_workspace("Launch <b>&amp; co</b>")
    ann, bob = stack.new_user("ann"), stack.new_user("bob")
    client.add_member(workspace["id"], ann, "member")
    client.add_member(workspace["id"], bob, "viewer")
    return workspace, ann, bob


def test_an_invitation_email_reaches_any_address_without_a_secret(stack, client, user):
    workspace = client.create_workspace('Q3 "<script>alert(1)</script>"')
    address = "Someone.New@Example.com"
    invitation = client.invite(workspace["id"], address, "member")
    (sent,) = stack.wait_for_emails("someone.new@example.com")
    assert user.email in sent.subject and "Q3" in sent.subject
    # The link only says which address to sign up or sign in with.
    (link,) = [u for u in sent.links if "/invitations" in u]
    assert link == f"{stack.base_url}/invitations?email=someone.new%40example.com"
    assert sent.text_links == [link]
    assert set(parse_qs(urlparse(link).query)) == {"email"}
    assert invitation["id"] not in sent.text + sent.html
    # What users typed is escaped in the HTML part, and plain in the text part.
    assert "<script>" not in sent.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sent.html
    assert '"<script>alert(1)</script>"' in sent.text
    assert "member" in sent.text and invitation["expires_at"][:10] in sent.text
    assert "List-Unsubscribe" not in sent.headers
    assert sent.headers["Auto-Submitted"] == "auto-generated"
    assert sent.sender.endswith("<notifications@teamtasks.test>")


def test_an_invitation_to_an_account_also_notifies_it_and_is_emailed_once(stack, client, user):
    workspace = client.create_workspace("Known")
    person = stack.new_user("known")
    invitation = client.invite(workspace["id"], person.email, "viewer")
    invitee = as_user(stack, person)
    (notification,) = wait_for_notifications(invitee, 1)
    assert set(notification) == NOTIFICATION_FIELDS
    assert (notification["type"], notification["read"], notification["actor_id"]) == (
        "invitation.received",
        False,
        user.user_id,
    )
    assert notification["target"] == {
        "type": "invitation",
        "id": invitation["id"],
        "label": "Known",
    }
    assert notification["workspace_id"] == workspace["id"]
    assert invitee.get("/me/notifications/summary").json() == {"unread": 1}
    settle(stack)
    # One email: the invitation's (the notification is not emailed a second time).
    assert len(stack.emails_to(person.email)) == 1
    # Once the invitation is gone (declined), its notification is not served either.
    invitee.post(f"/me/invitations/{invitation['id']}/decline")
    assert invitee.all_items("/me/notifications") == []
    assert invitee.get("/me/notifications/summary").json() == {"unread": 0}


def test_an_assignment_notifies_the_assignee_by_email_with_rfc_8058_headers(
    stack, client, user, team
):
    workspace, ann, _ = team
    task = client.create_task(workspace["id"], title="Write <the> brief", assignee_id=ann.user_id)
    ann_client = as_user(stack, ann)
    (notification,) = wait_for_notifications(ann_client, 1)
    assert notification["type"] == "task.assigned"
    assert notification["target"] == {
        "type": "task",
        "id": task["id"],
        "label": "Write <the> brief",
    }
    (sent,) = stack.wait_for_emails(ann.email)
    assert "assigned you" in sent.subject and "Write <the> brief" in sent.subject
    assert f"{stack.base_url}/workspaces/{workspace['id']}/tasks/{task['id']}" in sent.links
    assert "Write &lt;the&gt; brief" in sent.html
    # RFC 8058: the one-click URL is the API's, with the token; the body says One-Click.
    one_click = sent.headers["List-Unsubscribe"].strip("<>")
    assert one_click.startswith(f"{stack.api}/unsubscribe?token=")
    assert sent.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The visible link opens the browser app's confirmation page with the same token.
    token = parse_qs(urlparse(one_click).query)["token"][0]
    assert f"{stack.base_url}/unsubscribe?token={token}" in sent.links
    response = requests.post(one_click, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert response.status_code == 200, response.text
    assert ann_client.get("/me/preferences").json() == {"email_notifications": "off"}
    # Off: the next assignment is a notification without an email.
    other = client.create_task(workspace["id"], title="Second", assignee_id=ann.user_id)
    items = wait_for_notifications(ann_client, 2)
    assert [n["target"]["id"] for n in items] == [other["id"], task["id"]]
    settle(stack)
    assert len(stack.emails_to(ann.email)) == 1


def test_nobody_is_notified_of_their_own_actions(stack, client, user, team):
    workspace, ann, _ = team
    ann_client = as_user(stack, ann)
    task = ann_client.create_task(workspace["id"], title="Mine", assignee_id=ann.user_id)
    ann_client.post(
        f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments",
        json={"body": "note to self", "mentions": [ann.user_id]},
    )
    me = client.patch(
        f"/workspaces/{workspace['id']}/members/{user.user_id}", json={"role": "owner"}
    )
    assert me.status_code == 200
    settle(stack)
    assert ann_client.all_items("/me/notifications") == []
    assert stack.emails_to(ann.email) == []


def test_comments_notify_the_creator_assignee_and_commenters_and_mentions_apart(
    stack, client, user, team
):
    workspace, ann, bob = team
    carl = stack.new_user("carl")
    client.add_member(workspace["id"], carl, "member")
    ann_client, bob_client, carl_client = (as_user(stack, p) for p in (ann, bob, carl))
    task = client.create_task(workspace["id"], title="Discuss", assignee_id=ann.user_id)
    comments = f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments"
    wait_for_notifications(ann_client, 1)  # the assignment
    # carl comments: the creator (owner) and the assignee (ann) hear of it.
    carl_client.post(comments, json={"body": "First!"})
    owner_items = wait_for_notifications(client, 1)
    assert [n["type"] for n in owner_items] == ["comment.created"]
    assert owner_items[0]["actor_id"] == carl.user_id
    assert owner_items[0]["target"] == {"type": "task", "id": task["id"], "label": "Discuss"}
    assert [n["type"] for n in wait_for_notifications(ann_client, 2)] == [
        "comment.created",
        "task.assigned",
    ]
    # The owner comments mentioning bob (a viewer): bob is mentioned; carl, who commented
    # before, and ann hear of a comment; the owner nothing.
    client.post(comments, json={"body": "Over to you @bob\nthanks", "mentions": [bob.user_id]})
    assert [n["type"] for n in wait_for_notifications(bob_client, 1)] == ["comment.mentioned"]
    assert [n["type"] for n in wait_for_notifications(carl_client, 1)] == ["comment.created"]
    assert next(n["type"] for n in wait_for_notifications(ann_client, 3)) == "comment.created"
    settle(stack)
    assert [n["type"] for n in client.all_items("/me/notifications")] == ["comment.created"]
    mention_email = stack.wait_for_emails(bob.email)[-1]
    assert "mentioned you" in mention_email.subject
    assert "> Over to you @bob\n> thanks" in mention_email.text
    # An edit that adds a mention notifies the newly mentioned only.
    mine = carl_client.get(comments).json()["items"][0]
    carl_client.patch(
        f"{comments}/{mine['id']}",
        json={"mentions": [ann.user_id, bob.user_id]},
        headers={"If-Match": '"1"'},
    )
    assert next(n["type"] for n in wait_for_notifications(ann_client, 4)) == "comment.mentioned"
    assert len(wait_for_notifications(bob_client, 2)) == 2


def test_a_role_change_notifies_the_member(stack, client, team):
    workspace, ann, _ = team
    client.patch(f"/workspaces/{workspace['id']}/members/{ann.user_id}", json={"role": "admin"})
    (notification,) = wait_for_notifications(as_user(stack, ann), 1)
    assert notification["type"] == "member.role_changed"
    assert notification["target"] == {
        "type": "workspace",
        "id": workspace["id"],
        "label": workspace["name"],
    }
    (sent,) = stack.wait_for_emails(ann.email)
    assert "admin" in sent.subject


def test_read_marks_the_unread_filter_and_the_summary(stack, client, team):
    workspace, ann, _ = team
    ann_client = as_user(stack, ann)
    for n in range(3):
        client.create_task(workspace["id"], title=f"t{n}", assignee_id=ann.user_id)
    items = wait_for_notifications(ann_client, 3)
    assert ann_client.get("/me/notifications/summary").json() == {"unread": 3}
    middle = items[1]["id"]
    assert ann_client.post("/me/notifications/read", json={"up_to": middle}).status_code == 204
    assert [n["read"] for n in ann_client.all_items("/me/notifications")] == [False, True, True]
    unread = ann_client.all_items("/me/notifications?unread=true")
    assert [n["id"] for n in unread] == [items[0]["id"]]
    assert ann_client.get("/me/notifications/summary").json() == {"unread": 1}
    # The mark never moves back.
    assert ann_client.post("/me/notifications/read", json={"up_to": items[2]["id"]}).ok
    assert ann_client.get("/me/notifications/summary").json() == {"unread": 1}
    # Someone else's notification, or none at all, is 404; a malformed id 422.
    assert_problem(client.post("/me/notifications/read", json={"up_to": items[0]["id"]}), 404)
    assert_problem(client.post("/me/notifications/read", json={"up_to": "nope"}), 422)
    assert_problem(ann_client.get("/me/notifications?unread=yes"), 422)


def test_notifications_of_a_workspace_left_are_never_served(stack, client, team):
    workspace, ann, _ = team
    ann_client = as_user(stack, ann)
    client.create_task(workspace["id"], title="Before leaving", assignee_id=ann.user_id)
    assert len(wait_for_notifications(ann_client, 1)) == 1
    with stack.stack.streams.paused():
        # The read is the guarantee, whatever the background removal has done yet.
        assert ann_client.delete(f"/workspaces/{workspace['id']}/members/{ann.user_id}").ok
        assert ann_client.all_items("/me/notifications") == []
        assert ann_client.get("/me/notifications/summary").json() == {"unread": 0}
    # And in the background, they are removed from the table.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        left = stack.dynamodb.query(
            TableName=stack.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"NOTIFY#{ann.user_id}"}},
        )["Items"]
        if not left:
            break
        time.sleep(0.2)
    assert left == []


def test_the_daily_digest_gathers_what_is_unread(stack, client, team):
    workspace, ann, _ = team
    ann_client = as_user(stack, ann)
    ann_client.request("PUT", "/me/preferences", json={"email_notifications": "daily"})
    tasks = [
        client.create_task(workspace["id"], title=f"Digest {n}", assignee_id=ann.user_id)
        for n in range(3)
    ]
    items = wait_for_notifications(ann_client, 3)
    settle(stack)
    assert stack.emails_to(ann.email) == []
    # One of them read in the app: the digest leaves it out.
    oldest = items[-1]["id"]
    ann_client.post("/me/notifications/read", json={"up_to": oldest})
    assert stack.stack.streams.digest(through=tomorrow()) == {"digests": 1}
    (digest,) = stack.emails_to(ann.email)
    assert "2 unread notifications" in digest.subject
    for task in tasks[1:]:
        assert f"{stack.base_url}/workspaces/{workspace['id']}/tasks/{task['id']}" in digest.links
    assert f"/tasks/{tasks[0]['id']}" not in digest.html
    assert digest.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Nothing new since: the next digest sends nothing.
    assert stack.stack.streams.digest(through=tomorrow()) == {"digests": 0}
    assert len(stack.emails_to(ann.email)) == 1


def test_a_deleted_tasks_comments_are_removed_in_the_background(stack, client, team):
    workspace, _, _ = team
    task = client.create_task(workspace["id"], title="Doomed")
    comments = f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments"
    for n in range(3):
        client.post(comments, json={"body": f"c{n}"})
    assert client.delete(
        f"/workspaces/{workspace['id']}/tasks/{task['id']}", headers={"If-Match": "*"}
    ).ok

    def stored() -> list:
        return stack.dynamodb.query(
            TableName=stack.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :c)",
            ExpressionAttributeValues={
                ":pk": {"S": f"WS#{workspace['id']}"},
                ":c": {"S": f"COMMENT#{task['id']}#"},
            },
        )["Items"]

    deadline = time.monotonic() + 15
    while stored() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored() == []


def test_withdrawn_invitations_leave_the_lists_in_the_background(stack, client, team):
    workspace, ann, _ = team
    client.patch(f"/workspaces/{workspace['id']}/members/{ann.user_id}", json={"role": "admin"})
    ann_client = as_user(stack, ann)
    newcomer = stack.new_user("pending")
    invitation = ann_client.invite(workspace["id"], newcomer.email, "member")
    client.patch(f"/workspaces/{workspace['id']}/members/{ann.user_id}", json={"role": "member"})
    path = f"/workspaces/{workspace['id']}/invitations"
    deadline = time.monotonic() + 15
    while client.all_items(path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.all_items(path) == []
    assert as_user(stack, newcomer).get("/me/invitations").json()["items"] == []
    # The address may be invited again at once.
    assert client.invite(workspace["id"], newcomer.email, "member")["id"] != invitation["id"]
