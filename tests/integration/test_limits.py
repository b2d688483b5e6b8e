"""Product limits (issue 9, item 5; issues 21, 22): workspaces a user owns, members and tasks
per workspace, pending invitations per workspace, invitations per inviter and day, comments per
task, labels per workspace.
Each is a condition inside the write's own transaction, so requests at once cannot get past it
either; a change that would is 409 (the daily invitations: 429 with Retry-After) with a detail
that names the limit. The service here runs with small limits (MAX_* settings,
docs/configuration.md)."""

from __future__ import annotations

import threading

import pytest

from tests.support.http import ApiClient, assert_problem
from tests.support.stack import running_stack

OWNED, MEMBERS, TASKS = 3, 3, 4
PENDING, PER_DAY, COMMENTS = 3, 6, 3
LABELS = 3


@pytest.fixture(scope="module")
def limited(emulator):
    limits = {
        "MAX_OWNED_WORKSPACES": str(OWNED),
        "MAX_MEMBERS_PER_WORKSPACE": str(MEMBERS),
        "MAX_TASKS_PER_WORKSPACE": str(TASKS),
        "MAX_PENDING_INVITATIONS": str(PENDING),
        "MAX_INVITATIONS_PER_DAY": str(PER_DAY),
        "MAX_COMMENTS_PER_TASK": str(COMMENTS),
        "MAX_LABELS_PER_WORKSPACE": str(LABELS),
    }
    with running_stack(extra_environment=limits) as running:
        yield running


def _client(stack, name: str) -> tuple[ApiClient, object]:
    person = stack.new_user(name)
    return ApiClient(stack.api, person.access_token), person


def _at_once(count: int, send) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        statuses.append(send(index).status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_a_user_owns_at_most_the_limit_even_when_creating_at_once(limited):
    client, _ = _client(limited, "creator")
    token = client.token
    statuses = _at_once(
        OWNED + 3,
        lambda n: ApiClient(limited.api, token).post("/workspaces", json={"name": f"w{n}"}),
    )
    assert statuses == [201] * OWNED + [409] * 3
    body = assert_problem(client.post("/workspaces", json={"name": "one more"}), 409)
    assert f"{OWNED} workspaces" in body["detail"]
    # Deleting one gives it back.
    first = client.get("/workspaces").json()["items"][0]
    assert client.delete(f"/workspaces/{first['id']}", headers={"If-Match": "*"}).status_code == 204
    assert client.post("/workspaces", json={"name": "again"}).status_code == 201


def test_being_made_an_owner_counts_too(limited):
    owner, _ = _client(limited, "owner")
    busy, busy_person = _client(limited, "busy")
    for n in range(OWNED):
        busy.create_workspace(f"own {n}")
    workspace = owner.create_workspace("shared")
    members = f"/workspaces/{workspace['id']}/members"
    # Accepting an invitation as owner is becoming one: it counts against the invitee's limit.
    invitation = owner.invite(workspace["id"], busy_person.email, "owner")
    accept = busy.post(f"/me/invitations/{invitation['id']}/accept")
    body = assert_problem(accept, 409)
    assert "You own" in body["detail"]
    assert busy.post(f"/me/invitations/{invitation['id']}/decline").status_code == 204
    owner.add_member(workspace["id"], busy_person, "admin")
    promote = owner.patch(f"{members}/{busy_person.user_id}", json={"role": "owner"})
    assert_problem(promote, 409)
    # Once they own one fewer, they may be made an owner.
    theirs = busy.get("/workspaces").json()["items"]
    mine = next(w for w in theirs if w["role"] == "owner")
    assert busy.delete(f"/workspaces/{mine['id']}", headers={"If-Match": "*"}).status_code == 204
    promote = owner.patch(f"{members}/{busy_person.user_id}", json={"role": "owner"})
    assert promote.status_code == 200, promote.text


def test_a_workspace_holds_at_most_the_member_limit_even_when_accepting_at_once(limited):
    owner, _ = _client(limited, "host")
    workspace = owner.create_workspace("crowded")
    members = f"/workspaces/{workspace['id']}/members"
    people = [limited.new_user(f"guest{n}") for n in range(MEMBERS + 1)]
    invitations = [owner.invite(workspace["id"], p.email, "viewer") for p in people[:PENDING]]
    statuses = _at_once(
        len(invitations),
        lambda n: ApiClient(limited.api, people[n].access_token).post(
            f"/me/invitations/{invitations[n]['id']}/accept"
        ),
    )
    # The owner is one of the members.
    assert statuses == [201] * (MEMBERS - 1) + [409] * (len(invitations) - MEMBERS + 1)
    assert len(owner.all_items(members)) == MEMBERS
    joined = {m["email"] for m in owner.all_items(members)}
    left_out = next(i for i in invitations if i["email"] not in joined)
    guest = next(p for p in people if p.email == left_out["email"])
    again = ApiClient(limited.api, guest.access_token)
    body = assert_problem(again.post(f"/me/invitations/{left_out['id']}/accept"), 409)
    assert f"{MEMBERS} members" in body["detail"]
    someone = next(m for m in owner.all_items(members) if m["role"] == "viewer")
    assert owner.delete(f"{members}/{someone['user_id']}").status_code == 204
    assert again.post(f"/me/invitations/{left_out['id']}/accept").status_code == 201


def test_a_workspace_holds_at_most_the_pending_invitations_even_at_once(limited):
    owner, _ = _client(limited, "recruiter")
    workspace = owner.create_workspace("hiring")
    invitations = f"/workspaces/{workspace['id']}/invitations"
    statuses = _at_once(
        PENDING + 2,
        lambda n: ApiClient(limited.api, owner.token).post(
            invitations, json={"email": f"candidate{n}@example.com", "role": "viewer"}
        ),
    )
    assert statuses == [201] * PENDING + [409] * 2
    body = assert_problem(
        owner.post(invitations, json={"email": "late@example.com", "role": "viewer"}), 409
    )
    assert f"{PENDING} pending invitations" in body["detail"]
    pending = owner.all_items(invitations)
    assert len(pending) == PENDING
    assert owner.delete(f"{invitations}/{pending[0]['id']}").status_code == 204
    assert owner.post(invitations, json={"email": "late@example.com", "role": "viewer"}).ok


def test_an_inviter_sends_at_most_the_daily_invitations_then_429_with_retry_after(limited):
    inviter, _ = _client(limited, "sender")
    # The limit counts across workspaces: PER_DAY invitations fill two workspaces' pending.
    workspaces = [inviter.create_workspace(f"round {n}")["id"] for n in range(2)]
    sent = [
        inviter.invite(workspaces[n // PENDING], f"d{n}@example.com", "viewer")
        for n in range(PER_DAY)
    ]
    # Revoking gives nothing back: the limit counts what was sent that day.
    assert inviter.delete(f"/workspaces/{workspaces[0]}/invitations/{sent[0]['id']}").ok
    third = inviter.create_workspace("round 2")["id"]
    response = inviter.post(
        f"/workspaces/{third}/invitations", json={"email": "late@example.com", "role": "viewer"}
    )
    body = assert_problem(response, 429)
    assert f"{PER_DAY} invitations today" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 86_400
    assert inviter.all_items(f"/workspaces/{third}/invitations") == []
    # Another inviter's day is their own.
    other, _ = _client(limited, "colleague")
    theirs = other.create_workspace("theirs")["id"]
    assert other.invite(theirs, "late@example.com", "viewer")["email"] == "late@example.com"


def test_a_task_holds_at_most_the_comment_limit_even_at_once(limited):
    owner, _ = _client(limited, "talker")
    workspace = owner.create_workspace("chatty")
    task = owner.create_task(workspace["id"], title="Discuss")
    comments = f"/workspaces/{workspace['id']}/tasks/{task['id']}/comments"
    statuses = _at_once(
        COMMENTS + 2,
        lambda n: ApiClient(limited.api, owner.token).post(comments, json={"body": f"c{n}"}),
    )
    assert statuses == [201] * COMMENTS + [409] * 2
    body = assert_problem(owner.post(comments, json={"body": "over"}), 409)
    assert f"{COMMENTS} comments" in body["detail"]
    listed = owner.all_items(comments)
    assert len(listed) == COMMENTS
    assert (
        owner.get(f"/workspaces/{workspace['id']}/tasks/{task['id']}").json()["comment_count"]
        == COMMENTS
    )
    first = listed[0]
    gone = owner.delete(f"{comments}/{first['id']}", headers={"If-Match": f'"{first["version"]}"'})
    assert gone.status_code == 204
    assert owner.post(comments, json={"body": "room again"}).status_code == 201


def test_a_workspace_holds_at_most_the_task_limit(limited):
    owner, _ = _client(limited, "planner")
    workspace = owner.create_workspace("busy")
    tasks = f"/workspaces/{workspace['id']}/tasks"
    statuses = _at_once(
        TASKS + 2,
        lambda n: ApiClient(limited.api, owner.token).post(tasks, json={"title": f"t{n}"}),
    )
    assert statuses == [201] * TASKS + [409] * 2
    body = assert_problem(owner.post(tasks, json={"title": "over"}), 409)
    assert f"{TASKS} tasks" in body["detail"]
    audit = owner.all_items(f"/workspaces/{workspace['id']}/audit")
    assert sum(e["action"] == "task.created" for e in audit) == TASKS
    some = owner.get(tasks).json()["items"][0]
    gone = owner.delete(f"{tasks}/{some['id']}", headers={"If-Match": f'"{some["version"]}"'})
    assert gone.status_code == 204
    assert owner.post(tasks, json={"title": "room again"}).status_code == 201


def test_a_workspace_holds_at_most_the_label_limit_even_when_creating_at_once(limited):
    owner, _ = _client(limited, "labeller")
    workspace = owner.create_workspace("labelled")
    labels = f"/workspaces/{workspace['id']}/labels"
    statuses = _at_once(
        LABELS + 2,
        lambda n: ApiClient(limited.api, owner.token).post(
            labels, json={"name": f"l{n}", "color": "red"}
        ),
    )
    assert statuses == [201] * LABELS + [409] * 2
    body = assert_problem(owner.post(labels, json={"name": "over", "color": "red"}), 409)
    assert f"{LABELS} labels" in body["detail"]
    assert len(owner.all_items(labels)) == LABELS
    some = owner.get(labels).json()["items"][0]
    assert owner.delete(f"{labels}/{some['id']}", headers={"If-Match": '"1"'}).status_code == 204
    assert owner.post(labels, json={"name": "room again", "color": "red"}).status_code == 201
