"""Members: joining (by invitation only: adding directly is withdrawn), change roles, remove,
leave; the last owner stays. Invitations themselves: test_invitations.py."""

from __future__ import annotations

import pytest

from tests.support.http import ApiClient, assert_problem

MEMBER_FIELDS = {"user_id", "email", "role", "added_at"}


@pytest.fixture
def team(stack, client, user):
    """A workspace owned by `user`, and a few other confirmed users who are not members yet."""
    workspace = client.create_workspace("Team")
    people = {name: stack.new_user(name) for name in ("ann", "bob", "cat")}
    return workspace, people


def as_user(stack, person) -> ApiClient:
    return ApiClient(stack.api, person.access_token)


def test_the_creator_is_listed_as_owner(client, user):
    workspace = client.create_workspace()
    (member,) = client.all_items(f"/workspaces/{workspace['id']}/members")
    assert set(member) == MEMBER_FIELDS
    assert (member["user_id"], member["email"], member["role"]) == (
        user.user_id,
        user.email,
        "owner",
    )


def test_adding_a_member_directly_is_withdrawn_405_whatever_the_body(client, team):
    """Nobody becomes a member without accepting (docs/api.md, "Members")."""
    workspace, people = team
    path = f"/workspaces/{workspace['id']}/members"
    for body in (
        {"email": people["ann"].email, "role": "member"},
        {"email": people["ann"].email, "role": "owner"},
        {"email": "nobody@example.com", "role": "viewer"},
        {},
    ):
        response = client.post(path, json=body)
        assert_problem(response, 405)
        allowed = {m.strip() for m in response.headers["Allow"].split(",")}
        assert "GET" in allowed and "POST" not in allowed
    members = client.all_items(path)
    assert [m["user_id"] for m in members] == [client.get("/me").json()["id"]]


def test_joining_by_invitation_lists_the_member_with_their_role(stack, client, team):
    workspace, people = team
    member = client.add_member(workspace["id"], people["ann"], "member")
    assert set(member) == MEMBER_FIELDS
    assert (member["user_id"], member["email"]) == (people["ann"].user_id, people["ann"].email)
    listed = {
        m["user_id"]: m["role"] for m in client.all_items(f"/workspaces/{workspace['id']}/members")
    }
    assert listed[people["ann"].user_id] == "member"


def test_admins_manage_members_and_viewers_only(stack, client, team):
    workspace, people = team
    wid = workspace["id"]
    client.add_member(wid, people["ann"], "admin")
    admin = as_user(stack, people["ann"])
    assert admin.add_member(wid, people["bob"], "viewer")["role"] == "viewer"
    bob_path = f"/workspaces/{wid}/members/{people['bob'].user_id}"
    assert admin.patch(bob_path, json={"role": "member"}).json()["role"] == "member"
    assert_problem(admin.patch(bob_path, json={"role": "admin"}), 403)
    assert_problem(
        admin.post(
            f"/workspaces/{wid}/invitations", json={"email": people["cat"].email, "role": "admin"}
        ),
        403,
    )
    owner_path = f"/workspaces/{wid}/members/{client_user_id(client, wid)}"
    assert_problem(admin.patch(owner_path, json={"role": "viewer"}), 403)
    assert_problem(admin.delete(owner_path), 403)
    assert admin.delete(bob_path).status_code == 204


def client_user_id(client: ApiClient, wid: str) -> str:
    return client.get("/me").json()["id"]


def test_owners_change_anyones_role(stack, client, team):
    workspace, people = team
    wid = workspace["id"]
    client.add_member(wid, people["ann"], "member")
    path = f"/workspaces/{wid}/members/{people['ann'].user_id}"
    for role in ("admin", "owner", "viewer", "member"):
        response = client.patch(path, json={"role": role})
        assert response.status_code == 200, response.text
        assert response.json()["role"] == role


def test_the_last_owner_cannot_leave_or_be_demoted(stack, client, user, team):
    workspace, people = team
    wid = workspace["id"]
    me = f"/workspaces/{wid}/members/{user.user_id}"
    assert_problem(client.patch(me, json={"role": "admin"}), 409)
    assert_problem(client.delete(me), 409)
    client.add_member(wid, people["ann"], "owner")
    assert client.patch(me, json={"role": "admin"}).status_code == 200
    second_owner = as_user(stack, people["ann"])
    ann = f"/workspaces/{wid}/members/{people['ann'].user_id}"
    assert_problem(second_owner.delete(ann), 409)
    assert client.delete(me).status_code == 204
    assert_problem(client.get(f"/workspaces/{wid}"), 404)


def test_any_member_may_leave(stack, client, team):
    workspace, people = team
    wid = workspace["id"]
    client.add_member(wid, people["bob"], "viewer")
    viewer = as_user(stack, people["bob"])
    assert viewer.get(f"/workspaces/{wid}").status_code == 200
    assert viewer.delete(f"/workspaces/{wid}/members/{people['bob'].user_id}").status_code == 204
    assert_problem(viewer.get(f"/workspaces/{wid}"), 404)


def test_unknown_member_is_404_and_members_of_other_workspaces_are_invisible(stack, client, team):
    workspace, people = team
    wid = workspace["id"]
    assert_problem(client.patch(f"/workspaces/{wid}/members/nobody", json={"role": "viewer"}), 404)
    assert_problem(client.delete(f"/workspaces/{wid}/members/nobody"), 404)
    outsider = as_user(stack, people["cat"])
    assert_problem(outsider.get(f"/workspaces/{wid}/members"), 404)
    assert_problem(
        outsider.post(
            f"/workspaces/{wid}/invitations", json={"email": people["cat"].email, "role": "owner"}
        ),
        404,
    )


def test_member_list_pages(stack, client):
    workspace = client.create_workspace()
    wid = workspace["id"]
    for i in range(4):
        client.add_member(wid, stack.new_user(f"m{i}"), "viewer")
    first = client.get(f"/workspaces/{wid}/members?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    everyone = client.all_items(f"/workspaces/{wid}/members", limit=2)
    assert len(everyone) == 5
    assert len({m["user_id"] for m in everyone}) == 5
    tasks_cursor_scope = client.get(f"/workspaces/{wid}/tasks?cursor={first['next_cursor']}")
    assert_problem(tasks_cursor_scope, 400)
