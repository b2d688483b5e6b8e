"""Labels over HTTP (docs/api.md, "Labels"): listed by name, unique names ignoring case, colours,
versions and If-Match, roles, the audit trail, tasks' labels, and what a deleted label leaves
behind: nothing in the list at once, nothing on any task within 60 s."""

from __future__ import annotations

import time

import pytest

from tests.support.http import ApiClient, assert_problem

LABEL_FIELDS = ["id", "name", "color", "version", "created_at"]


@pytest.fixture
def workspace(client):
    return client.create_workspace("Labels")["id"]


def labels_path(workspace_id: str) -> str:
    return f"/workspaces/{workspace_id}/labels"


def create_label(client: ApiClient, workspace_id: str, name: str, color: str = "blue") -> dict:
    response = client.post(labels_path(workspace_id), json={"name": name, "color": color})
    assert response.status_code == 201, response.text
    return response.json()


def all_labels(client: ApiClient, workspace_id: str, limit: int = 2) -> list[dict]:
    return client.all_items(labels_path(workspace_id), limit=limit)


def test_a_label_is_created_read_and_listed_by_name(client, workspace):
    response = client.post(labels_path(workspace), json={"name": "Bug", "color": "red"})
    assert response.status_code == 201
    label = response.json()
    assert list(label) == LABEL_FIELDS
    assert (label["name"], label["color"], label["version"]) == ("Bug", "red", 1)
    assert response.headers["ETag"] == '"1"'
    location = response.headers["Location"].removeprefix("/api/v1")
    assert location == f"{labels_path(workspace)}/{label['id']}"
    assert client.get(location).json() == label
    assert client.get(location, headers={"If-None-Match": '"1"'}).status_code == 304
    for name in ["zeta", "Éclair", "alpha", "delta", "Ätzend", "beta"]:
        create_label(client, workspace, name)
    # By name, ignoring case and accents: é sorts with e, Ä with a.
    names = [each["name"] for each in all_labels(client, workspace)]
    assert names == ["alpha", "Ätzend", "beta", "Bug", "delta", "Éclair", "zeta"]
    assert all_labels(client, workspace, limit=100) == all_labels(client, workspace, limit=1)


def test_names_are_unique_ignoring_case(client, workspace):
    bug = create_label(client, workspace, "Bug")
    # Full-width letters are the same letters (NFKC) too.
    for taken in ["bug", "BUG", "\uff22\uff35\uff27"]:
        problem = assert_problem(
            client.post(labels_path(workspace), json={"name": taken, "color": "red"}), 409
        )
        assert "name" in problem["detail"]
    other = create_label(client, workspace, "Feature")
    path = f"{labels_path(workspace)}/{other['id']}"
    assert_problem(client.patch(path, json={"name": "bUg"}, headers={"If-Match": '"1"'}), 409)
    # A label may change the case of its own name; the old name is then free for no one else.
    renamed = client.patch(
        f"{labels_path(workspace)}/{bug['id']}", json={"name": "BUG"}, headers={"If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["version"]) == ("BUG", 2)
    assert_problem(client.post(labels_path(workspace), json={"name": "bug", "color": "red"}), 409)
    # A rename frees the old name.
    assert (
        client.patch(
            f"{labels_path(workspace)}/{bug['id']}",
            json={"name": "Defect"},
            headers={"If-Match": '"2"'},
        ).json()["name"]
        == "Defect"
    )
    create_label(client, workspace, "bug")


def test_every_field_is_validated(client, workspace):
    cases = [
        ({"name": "x" * 41, "color": "red"}, {"name"}),
        ({"name": "   ", "color": "red"}, {"name"}),
        ({"name": "ok", "color": "crimson"}, {"color"}),
        ({"name": "ok"}, {"color"}),
        ({"color": "red", "rank": 1}, {"name", "rank"}),
        ({"name": "a\nb", "color": "red"}, {"name"}),
    ]
    for body, fields in cases:
        problem = assert_problem(client.post(labels_path(workspace), json=body), 422)
        assert set(problem["errors"]) == fields, body
    label = create_label(client, workspace, "ok")
    path = f"{labels_path(workspace)}/{label['id']}"
    problem = assert_problem(
        client.patch(path, json={"color": "black", "id": "x"}, headers={"If-Match": '"1"'}), 422
    )
    assert set(problem["errors"]) == {"color", "id"}
    assert create_label(client, workspace, "x" * 40)["name"] == "x" * 40


def test_changes_need_if_match_and_lose_to_a_newer_version(client, workspace):
    label = create_label(client, workspace, "Bug")
    path = f"{labels_path(workspace)}/{label['id']}"
    assert_problem(client.patch(path, json={"color": "red"}), 428)
    assert_problem(client.delete(path), 428)
    assert client.patch(path, json={"color": "red"}, headers={"If-Match": '"1"'}).status_code == 200
    assert_problem(client.patch(path, json={"color": "green"}, headers={"If-Match": '"1"'}), 412)
    assert_problem(client.delete(path, headers={"If-Match": '"1"'}), 412)
    # Nothing to change: the label as it is, same version.
    same = client.patch(path, json={"color": "red"}, headers={"If-Match": '"2"'})
    assert (same.status_code, same.json()["version"]) == (200, 2)
    assert client.delete(path, headers={"If-Match": '"2"'}).status_code == 204
    assert_problem(client.get(path), 404)
    assert_problem(client.delete(path, headers={"If-Match": "*"}), 404)


def test_roles_and_strangers(stack, client, workspace):
    viewer, member, stranger = (stack.new_user(n) for n in ("viewer", "member", "stranger"))
    client.add_member(workspace, viewer, "viewer")
    client.add_member(workspace, member, "member")
    as_viewer = ApiClient(stack.api, viewer.access_token)
    as_member = ApiClient(stack.api, member.access_token)
    as_stranger = ApiClient(stack.api, stranger.access_token)
    label = create_label(as_member, workspace, "From a member")
    path = f"{labels_path(workspace)}/{label['id']}"
    assert [each["id"] for each in all_labels(as_viewer, workspace)] == [label["id"]]
    assert as_viewer.get(path).status_code == 200
    assert_problem(as_viewer.post(labels_path(workspace), json={"name": "v", "color": "red"}), 403)
    assert_problem(as_viewer.patch(path, json={"name": "v"}, headers={"If-Match": '"1"'}), 403)
    assert_problem(as_viewer.delete(path, headers={"If-Match": '"1"'}), 403)
    for call in (
        lambda: as_stranger.get(labels_path(workspace)),
        lambda: as_stranger.get(path),
        lambda: as_stranger.post(labels_path(workspace), json={"name": "s", "color": "red"}),
        lambda: as_stranger.patch(path, json={"name": "s"}, headers={"If-Match": '"1"'}),
        lambda: as_stranger.delete(path, headers={"If-Match": '"1"'}),
    ):
        assert_problem(call(), 404)
    assert as_member.delete(path, headers={"If-Match": '"1"'}).status_code == 204


def test_label_changes_are_audited_with_the_labels_name(client, workspace):
    label = create_label(client, workspace, "Bug", "red")
    path = f"{labels_path(workspace)}/{label['id']}"
    client.patch(path, json={"name": "Defect", "color": "orange"}, headers={"If-Match": '"1"'})
    client.delete(path, headers={"If-Match": '"2"'})
    events = [
        e
        for e in client.get(f"/workspaces/{workspace}/audit").json()["items"]
        if e["target"]["type"] == "label"
    ]
    assert [(e["action"], e["target"]["label"], e["changes"]) for e in events] == [
        ("label.deleted", "Defect", {}),
        ("label.updated", "Defect", {"name": ["Bug", "Defect"], "color": ["red", "orange"]}),
        ("label.created", "Bug", {"name": [None, "Bug"], "color": [None, "red"]}),
    ]
    assert {e["target"]["id"] for e in events} == {label["id"]}


def test_tasks_take_labels_of_their_workspace_only(client, workspace):
    bug = create_label(client, workspace, "bug")
    ux = create_label(client, workspace, "ux")
    elsewhere = create_label(client, client.create_workspace("Other")["id"], "bug")
    task = client.create_task(workspace, title="t", labels=[ux["id"], bug["id"]])
    assert task["labels"] == [ux["id"], bug["id"]]  # in the order given
    path = f"/workspaces/{workspace}/tasks/{task['id']}"
    for labels in ([elsewhere["id"]], [bug["id"], "01M96SHZYB8Y31F1D8VQ6EPB1G"]):
        problem = assert_problem(
            client.patch(path, json={"labels": labels}, headers={"If-Match": '"1"'}), 422
        )
        assert set(problem["errors"]) == {"labels"}
        assert_problem(
            client.post(f"/workspaces/{workspace}/tasks", json={"title": "t", "labels": labels}),
            422,
        )
    many = [create_label(client, workspace, f"l{n}")["id"] for n in range(11)]
    problem = assert_problem(
        client.patch(path, json={"labels": many}, headers={"If-Match": '"1"'}), 422
    )
    assert set(problem["errors"]) == {"labels"}
    changed = client.patch(path, json={"labels": many[:10]}, headers={"If-Match": '"1"'}).json()
    assert changed["labels"] == many[:10]
    # Lower-case ids name the same labels.
    lowered = client.patch(
        path, json={"labels": [bug["id"].lower()]}, headers={"If-Match": '"2"'}
    ).json()
    assert lowered["labels"] == [bug["id"]]
    event = client.get(f"/workspaces/{workspace}/audit?limit=1").json()["items"][0]
    assert event["changes"] == {"labels": [many[:10], [bug["id"]]]}


def test_a_deleted_label_is_gone_at_once_from_the_list_and_within_60s_from_every_task(
    client, workspace
):
    bug = create_label(client, workspace, "bug")
    ux = create_label(client, workspace, "ux")
    tasks = [
        client.create_task(workspace, title=f"t{n}", labels=[bug["id"], ux["id"]]) for n in range(5)
    ]
    assert (
        client.delete(
            f"{labels_path(workspace)}/{bug['id']}", headers={"If-Match": '"1"'}
        ).status_code
        == 204
    )
    assert [each["name"] for each in all_labels(client, workspace)] == ["ux"]
    # Listing by it: nothing, at once.
    listed = client.get(f"/workspaces/{workspace}/tasks?label={bug['id']}")
    assert listed.status_code == 200 and listed.json() == {"items": [], "next_cursor": None}
    # Giving it to a task: refused.
    assert_problem(
        client.post(f"/workspaces/{workspace}/tasks", json={"title": "t", "labels": [bug["id"]]}),
        422,
    )
    deadline = time.monotonic() + 60
    while True:
        found = client.all_items(f"/workspaces/{workspace}/tasks")
        if all(task["labels"] == [ux["id"]] for task in found):
            break
        assert time.monotonic() < deadline, [task["labels"] for task in found]
        time.sleep(0.5)
    for task in tasks:
        now = client.get(f"/workspaces/{workspace}/tasks/{task['id']}")
        # The task changed: a new version, so a stale If-Match or If-None-Match notices.
        assert now.headers["ETag"] == '"2"'
        assert now.json()["labels"] == [ux["id"]]
    assert [
        t["id"] for t in client.all_items(f"/workspaces/{workspace}/tasks?label={ux['id']}")
    ] == [t["id"] for t in reversed(tasks)]
