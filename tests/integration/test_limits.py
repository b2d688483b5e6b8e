"""Product limits (issue 9, item 5): workspaces a user owns, members and tasks per workspace.
Each is a condition inside the write's own transaction, so requests at once cannot get past it
either; a change that would is 409 with a detail that names the limit. The service here runs
with small limits (MAX_* settings, docs/configuration.md)."""

from __future__ import annotations

import threading

import pytest

from tests.support.http import ApiClient, assert_problem
from tests.support.stack import running_stack

OWNED, MEMBERS, TASKS = 3, 3, 4


@pytest.fixture(scope="module")
def limited(emulator):
    limits = {
        "MAX_OWNED_WORKSPACES": str(OWNED),
        "MAX_MEMBERS_PER_WORKSPACE": str(MEMBERS),
        "MAX_TASKS_PER_WORKSPACE": str(TASKS),
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
    body = assert_problem(
        owner.post(members, json={"email": busy_person.email, "role": "owner"}), 409
    )
    assert "This user owns" in body["detail"]
    owner.add_member(workspace["id"], busy_person.email, "admin")
    promote = owner.patch(f"{members}/{busy_person.user_id}", json={"role": "owner"})
    assert_problem(promote, 409)
    # Once they own one fewer, they may be made an owner.
    theirs = busy.get("/workspaces").json()["items"]
    mine = next(w for w in theirs if w["role"] == "owner")
    assert busy.delete(f"/workspaces/{mine['id']}", headers={"If-Match": "*"}).status_code == 204
    promote = owner.patch(f"{members}/{busy_person.user_id}", json={"role": "owner"})
    assert promote.status_code == 200, promote.text


def test_a_workspace_holds_at_most_the_member_limit(limited):
    owner, _ = _client(limited, "host")
    workspace = owner.create_workspace("crowded")
    members = f"/workspaces/{workspace['id']}/members"
    people = [limited.new_user(f"guest{n}") for n in range(MEMBERS + 1)]
    statuses = _at_once(
        len(people),
        lambda n: ApiClient(limited.api, owner.token).post(
            members, json={"email": people[n].email, "role": "viewer"}
        ),
    )
    # The owner is one of the members.
    assert statuses == [201] * (MEMBERS - 1) + [409] * (len(people) - MEMBERS + 1)
    assert len(owner.all_items(members)) == MEMBERS
    left_out = next(
        p for p in people if p.email not in {m["email"] for m in owner.all_items(members)}
    )
    body = assert_problem(
        owner.post(members, json={"email": left_out.email, "role": "viewer"}), 409
    )
    assert f"{MEMBERS} members" in body["detail"]
    someone = next(m for m in owner.all_items(members) if m["role"] == "viewer")
    assert owner.delete(f"{members}/{someone['user_id']}").status_code == 204
    assert owner.post(members, json={"email": left_out.email, "role": "viewer"}).status_code == 201


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
