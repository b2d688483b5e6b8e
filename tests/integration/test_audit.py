"""The audit trail: a known sequence of changes yields exactly these events, newest first,
written in the same transaction as each change."""

from __future__ import annotations

from tests.support.http import ApiClient, assert_problem

EVENT_FIELDS = {"id", "at", "actor_id", "action", "target", "changes"}


def test_a_sequence_of_changes_yields_exactly_its_events(stack, client, user):
    member = stack.new_user("member")
    wid = client.create_workspace("Audit me")["id"]
    path = f"/workspaces/{wid}"
    client.patch(path, json={"name": "Audited"}, headers={"If-Match": '"1"'})
    invitation = client.invite(wid, member.email, "viewer")
    joined = ApiClient(stack.api, member.access_token).post(
        f"/me/invitations/{invitation['id']}/accept"
    )
    assert joined.status_code == 201
    client.patch(f"{path}/members/{member.user_id}", json={"role": "member"})
    task = client.create_task(wid, title="Ship", status="todo")
    helper = ApiClient(stack.api, member.access_token)
    tpath = f"{path}/tasks/{task['id']}"
    assert (
        helper.patch(
            tpath, json={"status": "done", "title": "Ship"}, headers={"If-Match": '"1"'}
        ).status_code
        == 200
    )
    client.delete(tpath, headers={"If-Match": '"2"'})
    client.delete(f"{path}/members/{member.user_id}")

    events = client.all_items(f"{path}/audit", limit=3)
    assert all(set(e) == EVENT_FIELDS for e in events)
    assert all(set(e["target"]) == {"type", "id", "label"} for e in events)
    summary = [
        (e["action"], e["actor_id"], e["target"]["type"], e["target"]["id"], e["changes"])
        for e in events
    ]
    labels = [e["target"]["label"] for e in events]
    assert labels == [
        member.email,
        "Ship",
        "Ship",
        "Ship",
        member.email,
        member.email,
        member.email,
        "Audited",
        "Audit me",
    ]
    assert summary == [
        (
            "member.removed",
            user.user_id,
            "member",
            member.user_id,
            {"email": [member.email, None], "role": ["member", None]},
        ),
        ("task.deleted", user.user_id, "task", task["id"], {}),
        ("task.updated", member.user_id, "task", task["id"], {"status": ["todo", "done"]}),
        (
            "task.created",
            user.user_id,
            "task",
            task["id"],
            {"title": [None, "Ship"], "status": [None, "todo"]},
        ),
        (
            "member.role_changed",
            user.user_id,
            "member",
            member.user_id,
            {"role": ["viewer", "member"]},
        ),
        # Joining by invitation: the invitee is the actor of their joining.
        (
            "member.added",
            member.user_id,
            "member",
            member.user_id,
            {"email": [None, member.email], "role": [None, "viewer"]},
        ),
        (
            "invitation.created",
            user.user_id,
            "invitation",
            invitation["id"],
            {"email": [None, member.email], "role": [None, "viewer"]},
        ),
        ("workspace.updated", user.user_id, "workspace", wid, {"name": ["Audit me", "Audited"]}),
        ("workspace.created", user.user_id, "workspace", wid, {"name": [None, "Audit me"]}),
    ]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, reverse=True)
    times = [e["at"] for e in events]
    assert times == sorted(times, reverse=True)


def test_events_are_kept_for_the_retention_period_by_ttl(stack, client):
    wid = client.create_workspace("Retention")["id"]
    item = stack.dynamodb.query(
        TableName=stack.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"AUDIT#{wid}"}},
    )["Items"][0]
    created = client.get(f"/workspaces/{wid}").json()["created_at"]
    import datetime as dt  # noqa: PLC0415

    created_at = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    expires = dt.datetime.fromtimestamp(int(item["expires_at"]["N"]), dt.UTC)
    assert abs((expires - created_at).days - 365) <= 1


def test_a_change_that_fails_leaves_no_event(stack, client):
    wid = client.create_workspace()["id"]
    stranger = stack.new_user("stranger")
    assert_problem(
        client.post(
            f"/workspaces/{wid}/tasks", json={"title": "x", "assignee_id": stranger.user_id}
        ),
        422,
    )
    assert_problem(
        client.patch(f"/workspaces/{wid}", json={"name": "y"}, headers={"If-Match": '"9"'}), 412
    )
    events = client.all_items(f"/workspaces/{wid}/audit")
    assert [e["action"] for e in events] == ["workspace.created"]
    assert client.get(f"/workspaces/{wid}/tasks").json()["items"] == []


def test_the_log_cannot_be_changed_through_the_api(client):
    wid = client.create_workspace()["id"]
    event_id = client.get(f"/workspaces/{wid}/audit").json()["items"][0]["id"]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.request(method, f"/workspaces/{wid}/audit", json={})
        assert_problem(response, 405)
    assert_problem(client.delete(f"/workspaces/{wid}/audit/{event_id}"), 404)


def test_audit_survives_the_workspace(stack, client):
    wid = client.create_workspace("Short-lived")["id"]
    client.delete(f"/workspaces/{wid}", headers={"If-Match": '"1"'})
    items = stack.dynamodb.query(
        TableName=stack.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"AUDIT#{wid}"}},
    )["Items"]
    assert sorted(i["action"]["S"] for i in items) == ["workspace.created", "workspace.deleted"]


def test_labels_name_the_target_as_it_was_then(stack, client):
    """After a rename the label is the new name; a deleted target keeps its last name."""
    wid = client.create_workspace("Before")["id"]
    path = f"/workspaces/{wid}"
    task = client.create_task(wid, title="Draft")
    tpath = f"{path}/tasks/{task['id']}"
    client.patch(tpath, json={"title": "Final"}, headers={"If-Match": '"1"'})
    client.patch(tpath, json={"status": "done"}, headers={"If-Match": '"2"'})
    client.patch(path, json={"name": "After"}, headers={"If-Match": '"1"'})
    client.delete(tpath, headers={"If-Match": '"3"'})
    events = client.all_items(f"{path}/audit")
    assert [(e["action"], e["target"]["label"]) for e in events] == [
        ("task.deleted", "Final"),
        ("workspace.updated", "After"),
        ("task.updated", "Final"),
        ("task.updated", "Final"),
        ("task.created", "Draft"),
        ("workspace.created", "Before"),
    ]
    client.delete(path, headers={"If-Match": '"2"'})
    items = stack.dynamodb.query(
        TableName=stack.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"AUDIT#{wid}"}},
        ScanIndexForward=False,
    )["Items"]
    assert (items[0]["action"]["S"], items[0]["target_label"]["S"]) == (
        "workspace.deleted",
        "After",
    )
