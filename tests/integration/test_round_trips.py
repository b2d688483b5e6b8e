"""DynamoDB round trips per request, counted with a botocore event hook on the app's own client
(the app runs in-process here, against the same emulator and resources).

Budgets: a single read is one BatchGetItem (membership, workspace and item together); a create
is one TransactWriteItems; an update or a delete reads once and writes once (its audit event
needs the old values or the target's name, its response the whole item); a list of a workspace
is at most two calls, whatever its filters and sort; the caller's own tasks across workspaces at
most three. No Scan."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from app import create_app
from app.api.context import EXTENSION
from app.auth import unsubscribe
from app.config import Settings
from app.storage import task_lists
from tests.support.http import ApiClient

BUDGET = {
    "GET /api/v1/me": 0,
    "POST /api/v1/workspaces": 1,
    "GET /api/v1/workspaces": 2,
    "GET /api/v1/workspaces/{id}": 1,
    "PATCH /api/v1/workspaces/{id}": 2,
    "DELETE /api/v1/workspaces/{id}": 2,
    "GET /api/v1/workspaces/{id}/members": 2,
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
    # Invitations: a create reads the caller, the workspace and the address's marker, counts
    # the pending invitations (one Query, Select=COUNT), then writes.
    "POST /api/v1/workspaces/{id}/invitations": 3,
    "GET /api/v1/workspaces/{id}/invitations": 2,
    "DELETE /api/v1/workspaces/{id}/invitations/{invitation}": 2,
    "GET /api/v1/me/invitations": 2,
    "POST /api/v1/me/invitations/{invitation}/accept": 2,
    "POST /api/v1/me/invitations/{invitation}/decline": 2,
    "GET /api/v1/workspaces/{id}/tasks/{task}/comments": 2,
    "POST /api/v1/workspaces/{id}/tasks/{task}/comments": 2,
    "PATCH /api/v1/workspaces/{id}/tasks/{task}/comments/{comment}": 2,
    "DELETE /api/v1/workspaces/{id}/tasks/{task}/comments/{comment}": 2,
    # The read mark, the page (limit + 100), and at most two reads of whose they may be.
    "GET /api/v1/me/notifications": 4,
    # The read mark, the unread (up to 1000, one Query), one read per 50 workspaces among them.
    "GET /api/v1/me/notifications/summary": 3,
    "POST /api/v1/me/notifications/read": 1,
    "GET /api/v1/me/preferences": 1,
    "PUT /api/v1/me/preferences": 1,
    "POST /api/v1/unsubscribe": 1,
    "GET /api/v1/workspaces/{id}/changes": 1,
    "GET /api/v1/workspaces/{id}/changes?after (something changed)": 2,
    "GET /api/v1/workspaces/{id}/changes?after (304)": 1,
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
    feed = call("GET /api/v1/workspaces/{id}/changes", "GET", f"{ws}/changes", 200)
    invited = call(
        "POST /api/v1/workspaces/{id}/invitations",
        "POST",
        f"{ws}/invitations",
        201,
        json={"email": other.email, "role": "viewer"},
    )
    call("GET /api/v1/workspaces/{id}/invitations", "GET", f"{ws}/invitations", 200)
    other_auth = {"Authorization": f"Bearer {other.access_token}"}
    call("GET /api/v1/me/invitations", "GET", "/api/v1/me/invitations", 200, headers=other_auth)
    call(
        "POST /api/v1/me/invitations/{invitation}/accept",
        "POST",
        f"/api/v1/me/invitations/{invited['id']}/accept",
        201,
        headers=other_auth,
    )
    revoked = http.post(
        f"{ws}/invitations", headers=auth, json={"email": "r@example.com", "role": "viewer"}
    )
    call(
        "DELETE /api/v1/workspaces/{id}/invitations/{invitation}",
        "DELETE",
        f"{ws}/invitations/{revoked.get_json()['id']}",
        204,
    )
    declining = stack.new_user("declining")
    to_decline = http.post(
        f"{ws}/invitations", headers=auth, json={"email": declining.email, "role": "viewer"}
    )
    call(
        "POST /api/v1/me/invitations/{invitation}/decline",
        "POST",
        f"/api/v1/me/invitations/{to_decline.get_json()['id']}/decline",
        204,
        headers={"Authorization": f"Bearer {declining.access_token}"},
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
    comment = call(
        "POST /api/v1/workspaces/{id}/tasks/{task}/comments",
        "POST",
        f"{task}/comments",
        201,
        json={"body": "hi", "mentions": [other.user_id]},
    )
    call("GET /api/v1/workspaces/{id}/tasks/{task}/comments", "GET", f"{task}/comments", 200)
    call(
        "PATCH /api/v1/workspaces/{id}/tasks/{task}/comments/{comment}",
        "PATCH",
        f"{task}/comments/{comment['id']}",
        200,
        json={"body": "hello"},
        headers={"If-Match": '"1"'},
    )
    call(
        "DELETE /api/v1/workspaces/{id}/tasks/{task}/comments/{comment}",
        "DELETE",
        f"{task}/comments/{comment['id']}",
        204,
        headers={"If-Match": '"2"'},
    )
    after = feed["next"]
    changed = call(
        "GET /api/v1/workspaces/{id}/changes?after (something changed)",
        "GET",
        f"{ws}/changes?after={after}",
        200,
    )
    assert changed["changes"]
    etag = http.get(f"{ws}/changes?after={changed['next']}", headers=auth).headers["ETag"]
    call(
        "GET /api/v1/workspaces/{id}/changes?after (304)",
        "GET",
        f"{ws}/changes?after={changed['next']}",
        304,
        headers={"If-None-Match": etag},
    )
    # The other member's notifications (the assignment, the mention), once the notifier wrote
    # them.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mine = http.get("/api/v1/me/notifications", headers=other_auth).get_json()["items"]
        if len(mine) >= 2:
            break
        time.sleep(0.2)
    listed = call(
        "GET /api/v1/me/notifications", "GET", "/api/v1/me/notifications", 200, headers=other_auth
    )
    assert len(listed["items"]) >= 2
    call(
        "GET /api/v1/me/notifications/summary",
        "GET",
        "/api/v1/me/notifications/summary",
        200,
        headers=other_auth,
    )
    call(
        "POST /api/v1/me/notifications/read",
        "POST",
        "/api/v1/me/notifications/read",
        204,
        json={"up_to": listed["items"][0]["id"]},
        headers=other_auth,
    )
    call("GET /api/v1/me/preferences", "GET", "/api/v1/me/preferences", 200)
    call(
        "PUT /api/v1/me/preferences",
        "PUT",
        "/api/v1/me/preferences",
        200,
        json={"email_notifications": "daily"},
    )
    secret = (
        stack.session.client("secretsmanager")
        .get_secret_value(
            SecretId=stack.environment["UNSUBSCRIBE_SECRET_ARN"], VersionStage="AWSCURRENT"
        )["SecretString"]
        .encode()
    )
    http.post("/api/v1/unsubscribe", json={"token": unsubscribe.sign(secret, me)})  # keys cached
    call(
        "POST /api/v1/unsubscribe",
        "POST",
        "/api/v1/unsubscribe",
        200,
        json={"token": unsubscribe.sign(secret, me)},
        headers={"Authorization": ""},
    )
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


# Filters, search and labels (docs/data-model.md, "Filters, search and their cost"): the
# membership read, then one Query per stream (a status of the set; under due_date, a priority of
# the set), or a label's or a word's entries and one BatchGetItem of their tasks (at most 100).
# Here every stream fills its page in one read; at 10,000 tasks a filtered stream reads on
# (bench/list_costs.py measures it).
ORGANISING_BUDGET = {
    "GET .../tasks?status=a,b": 3,
    "GET .../tasks?status=a,b,c": 2,
    "GET .../tasks?status=a,b&assignee_id": 3,
    "GET .../tasks?priority=a,b": 2,
    "GET .../tasks?sort=-priority": 2,
    "GET .../tasks?priority=a,b&sort=-priority (adjacent)": 2,
    "GET .../tasks?priority=a,c&sort=-priority": 3,
    "GET .../tasks?priority=a,b&sort=due_date": 3,
    "GET .../tasks?status=a,b&priority=a,b&sort=due_date": 5,
    "GET .../tasks?label": 3,
    "GET .../tasks?q": 3,
    "GET .../tasks?q&label&status=a,b&sort=-priority": 3,
    "GET .../tasks?q (a common word: filtered copies)": 3,
    # A page after the first starts at the cursor's task (read again, one more item): no
    # second read to fill the page.
    "GET .../tasks?limit=2&cursor (second page)": 2,
    "GET .../tasks?status=a,b&limit=2&cursor (second page)": 3,
    "GET .../tasks?q&limit=2&cursor (second page)": 3,
    "GET /api/v1/me/tasks?status=todo,in_progress": 3,
    "GET /api/v1/me/tasks?status=todo,done": 3,
    "GET .../labels": 2,
    "POST .../labels": 1,
    "GET .../labels/{label}": 1,
    "PATCH .../labels/{label}": 2,
    "DELETE .../labels/{label}": 2,
    "POST .../tasks (with labels)": 1,
    "PATCH .../tasks/{task} (labels, priority)": 2,
}


def test_every_filter_combination_and_label_call_keeps_its_budget(
    stack, app_and_counter, user, monkeypatch
):
    app, counter = app_and_counter
    http = app.test_client()
    auth = {"Authorization": f"Bearer {user.access_token}"}
    measured: dict[str, Counter] = {}

    def call(label, method, path, expected=200, **kwargs):
        counter.calls.clear()
        response = http.open(
            path, method=method, headers={**auth, **kwargs.pop("headers", {})}, **kwargs
        )
        assert response.status_code == expected, (label, response.get_data(as_text=True))
        measured[label] = Counter(counter.calls)
        return response.get_json(silent=True)

    created = http.post("/api/v1/workspaces", headers=auth, json={"name": "b"}).get_json()
    ws = f"/api/v1/workspaces/{created['id']}"
    bug = call("POST .../labels", "POST", f"{ws}/labels", 201, json={"name": "bug", "color": "red"})
    call("GET .../labels", "GET", f"{ws}/labels")
    call("GET .../labels/{label}", "GET", f"{ws}/labels/{bug['id']}")
    task = call(
        "POST .../tasks (with labels)",
        "POST",
        f"{ws}/tasks",
        201,
        json={"title": "Weekly reunion", "labels": [bug["id"]], "assignee_id": user.user_id},
    )
    call(
        "PATCH .../tasks/{task} (labels, priority)",
        "PATCH",
        f"{ws}/tasks/{task['id']}",
        json={"labels": [], "priority": "high", "status": "in_progress"},
        headers={"If-Match": '"1"'},
    )
    for n, status in enumerate(["todo", "done", "in_progress", "todo"]):
        http.post(
            f"{ws}/tasks",
            headers=auth,
            json={
                "title": f"reunion {n}",
                "status": status,
                "priority": ["urgent", "low", "high", "medium"][n],
                "labels": [bug["id"]],
                "assignee_id": user.user_id,
                "due_date": f"2026-12-0{n + 1}",
            },
        )
    me = user.user_id
    for label, query in [
        ("GET .../tasks?status=a,b", "status=todo,done"),
        ("GET .../tasks?status=a,b,c", "status=todo,done,in_progress"),
        ("GET .../tasks?status=a,b&assignee_id", f"status=todo,done&assignee_id={me}"),
        ("GET .../tasks?priority=a,b", "priority=urgent,low"),
        ("GET .../tasks?sort=-priority", "sort=-priority"),
        (
            "GET .../tasks?priority=a,b&sort=-priority (adjacent)",
            "priority=urgent,high&sort=-priority",
        ),
        ("GET .../tasks?priority=a,c&sort=-priority", "priority=urgent,medium&sort=-priority"),
        ("GET .../tasks?priority=a,b&sort=due_date", "priority=urgent,low&sort=due_date"),
        (
            "GET .../tasks?status=a,b&priority=a,b&sort=due_date",
            "status=todo,done&priority=urgent,low&sort=due_date",
        ),
        ("GET .../tasks?label", f"label={bug['id']}"),
        ("GET .../tasks?q", "q=reu"),
        (
            "GET .../tasks?q&label&status=a,b&sort=-priority",
            f"q=reu&label={bug['id']}&status=todo,done&sort=-priority",
        ),
    ]:
        assert call(label, "GET", f"{ws}/tasks?{query}")["items"], label
    for label, query in [
        ("GET .../tasks?limit=2&cursor (second page)", "limit=2"),
        (
            "GET .../tasks?status=a,b&limit=2&cursor (second page)",
            "status=todo,in_progress&limit=2",
        ),
        ("GET .../tasks?q&limit=2&cursor (second page)", "q=reu&limit=2"),
    ]:
        first = http.get(f"{ws}/tasks?{query}", headers=auth).get_json()
        second = call(label, "GET", f"{ws}/tasks?{query}&cursor={first['next_cursor']}")
        assert len(second["items"]) == 2, label
    # A word on more tasks than ENTRY_LIMIT: its entries are looked at, then the filtered copies
    # read.
    with monkeypatch.context() as patch:
        patch.setattr(task_lists, "ENTRY_LIMIT", 0)
        call("GET .../tasks?q (a common word: filtered copies)", "GET", f"{ws}/tasks?q=weekly")
    call(
        "GET /api/v1/me/tasks?status=todo,in_progress",
        "GET",
        "/api/v1/me/tasks?status=todo,in_progress",
    )
    call("GET /api/v1/me/tasks?status=todo,done", "GET", "/api/v1/me/tasks?status=done,todo")
    call(
        "PATCH .../labels/{label}",
        "PATCH",
        f"{ws}/labels/{bug['id']}",
        json={"name": "defect"},
        headers={"If-Match": '"1"'},
    )
    call(
        "DELETE .../labels/{label}",
        "DELETE",
        f"{ws}/labels/{bug['id']}",
        204,
        headers={"If-Match": '"2"'},
    )

    print("\nDynamoDB calls per request:")
    for label, calls in measured.items():
        print(f"  {sum(calls.values())}  {label}  {dict(calls)}")
    assert set(measured) == set(ORGANISING_BUDGET)
    for label, calls in measured.items():
        assert sum(calls.values()) <= ORGANISING_BUDGET[label], (label, dict(calls))
        assert "Scan" not in calls
        assert calls["TransactWriteItems"] <= 1


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
    invited = http.post(
        f"/api/v1/workspaces/{wid}/invitations",
        headers={"Authorization": f"Bearer {owner.access_token}"},
        json={"email": member.email, "role": "viewer"},
    )
    assert invited.status_code == 201
    # Accepted through the stack's own API process: this process has not seen the member yet,
    # so their next request here is their first, and their email is due for a check.
    accepted = ApiClient(stack.api, member.access_token).post(
        f"/me/invitations/{invited.get_json()['id']}/accept"
    )
    assert accepted.status_code == 201, accepted.text
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
