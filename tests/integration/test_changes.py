"""The changes feed over HTTP (docs/api.md, "Changes feed"): positions, order, the ETag and its
304, tamper-evident positions bound to their feed and caller, and 404 for non-members."""

from __future__ import annotations

import pytest

from tests.support.http import ApiClient, assert_problem


@pytest.fixture
def feed(client):
    workspace = client.create_workspace("Live")
    return workspace, f"/workspaces/{workspace['id']}/changes"


def test_without_after_there_are_no_changes_only_the_position_now(client, feed):
    _, path = feed
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["changes"] == [] and body["next"]
    assert response.headers["ETag"].startswith('"')
    # The same position always gives the same token.
    assert client.get(path).json()["next"] == body["next"]


def test_changes_after_a_position_come_oldest_first_and_the_feed_moves_on(client, feed):
    workspace, path = feed
    start = client.get(path).json()["next"]
    task = client.create_task(workspace["id"], title="One")
    client.patch(
        f"/workspaces/{workspace['id']}/tasks/{task['id']}",
        json={"status": "done"},
        headers={"If-Match": '"1"'},
    )
    comment = client.post(
        f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments", json={"body": "hi"}
    ).json()
    body = client.get(f"{path}?after={start}").json()
    assert [(c["action"], c["target"]) for c in body["changes"]] == [
        ("task.created", {"type": "task", "id": task["id"]}),
        ("task.updated", {"type": "task", "id": task["id"]}),
        ("comment.created", {"type": "comment", "id": comment["id"]}),
    ]
    assert all(set(c) == {"action", "at", "target"} for c in body["changes"])
    later = client.get(f"{path}?after={body['next']}").json()
    assert later == {"changes": [], "next": body["next"]}


def test_a_poll_with_the_etag_is_304_until_something_changes(client, feed):
    workspace, path = feed
    first = client.get(path)
    position, etag = first.json()["next"], first.headers["ETag"]
    url = f"{path}?after={position}"
    assert client.get(url).headers["ETag"] == etag
    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.headers["ETag"] == etag and unchanged.content == b""
    client.patch(
        f"/workspaces/{workspace['id']}", json={"name": "Renamed"}, headers={"If-Match": "*"}
    )
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert [c["action"] for c in changed.json()["changes"]] == ["workspace.updated"]


def test_at_most_100_changes_then_the_next_ones(client, feed):
    workspace, path = feed
    start = client.get(path).json()["next"]
    made = [client.create_task(workspace["id"], title=f"t{n}")["id"] for n in range(105)]
    first = client.get(f"{path}?after={start}").json()
    assert [c["target"]["id"] for c in first["changes"]] == made[:100]
    second = client.get(f"{path}?after={first['next']}").json()
    assert [c["target"]["id"] for c in second["changes"]] == made[100:]


def test_a_position_is_tamper_evident_and_bound_to_its_feed_and_caller(stack, client, user, feed):
    workspace, path = feed
    position = client.get(path).json()["next"]
    altered = position[:-2] + ("AA" if not position.endswith("AA") else "BB")
    assert_problem(client.get(f"{path}?after={altered}"), 400)
    assert_problem(client.get(f"{path}?after=not-a-position"), 400)
    other = client.create_workspace("Other")
    assert_problem(client.get(f"/workspaces/{other['id']}/changes?after={position}"), 400)
    member = stack.new_user("member")
    client.add_member(workspace["id"], member, "viewer")
    viewer = ApiClient(stack.api, member.access_token)
    assert_problem(viewer.get(f"{path}?after={position}"), 400)
    assert viewer.get(path).status_code == 200


def test_non_members_and_members_who_left_get_404_never_a_304(stack, client, feed):
    workspace, path = feed
    outsider = ApiClient(stack.api, stack.new_user("outsider").access_token)
    assert_problem(outsider.get(path), 404)
    member = stack.new_user("leaver")
    client.add_member(workspace["id"], member, "member")
    leaver = ApiClient(stack.api, member.access_token)
    seen = leaver.get(path)
    leaver.delete(f"/workspaces/{workspace['id']}/members/{member.user_id}")
    assert_problem(leaver.get(path, headers={"If-None-Match": seen.headers["ETag"]}), 404)


def test_unknown_query_parameters_are_422(client, feed):
    _, path = feed
    assert_problem(client.get(f"{path}?since=x"), 422)
