"""Comments over HTTP (docs/api.md, "Comments"): the roles' rows, mentions of current members,
versions, the task's read-only comment_count (outside its version), a deleted task's comments
gone at once, and each change with its audit event."""

from __future__ import annotations

import threading

import pytest

from tests.support.http import ApiClient, assert_problem

COMMENT_FIELDS = {
    "id",
    "task_id",
    "author_id",
    "body",
    "mentions",
    "version",
    "created_at",
    "updated_at",
}


@pytest.fixture
def scene(stack, client, user):
    """A workspace with a task, and an admin, a member and a viewer besides the owner."""
    workspace = client.create_workspace("Talk")
    task = client.create_task(workspace["id"], title="Plan the launch", due_date="2026-12-24")
    people = {role: stack.new_user(role) for role in ("admin", "member", "viewer")}
    for role, person in people.items():
        client.add_member(workspace["id"], person, role)
    as_ = {role: ApiClient(stack.api, p.access_token) for role, p in people.items()}
    base = f"/workspaces/{workspace['id']}/tasks/{task['id']}"
    return workspace, task, people, as_, base


def test_a_comment_is_201_with_location_etag_and_the_count_moves_without_a_version(
    client, user, scene
):
    workspace, task, people, _, base = scene
    response = client.post(
        f"{base}/comments",
        json={"body": "Who takes this?\nNot me.", "mentions": [people["member"].user_id]},
    )
    assert response.status_code == 201, response.text
    comment = response.json()
    assert set(comment) == COMMENT_FIELDS
    assert (comment["task_id"], comment["author_id"], comment["version"]) == (
        task["id"],
        user.user_id,
        1,
    )
    assert comment["mentions"] == [people["member"].user_id]
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"{base}/comments/{comment['id']}")
    read = client.get(base)
    assert read.json()["comment_count"] == 1
    assert read.json()["version"] == task["version"]
    assert read.headers["ETag"] == f'"{task["version"]}"'
    for sort in ("-created_at", "due_date"):
        (listed,) = client.get(f"/workspaces/{workspace['id']}/tasks?sort={sort}").json()["items"]
        assert listed["comment_count"] == 1
    event = client.get(f"/workspaces/{workspace['id']}/audit").json()["items"][0]
    assert event["action"] == "comment.created"
    assert event["target"] == {"type": "comment", "id": comment["id"], "label": "Plan the launch"}
    assert event["changes"] == {
        "body": [None, "Who takes this?\nNot me."],
        "mentions": [None, [people["member"].user_id]],
    }


def test_comments_list_oldest_first_and_page(client, scene):
    _, _, _, _, base = scene
    made = [client.post(f"{base}/comments", json={"body": f"c{n}"}).json() for n in range(5)]
    assert [c["id"] for c in client.all_items(f"{base}/comments", limit=2)] == [
        c["id"] for c in made
    ]
    first = client.get(f"{base}/comments?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]


def test_the_roles_rows(client, scene):
    _, _, _, as_, base = scene
    assert as_["viewer"].get(f"{base}/comments").status_code == 200
    assert_problem(as_["viewer"].post(f"{base}/comments", json={"body": "hi"}), 403)
    mine = as_["member"].post(f"{base}/comments", json={"body": "mine"}).json()
    path = f"{base}/comments/{mine['id']}"
    # Editing is the author's alone, an owner's or admin's included.
    for other in (client, as_["admin"]):
        assert_problem(other.patch(path, json={"body": "x"}, headers={"If-Match": "*"}), 403)
    assert_problem(as_["viewer"].delete(path, headers={"If-Match": "*"}), 403)
    edited = as_["member"].patch(path, json={"body": "mine, edited"}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.headers["ETag"]) == (2, '"2"')
    assert as_["member"].delete(path, headers={"If-Match": '"2"'}).status_code == 204
    # An admin deletes anyone's comment; a member only their own.
    theirs = client.post(f"{base}/comments", json={"body": "owner's"}).json()
    theirs_path = f"{base}/comments/{theirs['id']}"
    assert_problem(as_["member"].delete(theirs_path, headers={"If-Match": "*"}), 403)
    assert as_["admin"].delete(theirs_path, headers={"If-Match": "*"}).status_code == 204


def test_an_author_demoted_to_viewer_may_no_longer_edit_or_delete(stack, client, scene):
    workspace, _, people, as_, base = scene
    comment = as_["member"].post(f"{base}/comments", json={"body": "before"}).json()
    client.patch(
        f"/workspaces/{workspace['id']}/members/{people['member'].user_id}", json={"role": "viewer"}
    )
    path = f"{base}/comments/{comment['id']}"
    assert_problem(as_["member"].patch(path, json={"body": "x"}, headers={"If-Match": "*"}), 403)
    assert_problem(as_["member"].delete(path, headers={"If-Match": "*"}), 403)


def test_versions_if_match_and_no_op_edits(client, scene):
    _, _, _, _, base = scene
    comment = client.post(f"{base}/comments", json={"body": "v1"}).json()
    path = f"{base}/comments/{comment['id']}"
    assert_problem(client.patch(path, json={"body": "v2"}), 428)
    assert_problem(client.patch(path, json={"body": "v2"}, headers={"If-Match": '"7"'}), 412)
    same = client.patch(path, json={"body": "v1"}, headers={"If-Match": '"1"'})
    assert same.json()["version"] == 1
    assert client.patch(path, json={"body": "v2"}, headers={"If-Match": '"1"'}).ok
    assert_problem(client.delete(path, headers={"If-Match": '"1"'}), 412)
    assert_problem(client.delete(path), 428)


def test_mentions_must_be_distinct_current_members(stack, client, scene):
    workspace, _, people, _, base = scene
    stranger = stack.new_user("stranger")
    body = assert_problem(
        client.post(f"{base}/comments", json={"body": "hey", "mentions": [stranger.user_id]}), 422
    )
    assert set(body["errors"]) == {"mentions"}
    twice = [people["admin"].user_id] * 2
    assert_problem(client.post(f"{base}/comments", json={"body": "x", "mentions": twice}), 422)
    many = [f"user{n}" for n in range(21)]
    assert_problem(client.post(f"{base}/comments", json={"body": "x", "mentions": many}), 422)
    # Every offending field at once: a blank body and a stranger.
    body = assert_problem(
        client.post(f"{base}/comments", json={"body": " ", "mentions": [stranger.user_id]}), 422
    )
    assert set(body["errors"]) == {"body", "mentions"}
    # A member who left is no longer mentionable.
    member_id = people["viewer"].user_id
    client.delete(f"/workspaces/{workspace['id']}/members/{member_id}")
    assert_problem(
        client.post(f"{base}/comments", json={"body": "x", "mentions": [member_id]}), 422
    )
    comment = client.post(f"{base}/comments", json={"body": "x"}).json()
    edit = client.patch(
        f"{base}/comments/{comment['id']}",
        json={"mentions": [member_id]},
        headers={"If-Match": "*"},
    )
    assert_problem(edit, 422)


def test_bodies_follow_the_text_rules(client, scene):
    _, _, _, _, base = scene
    for bad in ("", "\u200b", "a\x1bb", "x" * 5001, "\u202eevil"):
        assert_problem(client.post(f"{base}/comments", json={"body": bad}), 422)
    assert client.post(f"{base}/comments", json={"body": "x" * 5000}).status_code == 201
    assert_problem(client.post(f"{base}/comments", json={"body": "x", "unknown": 1}), 422)


def test_a_deleted_tasks_comments_answer_404_at_once(client, scene):
    _, _, _, _, base = scene
    comment = client.post(f"{base}/comments", json={"body": "soon gone"}).json()
    assert client.delete(base, headers={"If-Match": "*"}).status_code == 204
    path = f"{base}/comments/{comment['id']}"
    assert_problem(client.get(f"{base}/comments"), 404)
    assert_problem(client.post(f"{base}/comments", json={"body": "late"}), 404)
    assert_problem(client.patch(path, json={"body": "late"}, headers={"If-Match": "*"}), 404)
    assert_problem(client.delete(path, headers={"If-Match": "*"}), 404)


def test_non_members_get_404(stack, scene):
    _, _, _, _, base = scene
    outsider = ApiClient(stack.api, stack.new_user("outsider").access_token)
    assert_problem(outsider.get(f"{base}/comments"), 404)
    assert_problem(outsider.post(f"{base}/comments", json={"body": "hi"}), 404)


def test_a_task_edit_racing_comments_neither_fails_nor_loses_a_count(stack, client, scene):
    """Comments move the count without a version; an update with the right If-Match still
    succeeds, and every comment counts."""
    _, task, _, _, base = scene
    comments, statuses = 6, []
    barrier = threading.Barrier(comments + 1)

    def comment(n: int) -> None:
        own = ApiClient(client.base_url, client.token)
        barrier.wait()
        statuses.append(own.post(f"{base}/comments", json={"body": f"c{n}"}).status_code)

    def edit() -> None:
        own = ApiClient(client.base_url, client.token)
        barrier.wait()
        response = own.patch(
            base, json={"title": "Renamed", "due_date": "2027-01-02"}, headers={"If-Match": '"1"'}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=comment, args=(n,)) for n in range(comments)]
    threads.append(threading.Thread(target=edit))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [201] * comments
    now = client.get(base).json()
    assert (now["title"], now["version"], now["comment_count"]) == ("Renamed", 2, comments)
    (due,) = client.get(f"/workspaces/{task['workspace_id']}/tasks?sort=due_date").json()["items"]
    assert due["comment_count"] == comments
