"""Workspaces over HTTP: create, list, read, rename, delete, with versions and pagination."""

from __future__ import annotations

import base64

import pytest

from tests.support.http import ApiClient, assert_problem, patch_at_once

WORKSPACE_FIELDS = {"id", "name", "role", "version", "created_at", "updated_at"}


def test_create_returns_the_workspace_with_location_and_etag(client):
    response = client.post("/workspaces", json={"name": "Launch"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == WORKSPACE_FIELDS
    assert body["name"] == "Launch"
    assert body["role"] == "owner"
    assert body["version"] == 1
    assert body["created_at"] == body["updated_at"]
    assert body["created_at"].endswith("Z") and len(body["created_at"]) == 24
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/api/v1/workspaces/{body['id']}")
    assert client.get(response.headers["Location"].removeprefix("/api/v1")).json() == body


def test_ids_sort_in_creation_order(client):
    first = client.create_workspace("a")["id"]
    second = client.create_workspace("b")["id"]
    assert first < second


def test_get_honours_if_none_match(client):
    workspace = client.create_workspace()
    path = f"/workspaces/{workspace['id']}"
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    not_modified = client.get(path, headers={"If-None-Match": '"1"'})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["ETag"] == '"1"'
    assert client.get(path, headers={"If-None-Match": '"7"'}).status_code == 200


def test_rename_needs_if_match_and_bumps_the_version(client):
    workspace = client.create_workspace("Old")
    path = f"/workspaces/{workspace['id']}"
    assert_problem(client.patch(path, json={"name": "New"}), 428)
    assert_problem(client.patch(path, json={"name": "New"}, headers={"If-Match": '"9"'}), 412)
    response = client.patch(path, json={"name": "New"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["name"] == "New"
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert response.json()["updated_at"] >= workspace["updated_at"]
    assert_problem(client.patch(path, json={"name": "Newer"}, headers={"If-Match": '"1"'}), 412)
    assert client.patch(path, json={"name": "Any"}, headers={"If-Match": "*"}).status_code == 200
    assert client.get(path).json()["name"] == "Any"


def test_two_concurrent_renames_with_the_same_version_one_wins(client):
    workspace = client.create_workspace()
    path = f"/workspaces/{workspace['id']}"
    statuses = patch_at_once(client, path, [{"name": "left"}, {"name": "right"}], '"1"')
    assert statuses == [200, 412]
    assert client.get(path).json()["version"] == 2


def test_delete_needs_if_match_then_everything_answers_404(client):
    workspace = client.create_workspace()
    path = f"/workspaces/{workspace['id']}"
    assert_problem(client.delete(path), 428)
    assert_problem(client.delete(path, headers={"If-Match": '"3"'}), 412)
    response = client.delete(path, headers={"If-Match": '"1"'})
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.get(path), 404)
    assert_problem(client.patch(path, json={"name": "x"}, headers={"If-Match": "*"}), 404)
    assert_problem(client.delete(path, headers={"If-Match": "*"}), 404)
    listed = {w["id"] for w in client.get("/workspaces?limit=100").json()["items"]}
    assert workspace["id"] not in listed


def test_a_stranger_learns_nothing(stack, client):
    workspace = client.create_workspace()
    stranger = ApiClient(stack.api, stack.new_user("stranger").access_token)
    path = f"/workspaces/{workspace['id']}"
    assert_problem(stranger.get(path), 404)
    assert_problem(stranger.patch(path, json={"name": "x"}, headers={"If-Match": '"1"'}), 404)
    assert_problem(stranger.delete(path, headers={"If-Match": '"1"'}), 404)
    assert stranger.get("/workspaces").json() == {"items": [], "next_cursor": None}
    assert client.get(path).json()["version"] == 1


def test_an_id_that_cannot_exist_is_404(client):
    assert_problem(client.get("/workspaces/not-a-ulid"), 404)
    assert_problem(client.get("/workspaces/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404)


@pytest.fixture
def seven_workspaces(stack):
    owner = ApiClient(stack.api, stack.new_user("pager").access_token)
    ids = [owner.create_workspace(f"w{i}")["id"] for i in range(7)]
    return owner, ids


def test_pages_hold_limit_items_newest_first_until_the_end(seven_workspaces):
    owner, ids = seven_workspaces
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "/workspaces?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = owner.get(query).json()
        pages += 1
        seen.extend(w["id"] for w in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 3
    assert seen == list(reversed(ids))
    assert pages == 3
    assert owner.get("/workspaces").json()["next_cursor"] is None


def test_a_full_last_page_leads_to_an_empty_one(seven_workspaces):
    owner, _ = seven_workspaces
    first = owner.get("/workspaces?limit=7").json()
    assert len(first["items"]) == 7
    if first["next_cursor"] is not None:
        last = owner.get(f"/workspaces?limit=7&cursor={first['next_cursor']}").json()
        assert last == {"items": [], "next_cursor": None}


def test_cursors_are_tamper_evident_and_bound_to_the_caller(stack, seven_workspaces):
    owner, _ = seven_workspaces
    cursor = owner.get("/workspaces?limit=2").json()["next_cursor"]
    # Opaque: nothing of the table's keys shows through.
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert b"WS#" not in raw and b"USER#" not in raw
    middle = len(cursor) // 2
    flipped = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    for bad in (flipped, cursor[::-1], cursor[:-4], "garbage", "a.b.c"):
        assert_problem(owner.get(f"/workspaces?limit=2&cursor={bad}"), 400)
    other = ApiClient(stack.api, stack.new_user("other").access_token)
    assert_problem(other.get(f"/workspaces?limit=2&cursor={cursor}"), 400)
    assert owner.get(f"/workspaces?limit=2&cursor={cursor}").status_code == 200
