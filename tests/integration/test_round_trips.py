"""DynamoDB round trips per request, counted with a botocore event hook on the app's own client
(the app runs in-process here, against the same emulator and resources).

Budgets: a single read is one BatchGetItem (membership, workspace and item together); a create
is one TransactWriteItems; an update or a delete reads once and writes once (its audit event
needs the old values or the target's name, its response the whole item); a list of a workspace
is at most two calls, whatever its filters and sort; the caller's own tasks across workspaces at
most three. No Scan."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from app import create_app
from app.api.context import EXTENSION
from app.config import Settings

BUDGET = {
    "GET /api/v1/me": 0,
    "POST /api/v1/workspaces": 1,
    "GET /api/v1/workspaces": 2,
    "GET /api/v1/workspaces/{id}": 1,
    "PATCH /api/v1/workspaces/{id}": 2,
    "DELETE /api/v1/workspaces/{id}": 2,
    "GET /api/v1/workspaces/{id}/members": 2,
    "POST /api/v1/workspaces/{id}/members": 2,
    "PATCH /api/v1/workspaces/{id}/members/{user}": 2,
    "DELETE /api/v1/workspaces/{id}/members/{user}": 2,
    "POST /api/v1/workspaces/{id}/tasks": 1,
    "GET /api/v1/workspaces/{id}/tasks": 2,
    "GET /api/v1/workspaces/{id}/tasks?status&assignee_id": 2,
    "GET /api/v1/workspaces/{id}/tasks?sort=due_date": 2,
    "GET /api/v1/workspaces/{id}/tasks?status&sort=due_date": 2,
    "GET /api/v1/workspaces/{id}/tasks?assignee_id&sort=due_date": 2,
    "GET /api/v1/workspaces/{id}/tasks?status&assignee_id&sort=due_date": 2,
    "GET /api/v1/me/tasks": 3,
    "GET /api/v1/me/tasks?status": 3,
    "GET /api/v1/workspaces/{id}/tasks/{task}": 1,
    "PATCH /api/v1/workspaces/{id}/tasks/{task}": 2,
    "DELETE /api/v1/workspaces/{id}/tasks/{task}": 2,
    "GET /api/v1/workspaces/{id}/audit": 2,
    "GET /readyz": 1,
}


class CallCounter:
    def __init__(self):
        self.calls: list[str] = []

    def around(self, call):
        def counted(operation, params):
            self.calls.append(operation)
            return call(operation, params)

        return counted


@pytest.fixture(scope="module")
def app_and_counter(stack):
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, stack.environment[name])
        # Over a hundred workspaces of one owner (test_my_tasks_keep_the_budget_...).
        environment = {**stack.environment, "MAX_OWNED_WORKSPACES": "200"}
        app = create_app(Settings.from_env(environment))
        counter = CallCounter()
        dynamodb = app.extensions[EXTENSION].clients.dynamodb
        patch.setattr(dynamodb, "call", counter.around(dynamodb.call))
        yield app, counter


def test_every_endpoint_keeps_its_budget(stack, app_and_counter, user):
    app, counter = app_and_counter
    other = stack.new_user("other")
    http = app.test_client()
    auth = {"Authorization": f"Bearer {user.access_token}"}
    measured: dict[str, Counter] = {}

    def call(label, method, path, expected, **kwargs):
        counter.calls.clear()
        response = http.open(
            path, method=method, headers={**auth, **kwargs.pop("headers", {})}, **kwargs
        )
        assert response.status_code == expected, (label, response.get_data(as_text=True))
        measured[label] = Counter(counter.calls)
        return response.get_json(silent=True)

    call("GET /api/v1/me", "GET", "/api/v1/me", 200)
    wid = call("POST /api/v1/workspaces", "POST", "/api/v1/workspaces", 201, json={"name": "n"})[
        "id"
    ]
    ws = f"/api/v1/workspaces/{wid}"
    call("GET /api/v1/workspaces", "GET", "/api/v1/workspaces", 200)
    call("GET /api/v1/workspaces/{id}", "GET", ws, 200)
    call(
        "PATCH /api/v1/workspaces/{id}",
        "PATCH",
        ws,
        200,
        json={"name": "m"},
        headers={"If-Match": '"1"'},
    )
    call(
        "POST /api/v1/workspaces/{id}/members",
        "POST",
        f"{ws}/members",
        201,
        json={"email": other.email, "role": "viewer"},
    )
    call("GET /api/v1/workspaces/{id}/members", "GET", f"{ws}/members", 200)
    member = f"{ws}/members/{other.user_id}"
    call(
        "PATCH /api/v1/workspaces/{id}/members/{user}",
        "PATCH",
        member,
        200,
        json={"role": "member"},
    )
    tid = call(
        "POST /api/v1/workspaces/{id}/tasks",
        "POST",
        f"{ws}/tasks",
        201,
        json={"title": "t", "assignee_id": other.user_id},
    )["id"]
    me = user.user_id
    mine = http.post(
        f"{ws}/tasks",
        headers=auth,
        json={"title": "mine", "assignee_id": me, "due_date": "2026-12-01"},
    )
    assert mine.status_code == 201
    call("GET /api/v1/workspaces/{id}/tasks", "GET", f"{ws}/tasks", 200)
    call(
        "GET /api/v1/workspaces/{id}/tasks?status&assignee_id",
        "GET",
        f"{ws}/tasks?status=todo&assignee_id={other.user_id}",
        200,
    )
    for label, query in [
        ("GET /api/v1/workspaces/{id}/tasks?sort=due_date", ""),
        ("GET /api/v1/workspaces/{id}/tasks?status&sort=due_date", "&status=todo"),
        ("GET /api/v1/workspaces/{id}/tasks?assignee_id&sort=due_date", f"&assignee_id={me}"),
        (
            "GET /api/v1/workspaces/{id}/tasks?status&assignee_id&sort=due_date",
            f"&assignee_id={me}&status=todo",
        ),
    ]:
        listed = call(label, "GET", f"{ws}/tasks?sort=due_date{query}", 200)
        assert listed["items"], label
    call("GET /api/v1/me/tasks", "GET", "/api/v1/me/tasks", 200)
    call("GET /api/v1/me/tasks?status", "GET", "/api/v1/me/tasks?status=todo", 200)
    task = f"{ws}/tasks/{tid}"
    call("GET /api/v1/workspaces/{id}/tasks/{task}", "GET", task, 200)
    call(
        "PATCH /api/v1/workspaces/{id}/tasks/{task}",
        "PATCH",
        task,
        200,
        json={"status": "done"},
        headers={"If-Match": '"1"'},
    )
    call(
        "DELETE /api/v1/workspaces/{id}/tasks/{task}",
        "DELETE",
        task,
        204,
        headers={"If-Match": '"2"'},
    )
    call("DELETE /api/v1/workspaces/{id}/members/{user}", "DELETE", member, 204)
    call("GET /api/v1/workspaces/{id}/audit", "GET", f"{ws}/audit", 200)
    call("DELETE /api/v1/workspaces/{id}", "DELETE", ws, 204, headers={"If-Match": '"2"'})
    call("GET /readyz", "GET", "/readyz", 200)

    print("\nDynamoDB calls per request:")
    for label, calls in measured.items():
        print(f"  {sum(calls.values())}  {label}  {dict(calls)}")
    assert set(measured) == set(BUDGET)
    for label, calls in measured.items():
        assert sum(calls.values()) <= BUDGET[label], (label, dict(calls))
        assert "Scan" not in calls
    writes = {label: calls for label, calls in measured.items() if "TransactWriteItems" in calls}
    assert all(calls["TransactWriteItems"] == 1 for calls in writes.values())


def test_my_tasks_keep_the_budget_over_a_hundred_workspaces(stack, app_and_counter):
    """Each page of /me/tasks reads at most 100 workspaces (two BatchGetItem of 50) beside its
    one Query; a page whose tasks spread wider stops at the 101st workspace, short only if some
    of the first hundred were left out (here: deleted)."""
    app, counter = app_and_counter
    owner = stack.new_user("spread")
    http = app.test_client()
    auth = {"Authorization": f"Bearer {owner.access_token}"}
    workspaces = []
    for n in range(105):
        wid = http.post("/api/v1/workspaces", headers=auth, json={"name": f"w{n}"}).get_json()["id"]
        due = f"2026-{n // 28 + 1:02d}-{n % 28 + 1:02d}"
        created = http.post(
            f"/api/v1/workspaces/{wid}/tasks",
            headers=auth,
            json={"title": f"t{n}", "assignee_id": owner.user_id, "due_date": due},
        )
        assert created.status_code == 201
        workspaces.append(wid)
    titles, sizes, cursor = [], [], None
    # The deleted workspaces' tasks are still in the index: before the purge has removed them
    # (which the local stack's stream functions would do at once).
    with stack.stack.streams.paused():
        for wid in workspaces[10:13]:
            gone = http.delete(f"/api/v1/workspaces/{wid}", headers={**auth, "If-Match": '"1"'})
            assert gone.status_code == 204
        while True:
            counter.calls.clear()
            query = "limit=100" + (f"&cursor={cursor}" if cursor else "")
            page = http.get(f"/api/v1/me/tasks?{query}", headers=auth).get_json()
            assert len(counter.calls) <= 3, counter.calls
            assert "Scan" not in counter.calls
            sizes.append(len(page["items"]))
            titles += [t["title"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert sizes == [97, 5]
    assert titles == [f"t{n}" for n in range(105) if n not in (10, 11, 12)]


def test_no_code_path_scans():
    source = Path(__file__).resolve().parents[2] / "app"
    offenders = [
        str(path)
        for path in source.rglob("*.py")
        if ".scan(" in path.read_text() or '"scan"' in path.read_text().lower()
    ]
    assert offenders == []


def test_an_email_refresh_keeps_its_budget(stack, app_and_counter):
    """After a member's first request to a process (then at most every five minutes), once the
    response is closed: one Query of their memberships, one write per membership whose email
    the user pool changed (app/domain/emails.py). The request itself keeps its budget."""
    app, counter = app_and_counter
    owner, member = stack.new_user("owner"), stack.new_user("moved")
    http = app.test_client()
    wid = http.post(
        "/api/v1/workspaces",
        headers={"Authorization": f"Bearer {owner.access_token}"},
        json={"name": "n"},
    ).get_json()["id"]
    added = http.post(
        f"/api/v1/workspaces/{wid}/members",
        headers={"Authorization": f"Bearer {owner.access_token}"},
        json={"email": member.email, "role": "viewer"},
    )
    assert added.status_code == 201
    moved = f"moved-{member.user_id[:8]}@example.com"
    stack.cognito.admin_update_user_attributes(
        UserPoolId=stack.stack.user_pool_id,
        Username=member.email,
        UserAttributes=[
            {"Name": "email", "Value": moved},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    counter.calls.clear()
    response = http.get("/api/v1/me", headers={"Authorization": f"Bearer {member.access_token}"})
    assert response.status_code == 200 and counter.calls == []
    response.close()  # as gunicorn closes it once sent: the refresh runs now
    assert Counter(counter.calls) == {"Query": 1, "TransactWriteItems": 1}
    listed = http.get(
        f"/api/v1/workspaces/{wid}/members",
        headers={"Authorization": f"Bearer {owner.access_token}"},
    ).get_json()["items"]
    assert {m["email"] for m in listed} == {owner.email, moved}
