"""DynamoDB round trips per request, counted with a botocore event hook on the app's own client
(the app runs in-process here, against the same emulator and resources).

Budgets: a single read is one BatchGetItem (membership, workspace and item together); a create
or a delete is one TransactWriteItems; an update reads once and writes once (its audit event
needs the old values, its response the whole item); a list is at most two calls. No Scan."""

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
    "DELETE /api/v1/workspaces/{id}": 1,
    "GET /api/v1/workspaces/{id}/members": 2,
    "POST /api/v1/workspaces/{id}/members": 2,
    "PATCH /api/v1/workspaces/{id}/members/{user}": 2,
    "DELETE /api/v1/workspaces/{id}/members/{user}": 2,
    "POST /api/v1/workspaces/{id}/tasks": 1,
    "GET /api/v1/workspaces/{id}/tasks": 2,
    "GET /api/v1/workspaces/{id}/tasks?status&assignee_id": 2,
    "GET /api/v1/workspaces/{id}/tasks/{task}": 1,
    "PATCH /api/v1/workspaces/{id}/tasks/{task}": 2,
    "DELETE /api/v1/workspaces/{id}/tasks/{task}": 1,
    "GET /api/v1/workspaces/{id}/audit": 2,
    "GET /readyz": 1,
}


class CallCounter:
    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, model, **_kwargs):
        self.calls.append(model.name)


@pytest.fixture(scope="module")
def app_and_counter(stack):
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, stack.environment[name])
        app = create_app(Settings.from_env(stack.environment))
        counter = CallCounter()
        app.extensions[EXTENSION].clients.dynamodb.meta.events.register(
            "before-call.dynamodb", counter
        )
        yield app, counter


def _unused():
    app = None
    counter = CallCounter()
    app.extensions[EXTENSION].clients.dynamodb.meta.events.register("before-call.dynamodb", counter)
    return app, counter


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
    call("GET /api/v1/workspaces/{id}/tasks", "GET", f"{ws}/tasks", 200)
    call(
        "GET /api/v1/workspaces/{id}/tasks?status&assignee_id",
        "GET",
        f"{ws}/tasks?status=todo&assignee_id={other.user_id}",
        200,
    )
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


def test_no_code_path_scans():
    source = Path(__file__).resolve().parents[2] / "app"
    offenders = [
        str(path)
        for path in source.rglob("*.py")
        if ".scan(" in path.read_text() or '"scan"' in path.read_text().lower()
    ]
    assert offenders == []
