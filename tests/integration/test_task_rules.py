"""Task rules at the contract's edges (issue 9, items 12 to 14): one 422 names every offending
field, the assignee included; a task may not be left assigned to a former member; and
`If-Match: *` matches whatever version is current, also under contention."""

from __future__ import annotations

import pytest

from tests.support.http import ApiClient, assert_problem, patch_at_once

NOT_A_MEMBER = "not-a-member-0000"


@pytest.fixture
def team(stack, client, user):
    workspace = client.create_workspace("Team")
    helper = stack.new_user("helper")
    client.add_member(workspace["id"], helper, "member")
    return {"client": client, "owner": user, "helper": helper, "id": workspace["id"]}


def test_one_422_names_every_field_and_the_assignee_who_is_not_a_member(team):
    client, tasks = team["client"], f"/workspaces/{team['id']}/tasks"
    body = {"title": "", "status": "someday", "assignee_id": NOT_A_MEMBER}
    problem = assert_problem(client.post(tasks, json=body), 422)
    assert set(problem["errors"]) == {"title", "status", "assignee_id"}
    task = client.create_task(team["id"], title="Valid")
    patch = client.patch(
        f"{tasks}/{task['id']}",
        json={"due_date": "tomorrow", "assignee_id": NOT_A_MEMBER},
        headers={"If-Match": "*"},
    )
    assert set(assert_problem(patch, 422)["errors"]) == {"due_date", "assignee_id"}
    # A member as assignee is not an offending field.
    body = {"title": "", "assignee_id": team["helper"].user_id}
    assert set(assert_problem(client.post(tasks, json=body), 422)["errors"]) == {"title"}


def test_a_stranger_learns_nothing_about_membership_from_a_422(stack, team):
    stranger = ApiClient(stack.api, stack.new_user("stranger").access_token)
    body = {"title": "", "assignee_id": team["helper"].user_id}
    problem = assert_problem(stranger.post(f"/workspaces/{team['id']}/tasks", json=body), 422)
    assert set(problem["errors"]) == {"title"}
    body = {"title": "", "assignee_id": NOT_A_MEMBER}
    problem = assert_problem(stranger.post(f"/workspaces/{team['id']}/tasks", json=body), 422)
    assert set(problem["errors"]) == {"title"}


def test_a_task_cannot_be_left_assigned_to_a_former_member(team):
    client, helper = team["client"], team["helper"]
    tasks = f"/workspaces/{team['id']}/tasks"
    task = client.create_task(team["id"], title="Theirs", assignee_id=helper.user_id)
    path = f"{tasks}/{task['id']}"
    removed = client.delete(f"/workspaces/{team['id']}/members/{helper.user_id}")
    assert removed.status_code == 204
    # The task keeps its assignee until someone edits it (docs/api.md).
    assert client.get(path).json()["assignee_id"] == helper.user_id
    star = {"If-Match": "*"}
    for change in (
        {"title": "Edited"},
        {"assignee_id": helper.user_id},
        {"title": "Theirs"},  # changes nothing, and still leaves them assigned
    ):
        problem = assert_problem(client.patch(path, json=change, headers=star), 422)
        assert set(problem["errors"]) == {"assignee_id"}, change
    assert client.get(path).json()["version"] == 1
    unassigned = client.patch(path, json={"title": "Edited", "assignee_id": None}, headers=star)
    assert unassigned.status_code == 200, unassigned.text
    assert unassigned.json()["assignee_id"] is None
    reassigned = client.patch(path, json={"assignee_id": team["owner"].user_id}, headers=star)
    assert reassigned.status_code == 200


def test_if_match_star_applies_every_concurrent_update(team):
    client = team["client"]
    task = client.create_task(team["id"], title="Contended")
    path = f"/workspaces/{team['id']}/tasks/{task['id']}"
    bodies = [{"title": f"Title {n}"} for n in range(6)]
    assert patch_at_once(client, path, bodies, "*") == [200] * 6
    final = client.get(path).json()
    assert final["version"] == 1 + 6
    audit = client.all_items(f"/workspaces/{team['id']}/audit")
    updates = [
        e for e in audit if e["action"] == "task.updated" and e["target"]["id"] == task["id"]
    ]
    assert len(updates) == 6
    # With a version, exactly one of them wins, as before.
    version = final["version"]
    others = [{"title": f"Other {n}"} for n in range(6)]
    assert patch_at_once(client, path, others, f'"{version}"') == [200] + [412] * 5


def test_if_match_star_renames_under_contention_too(team):
    client = team["client"]
    path = f"/workspaces/{team['id']}"
    bodies = [{"name": f"Name {n}"} for n in range(4)]
    assert patch_at_once(client, path, bodies, "*") == [200] * 4
    assert client.get(path).json()["version"] == 1 + 4
