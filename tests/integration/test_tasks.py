"""Tasks: validation, versions, filters through indexes, pagination."""

from __future__ import annotations

import json

import pytest

from tests.support.http import assert_problem, patch_at_once

# In the order docs/api.md lists them.
TASK_FIELD_ORDER = [
    "id",
    "workspace_id",
    "title",
    "description",
    "status",
    "due_date",
    "assignee_id",
    "priority",
    "labels",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "comment_count",
]
TASK_FIELDS = set(TASK_FIELD_ORDER)


@pytest.fixture
def workspace(client):
    return client.create_workspace("Tasks")


def tasks_path(workspace) -> str:
    return f"/workspaces/{workspace['id']}/tasks"


def test_create_applies_defaults_and_returns_location_and_etag(client, user, workspace):
    response = client.post(tasks_path(workspace), json={"title": "Write docs"})
    assert response.status_code == 201
    task = response.json()
    assert set(task) == TASK_FIELDS
    assert task["title"] == "Write docs"
    assert task["description"] == ""
    assert task["status"] == "todo"
    assert task["due_date"] is None
    assert task["assignee_id"] is None
    assert task["priority"] == "none"
    assert task["labels"] == []
    assert task["version"] == 1
    assert task["workspace_id"] == workspace["id"]
    assert task["created_by"] == user.user_id
    assert response.headers["ETag"] == '"1"'
    location = response.headers["Location"]
    assert location.endswith(f"{tasks_path(workspace)}/{task['id']}")
    assert client.get(location.removeprefix("/api/v1")).json() == task


def test_every_field_is_validated(client, workspace):
    cases = [
        ({"title": ""}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"title": "ok", "description": "x" * 10001}, {"description"}),
        ({"title": "ok", "status": "blocked"}, {"status"}),
        ({"title": "ok", "due_date": "2026-13-01"}, {"due_date"}),
        ({"title": "ok", "due_date": "tomorrow"}, {"due_date"}),
        ({"title": 7, "status": 3}, {"title", "status"}),
        ({"title": "ok", "estimate": "3h"}, {"estimate"}),
        ({"title": "ok", "priority": "critical"}, {"priority"}),
        ({"title": "ok", "labels": "01M96SHZYB8Y31F1D8VQ6EPB1G"}, {"labels"}),
        ({"title": "ok", "labels": ["not a label id"]}, {"labels"}),
        ({"title": "ok", "labels": ["01M96SHZYB8Y31F1D8VQ6EPB1G"] * 2}, {"labels"}),
        ({"title": "", "comment_count": 3}, {"title", "comment_count"}),
        ({}, {"title"}),
        ({"title": "ok", "assignee_id": "not a user"}, {"assignee_id"}),
    ]
    for body, fields in cases:
        problem = assert_problem(client.post(tasks_path(workspace), json=body), 422)
        assert set(problem["errors"]) == fields, body


def test_the_assignee_must_be_a_member(stack, client, user, workspace):
    outsider = stack.new_user("outsider")
    problem = assert_problem(
        client.post(tasks_path(workspace), json={"title": "t", "assignee_id": outsider.user_id}),
        422,
    )
    assert set(problem["errors"]) == {"assignee_id"}
    mine = client.create_task(workspace["id"], assignee_id=user.user_id, due_date="2026-12-24")
    assert mine["assignee_id"] == user.user_id
    assert mine["due_date"] == "2026-12-24"
    client.add_member(workspace["id"], outsider, "viewer")
    theirs = client.create_task(workspace["id"], assignee_id=outsider.user_id)
    assert theirs["assignee_id"] == outsider.user_id


def test_partial_update_changes_only_what_is_sent(client, workspace):
    task = client.create_task(workspace["id"], title="Draft", description="first")
    path = f"{tasks_path(workspace)}/{task['id']}"
    assert_problem(client.patch(path, json={"status": "done"}), 428)
    assert_problem(client.patch(path, json={"status": "done"}, headers={"If-Match": '"2"'}), 412)
    response = client.patch(path, json={"status": "in_progress"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    updated = response.json()
    assert updated["status"] == "in_progress"
    assert updated["title"] == "Draft" and updated["description"] == "first"
    assert updated["version"] == 2
    assert response.headers["ETag"] == '"2"'
    cleared = client.patch(
        path, json={"due_date": None, "description": ""}, headers={"If-Match": '"2"'}
    )
    assert cleared.status_code == 200
    assert cleared.json()["description"] == ""
    assert_problem(client.patch(path, json={"title": None}, headers={"If-Match": "*"}), 422)
    assert_problem(client.patch(path, json={"version": 9}, headers={"If-Match": "*"}), 422)


def test_if_none_match_gives_304(client, workspace):
    task = client.create_task(workspace["id"])
    path = f"{tasks_path(workspace)}/{task['id']}"
    assert client.get(path, headers={"If-None-Match": '"1"'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"0"'}).status_code == 200


def test_two_concurrent_updates_with_the_same_version_one_wins(stack, client, workspace):
    task = client.create_task(workspace["id"])
    path = f"{tasks_path(workspace)}/{task['id']}"
    results = patch_at_once(client, path, [{"status": "in_progress"}, {"status": "done"}], '"1"')
    assert results == [200, 412]
    events = client.all_items(f"/workspaces/{workspace['id']}/audit")
    assert [e["action"] for e in events].count("task.updated") == 1
    assert client.get(path).json()["version"] == 2


def test_delete_needs_if_match(client, workspace):
    task = client.create_task(workspace["id"])
    path = f"{tasks_path(workspace)}/{task['id']}"
    assert_problem(client.delete(path), 428)
    assert_problem(client.delete(path, headers={"If-Match": '"5"'}), 412)
    assert client.delete(path, headers={"If-Match": '"1"'}).status_code == 204
    assert_problem(client.get(path), 404)
    assert_problem(client.delete(path, headers={"If-Match": "*"}), 404)
    assert_problem(client.patch(path, json={"title": "x"}, headers={"If-Match": "*"}), 404)


def test_lists_are_newest_first_and_filtered_by_status_and_assignee(stack, client, user, workspace):
    wid = workspace["id"]
    other = stack.new_user("assignee")
    client.add_member(wid, other, "member")
    made = [
        client.create_task(wid, title="a", status="todo"),
        client.create_task(wid, title="b", status="done", assignee_id=user.user_id),
        client.create_task(wid, title="c", status="todo", assignee_id=other.user_id),
        client.create_task(wid, title="d", status="done", assignee_id=other.user_id),
        client.create_task(wid, title="e", status="in_progress"),
    ]

    def titles(query: str = "") -> list[str]:
        return [t["title"] for t in client.all_items(f"{tasks_path(workspace)}{query}", limit=2)]

    assert titles() == ["e", "d", "c", "b", "a"]
    assert titles("?status=todo") == ["c", "a"]
    assert titles("?status=done") == ["d", "b"]
    assert titles(f"?assignee_id={other.user_id}") == ["d", "c"]
    assert titles(f"?assignee_id={other.user_id}&status=done") == ["d"]
    assert titles(f"?assignee_id={user.user_id}&status=todo") == []
    task = made[2]
    path = f"{tasks_path(workspace)}/{task['id']}"
    client.patch(path, json={"status": "done", "assignee_id": None}, headers={"If-Match": '"1"'})
    assert titles("?status=done") == ["d", "c", "b"]
    assert titles(f"?assignee_id={other.user_id}") == ["d"]
    assert_problem(client.get(f"{tasks_path(workspace)}?status=blocked"), 422)


def test_a_filtered_cursor_does_not_fit_another_filter(client, workspace):
    for _ in range(3):
        client.create_task(workspace["id"], status="todo")
    cursor = client.get(f"{tasks_path(workspace)}?status=todo&limit=1").json()["next_cursor"]
    assert (
        client.get(f"{tasks_path(workspace)}?status=todo&limit=1&cursor={cursor}").status_code
        == 200
    )
    assert_problem(client.get(f"{tasks_path(workspace)}?status=done&limit=1&cursor={cursor}"), 400)
    assert_problem(client.get(f"{tasks_path(workspace)}?limit=1&cursor={cursor}"), 400)


def test_tasks_of_a_deleted_workspace_are_gone(client, workspace):
    task = client.create_task(workspace["id"])
    client.delete(f"/workspaces/{workspace['id']}", headers={"If-Match": '"1"'})
    assert_problem(client.get(f"{tasks_path(workspace)}/{task['id']}"), 404)
    assert_problem(client.get(tasks_path(workspace)), 404)
    assert_problem(client.post(tasks_path(workspace), json={"title": "late"}), 404)


def test_due_date_order_for_every_filter(stack, client, user, workspace):
    """Earliest due first, no due date after all others, ties newest first; with each filter
    and their combination, page by page."""
    wid = workspace["id"]
    other = stack.new_user("assignee")
    client.add_member(wid, other, "member")
    me, them = user.user_id, other.user_id
    for title, due, status, assignee in [
        ("late", "2027-03-01", "todo", me),
        ("none-old", None, "todo", them),
        ("tie-old", "2026-12-24", "done", them),
        ("early", "2026-12-01", "todo", None),
        ("tie-new", "2026-12-24", "todo", them),
        ("none-new", None, "done", me),
        ("first", "2026-01-31", "in_progress", me),
    ]:
        client.create_task(wid, title=title, due_date=due, status=status, assignee_id=assignee)

    def titles(query: str) -> list[str]:
        path = f"{tasks_path(workspace)}?sort=due_date{query}"
        return [t["title"] for t in client.all_items(path, limit=2)]

    everything = ["first", "early", "tie-new", "tie-old", "late", "none-new", "none-old"]
    assert titles("") == everything
    assert titles("&status=todo") == ["early", "tie-new", "late", "none-old"]
    assert titles(f"&assignee_id={them}") == ["tie-new", "tie-old", "none-old"]
    assert titles(f"&assignee_id={me}&status=done") == ["none-new"]
    assert titles(f"&status=done&assignee_id={them}") == ["tie-old"]
    created_order = [
        t["title"] for t in client.all_items(f"{tasks_path(workspace)}?sort=-created_at")
    ]
    assert created_order == [t["title"] for t in client.all_items(tasks_path(workspace))]
    assert created_order[0] == "first" and created_order[-1] == "late"


def test_a_change_of_due_date_moves_the_task_and_a_delete_removes_it(client, workspace):
    wid = workspace["id"]
    a = client.create_task(wid, title="a", due_date="2026-05-01")
    b = client.create_task(wid, title="b", due_date="2026-06-01")
    client.create_task(wid, title="c")

    def due_order() -> list[str]:
        return [t["title"] for t in client.all_items(f"{tasks_path(workspace)}?sort=due_date")]

    assert due_order() == ["a", "b", "c"]
    path = f"{tasks_path(workspace)}/{a['id']}"
    moved = client.patch(path, json={"due_date": "2026-07-01"}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200
    assert due_order() == ["b", "a", "c"]
    client.patch(path, json={"due_date": None, "title": "a2"}, headers={"If-Match": '"2"'})
    assert due_order() == ["b", "c", "a2"]  # neither has a due date: c is the newer
    # The due-order list serves the task as it is, every field.
    listed = client.get(f"{tasks_path(workspace)}?sort=due_date").json()["items"]
    assert listed[-1] == client.get(path).json()
    client.delete(f"{tasks_path(workspace)}/{b['id']}", headers={"If-Match": '"1"'})
    assert due_order() == ["c", "a2"]


def test_sort_is_validated_and_its_cursor_fits_only_its_own_list(client, workspace):
    for _ in range(3):
        client.create_task(workspace["id"], due_date="2026-12-01")
    for bad in ("due", "created_at", "-due_date", ""):
        problem = assert_problem(client.get(f"{tasks_path(workspace)}?sort={bad}"), 422)
        assert set(problem["errors"]) == {"sort"}
    cursor = client.get(f"{tasks_path(workspace)}?sort=due_date&limit=1").json()["next_cursor"]
    assert cursor
    page = client.get(f"{tasks_path(workspace)}?sort=due_date&limit=1&cursor={cursor}")
    assert page.status_code == 200
    assert_problem(client.get(f"{tasks_path(workspace)}?limit=1&cursor={cursor}"), 400)
    assert_problem(
        client.get(f"{tasks_path(workspace)}?sort=-created_at&limit=1&cursor={cursor}"), 400
    )


def test_a_tasks_fields_come_in_the_order_the_contract_lists_them(client, workspace):
    created = client.post(tasks_path(workspace), json={"title": "In order"})
    read = client.get(f"{tasks_path(workspace)}/{created.json()['id']}")
    listed = client.get(tasks_path(workspace))
    for body in (
        json.loads(created.text),
        json.loads(read.text),
        json.loads(listed.text)["items"][0],
    ):
        assert list(body) == TASK_FIELD_ORDER
