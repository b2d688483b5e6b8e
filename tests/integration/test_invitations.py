"""Invitations over HTTP (docs/api.md, "Invitations"): the only way into a workspace, for people
with an account or without; only the holder of the verified address may accept; withdrawn
when the inviter may no longer send them; every change with its audit event."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.support.http import ApiClient, assert_problem

INVITATION_FIELDS = {
    "id",
    "workspace_id",
    "email",
    "role",
    "invited_by",
    "invited_by_email",
    "created_at",
    "expires_at",
}


def as_user(stack, person) -> ApiClient:
    return ApiClient(stack.api, person.access_token)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def workspace(client):
    return client.create_workspace("Team")


def invitations_of(workspace) -> str:
    return f"/workspaces/{workspace['id']}/invitations"


def test_an_invitation_is_201_with_location_and_expires_in_14_days(client, user, workspace):
    response = client.post(
        invitations_of(workspace), json={"email": "New.Hire@Example.com", "role": "member"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == INVITATION_FIELDS
    assert body["email"] == "new.hire@example.com"
    assert (body["workspace_id"], body["role"], body["invited_by"]) == (
        workspace["id"],
        "member",
        user.user_id,
    )
    assert body["invited_by_email"] == user.email.lower()
    assert _time(body["expires_at"]) - _time(body["created_at"]) == timedelta(days=14)
    assert response.headers["Location"].endswith(f"{invitations_of(workspace)}/{body['id']}")
    assert client.all_items(invitations_of(workspace)) == [body]


def test_the_answer_is_the_same_with_or_without_an_account(stack, client, workspace):
    """Status, fields, headers: nothing tells an inviter whether the address has an account."""
    with_account = client.post(
        invitations_of(workspace), json={"email": stack.new_user("known").email, "role": "viewer"}
    )
    without = client.post(
        invitations_of(workspace), json={"email": "nobody-yet@example.com", "role": "viewer"}
    )
    assert with_account.status_code == without.status_code == 201
    assert set(with_account.json()) == set(without.json())
    varying = {"Date", "Content-Length", "X-Request-Id", "Location"}
    assert set(with_account.headers) - varying == set(without.headers) - varying


def test_a_member_or_a_pending_invitation_is_409_and_revoking_frees_the_address(
    stack, client, user, workspace
):
    path = invitations_of(workspace)
    assert_problem(client.post(path, json={"email": user.email, "role": "viewer"}), 409)
    member = stack.new_user("member")
    client.add_member(workspace["id"], member, "member")
    body = assert_problem(
        client.post(path, json={"email": member.email.upper(), "role": "admin"}), 409
    )
    assert "member" in body["detail"]
    first = client.invite(workspace["id"], "twice@example.com", "viewer")
    body = assert_problem(
        client.post(path, json={"email": "Twice@example.com", "role": "admin"}), 409
    )
    assert "pending invitation" in body["detail"]
    assert client.delete(f"{path}/{first['id']}").status_code == 204
    assert_problem(client.delete(f"{path}/{first['id']}"), 404)
    again = client.invite(workspace["id"], "twice@example.com", "admin")
    assert [i["id"] for i in client.all_items(path)] == [again["id"]]


def test_invitations_list_newest_first_and_page(client, workspace):
    made = [client.invite(workspace["id"], f"p{n}@example.com", "viewer") for n in range(5)]
    listed = client.all_items(invitations_of(workspace), limit=2)
    assert [i["id"] for i in listed] == [i["id"] for i in reversed(made)]
    first = client.get(f"{invitations_of(workspace)}?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    other = client.get(f"/workspaces/{workspace['id']}/members?cursor={first['next_cursor']}")
    assert_problem(other, 400)


def test_the_body_is_validated(client, workspace):
    body = assert_problem(
        client.post(invitations_of(workspace), json={"email": "nope", "role": "boss"}), 422
    )
    assert set(body["errors"]) == {"email", "role"}
    body = assert_problem(
        client.post(invitations_of(workspace), json={"email": "a@example.com", "x": 1}), 422
    )
    assert set(body["errors"]) == {"role", "x"}


def test_who_may_invite_list_and_revoke(stack, client, workspace):
    wid = workspace["id"]
    people = {role: stack.new_user(role) for role in ("admin", "member", "viewer")}
    for role, person in people.items():
        client.add_member(wid, person, role)
    admin, member, viewer = (as_user(stack, people[r]) for r in ("admin", "member", "viewer"))
    path = invitations_of(workspace)
    for other in (member, viewer):
        assert_problem(other.post(path, json={"email": "x@example.com", "role": "viewer"}), 403)
        assert_problem(other.get(path), 403)
    for role in ("admin", "owner"):
        assert_problem(admin.post(path, json={"email": "y@example.com", "role": role}), 403)
    by_admin = admin.invite(wid, "by-admin@example.com", "member")
    by_owner = client.invite(wid, "by-owner@example.com", "admin")
    # An admin sees every pending invitation but revokes only those as member or viewer.
    assert {i["id"] for i in admin.all_items(path)} == {by_admin["id"], by_owner["id"]}
    assert_problem(admin.delete(f"{path}/{by_owner['id']}"), 403)
    assert_problem(member.delete(f"{path}/{by_admin['id']}"), 403)
    assert admin.delete(f"{path}/{by_admin['id']}").status_code == 204
    assert client.delete(f"{path}/{by_owner['id']}").status_code == 204
    outsider = as_user(stack, stack.new_user("outsider"))
    assert_problem(outsider.get(path), 404)
    assert_problem(outsider.delete(f"{path}/{by_admin['id']}"), 404)


def test_the_invitee_lists_accepts_and_becomes_a_member(stack, client, user, workspace):
    wid = workspace["id"]
    newcomer = stack.new_user("newcomer")
    invitation = client.invite(wid, newcomer.email, "member")
    invitee = as_user(stack, newcomer)
    mine = invitee.get("/me/invitations").json()
    assert mine["items"] == [{**invitation, "workspace_name": "Team"}]
    # Who asks them in, by the address they know (a user id names no one to them).
    assert mine["items"][0]["invited_by_email"] == user.email.lower()
    assert mine["next_cursor"] is None
    # A rename shows in the invitation at once: the name is the workspace's, now.
    client.patch(f"/workspaces/{wid}", json={"name": "Team B"}, headers={"If-Match": "*"})
    assert invitee.get("/me/invitations").json()["items"][0]["workspace_name"] == "Team B"
    assert_problem(invitee.get(f"/workspaces/{wid}"), 404)
    response = invitee.post(f"/me/invitations/{invitation['id']}/accept")
    assert response.status_code == 201, response.text
    member = response.json()
    assert member["user_id"] == newcomer.user_id and member["role"] == "member"
    assert response.headers["Location"].endswith(f"/workspaces/{wid}/members/{newcomer.user_id}")
    assert invitee.get(f"/workspaces/{wid}").json()["role"] == "member"
    assert invitee.get("/me/invitations").json()["items"] == []
    assert client.all_items(invitations_of(workspace)) == []
    assert_problem(invitee.post(f"/me/invitations/{invitation['id']}/accept"), 404)
    added = client.get(f"/workspaces/{wid}/audit").json()["items"][0]
    assert (added["action"], added["actor_id"], added["target"]["id"]) == (
        "member.added",
        newcomer.user_id,
        newcomer.user_id,
    )
    assert added["changes"] == {"email": [None, newcomer.email], "role": [None, "member"]}


def test_only_the_holder_of_the_address_may_see_accept_or_decline(stack, client, workspace):
    invitation = client.invite(workspace["id"], stack.new_user("rightful").email, "admin")
    stranger = as_user(stack, stack.new_user("stranger"))
    assert stranger.get("/me/invitations").json()["items"] == []
    for verb in ("accept", "decline"):
        assert_problem(stranger.post(f"/me/invitations/{invitation['id']}/{verb}"), 404)
    # Nor the inviter themself.
    assert_problem(client.post(f"/me/invitations/{invitation['id']}/accept"), 404)
    assert len(client.all_items(invitations_of(workspace))) == 1


def test_accept_and_decline_take_no_body_but_refuse_one_that_is_not_json(stack, client, workspace):
    newcomer = stack.new_user("bodiless")
    invitation = client.invite(workspace["id"], newcomer.email, "viewer")
    invitee = as_user(stack, newcomer)
    path = f"/me/invitations/{invitation['id']}/decline"
    assert_problem(invitee.post(path, data="x", headers={"Content-Type": "text/plain"}), 415)
    assert invitee.post(path).status_code == 204


def test_declining_removes_it_and_is_audited_with_the_invitee_as_actor(stack, client, workspace):
    newcomer = stack.new_user("declines")
    invitation = client.invite(workspace["id"], newcomer.email, "viewer")
    invitee = as_user(stack, newcomer)
    assert invitee.post(f"/me/invitations/{invitation['id']}/decline").status_code == 204
    assert invitee.get("/me/invitations").json()["items"] == []
    assert client.all_items(invitations_of(workspace)) == []
    assert_problem(invitee.post(f"/me/invitations/{invitation['id']}/accept"), 404)
    events = client.all_items(f"/workspaces/{workspace['id']}/audit")
    actions = [(e["action"], e["actor_id"]) for e in events[:2]]
    assert actions == [
        ("invitation.declined", newcomer.user_id),
        ("invitation.created", client.get("/me").json()["id"]),
    ]
    declined = events[0]
    assert declined["target"] == {
        "type": "invitation",
        "id": invitation["id"],
        "label": newcomer.email,
    }
    # Declined, the address may be invited again.
    assert client.invite(workspace["id"], newcomer.email, "viewer")["id"] != invitation["id"]


def test_revoking_is_audited_and_the_invitee_can_no_longer_accept(stack, client, workspace):
    newcomer = stack.new_user("revoked")
    invitation = client.invite(workspace["id"], newcomer.email, "viewer")
    assert client.delete(f"{invitations_of(workspace)}/{invitation['id']}").status_code == 204
    invitee = as_user(stack, newcomer)
    assert invitee.get("/me/invitations").json()["items"] == []
    assert_problem(invitee.post(f"/me/invitations/{invitation['id']}/accept"), 404)
    revoked = client.get(f"/workspaces/{workspace['id']}/audit").json()["items"][0]
    assert (revoked["action"], revoked["target"]["id"]) == ("invitation.revoked", invitation["id"])


@pytest.mark.parametrize("change", ["removed", "demoted"])
def test_an_inviter_who_may_no_longer_invite_withdraws_their_invitations(
    stack, client, workspace, change
):
    wid = workspace["id"]
    inviter_user = stack.new_user("inviter")
    client.add_member(wid, inviter_user, "admin")
    inviter = as_user(stack, inviter_user)
    newcomer = stack.new_user("too-late")
    invitation = inviter.invite(wid, newcomer.email, "member")
    member_path = f"/workspaces/{wid}/members/{inviter_user.user_id}"
    if change == "removed":
        assert client.delete(member_path).status_code == 204
    else:
        assert client.patch(member_path, json={"role": "member"}).status_code == 200
    invitee = as_user(stack, newcomer)
    assert_problem(invitee.post(f"/me/invitations/{invitation['id']}/accept"), 404)
    assert_problem(invitee.get(f"/workspaces/{wid}"), 404)


def test_an_owner_demoted_to_admin_still_stands_behind_member_invitations(stack, client, workspace):
    wid = workspace["id"]
    second_owner = stack.new_user("co-owner")
    client.add_member(wid, second_owner, "owner")
    owner_client = as_user(stack, second_owner)
    member_user, admin_user = stack.new_user("m"), stack.new_user("a")
    for_member = owner_client.invite(wid, member_user.email, "member")
    for_admin = owner_client.invite(wid, admin_user.email, "admin")
    client.patch(f"/workspaces/{wid}/members/{second_owner.user_id}", json={"role": "admin"})
    member_invitee = as_user(stack, member_user)
    admin_invitee = as_user(stack, admin_user)
    assert member_invitee.post(f"/me/invitations/{for_member['id']}/accept").status_code == 201
    assert_problem(admin_invitee.post(f"/me/invitations/{for_admin['id']}/accept"), 404)


def test_a_deleted_workspaces_invitations_are_gone(stack, client, workspace):
    newcomer = stack.new_user("orphan")
    invitation = client.invite(workspace["id"], newcomer.email, "member")
    assert (
        client.delete(f"/workspaces/{workspace['id']}", headers={"If-Match": "*"}).status_code
        == 204
    )
    invitee = as_user(stack, newcomer)
    assert invitee.get("/me/invitations").json()["items"] == []
    assert_problem(invitee.post(f"/me/invitations/{invitation['id']}/accept"), 404)
    assert_problem(invitee.post(f"/me/invitations/{invitation['id']}/decline"), 404)


def test_an_expired_invitation_cannot_be_accepted(stack, client, workspace):
    newcomer = stack.new_user("slow")
    invitation = client.invite(workspace["id"], newcomer.email, "member")
    # Its copy says it expired (as the clock will, 14 days on).
    stack.dynamodb.update_item(
        TableName=stack.table,
        Key={"PK": {"S": f"INVITEE#{newcomer.email}"}, "SK": {"S": invitation["id"]}},
        UpdateExpression="SET expiry = :past",
        ExpressionAttributeValues={":past": {"S": "2020-01-01T00:00:00.000Z"}},
    )
    invitee = as_user(stack, newcomer)
    assert_problem(invitee.post(f"/me/invitations/{invitation['id']}/accept"), 404)


def test_a_member_already_cannot_accept_again(stack, client, workspace):
    """An invitation sent before the person joined another way (here: a second invitation to
    their new, verified address) is 409 to accept."""
    person = stack.new_user("twice")
    first = client.invite(workspace["id"], person.email, "viewer")
    as_user(stack, person).post(f"/me/invitations/{first['id']}/accept")
    assert_problem(
        client.post(invitations_of(workspace), json={"email": person.email, "role": "member"}),
        409,
    )


def test_paths_that_are_not_ulids_are_404(stack, client, workspace):
    assert_problem(client.delete(f"{invitations_of(workspace)}/not-an-id"), 404)
    assert_problem(client.post("/me/invitations/not-an-id/accept"), 404)
