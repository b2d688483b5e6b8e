"""Input that must be a 4xx, never a 5xx or a false 503 (issue 9, items 6 to 10 and 12), over
HTTP against the real service. The rules themselves are unit-tested in
tests/unit/test_request_input.py; here, that each reaches the client as the contract says."""

from __future__ import annotations

import pytest
import requests

from tests.support.http import ApiClient, assert_problem
from tests.support.stack import running_stack

MADE_UP_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def workspace(stack) -> dict:
    owner = stack.new_user("owner")
    client = ApiClient(stack.api, owner.access_token)
    created = client.create_workspace("Input rules")
    task = client.create_task(created["id"], title="First")
    return {"client": client, "id": created["id"], "task": task}


def _task_path(workspace) -> str:
    return f"/workspaces/{workspace['id']}/tasks/{workspace['task']['id']}"


@pytest.mark.parametrize("if_match", ['""', '"", ""', 'W/"1"', '"x"'])
def test_an_if_match_that_can_never_match_is_412_even_for_a_made_up_id(workspace, if_match):
    client = workspace["client"]
    headers = {"If-Match": if_match}
    for method, path, body in (
        ("PATCH", _task_path(workspace), {"title": "x"}),
        ("DELETE", _task_path(workspace), None),
        ("PATCH", f"/workspaces/{MADE_UP_ID}", {"name": "x"}),
        ("DELETE", f"/workspaces/{MADE_UP_ID}/tasks/{MADE_UP_ID}", None),
    ):
        assert_problem(client.request(method, path, json=body, headers=headers), 412)


@pytest.mark.parametrize("if_match", ["1", '"1" "2"', '*, "1"', '"1'])
def test_an_if_match_that_is_not_entity_tags_is_400(workspace, if_match):
    response = workspace["client"].patch(
        _task_path(workspace), json={"title": "x"}, headers={"If-Match": if_match}
    )
    body = assert_problem(response, 400)
    assert "If-Match" in body["detail"]


def test_if_match_lists_and_star_match_the_current_version(workspace):
    client = workspace["client"]
    path = _task_path(workspace)
    version = client.get(path).json()["version"]
    listed = {"If-Match": f'"0", "{version}"'}
    changed = client.patch(path, json={"title": "Listed"}, headers=listed)
    assert changed.status_code == 200, changed.text
    starred = client.patch(path, json={"title": "Starred"}, headers={"If-Match": "*"})
    assert starred.status_code == 200, starred.text
    assert starred.json()["version"] == version + 2


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"[" * 1000 + b"]" * 1000, "deeper"),
        (b'{"name": ' + b"[" * 1000 + b"]" * 1000 + b"}", "deeper"),
        (b'{"name": ' + b"9" * 4400 + b"}", "number"),
        (b'{"name": NaN}', "NaN"),
        (b'{"name": "a", "x": Infinity}', "Infinity"),
        (b'{"name": 1e400}', "range"),
        (b'{"name": "a", "name": "b"}', "twice"),
    ],
    ids=["empty", "blank", "deep", "deep-field", "long-number", "nan", "inf", "overflow", "dup"],
)
def test_bodies_that_are_not_strict_json_are_400_on_every_write(workspace, body, detail):
    client = workspace["client"]
    for method, path, headers in (
        ("POST", "/workspaces", JSON),
        ("PATCH", f"/workspaces/{workspace['id']}", {**JSON, "If-Match": "*"}),
        ("POST", f"/workspaces/{workspace['id']}/tasks", JSON),
        ("PATCH", _task_path(workspace), {**JSON, "If-Match": "*"}),
        ("POST", f"/workspaces/{workspace['id']}/invitations", JSON),
        ("POST", f"{_task_path(workspace)}/comments", JSON),
        ("PUT", "/me/preferences", JSON),
    ):
        problem = assert_problem(client.request(method, path, data=body, headers=headers), 400)
        assert detail in problem["detail"], (method, path, problem)


@pytest.mark.parametrize("limit", ["\uff15", "\u0665", "+5", " 5", "5 ", "0x5", "5.0"])
def test_limit_takes_ascii_digits_only(workspace, limit):
    client = workspace["client"]
    for path in ("/workspaces", f"/workspaces/{workspace['id']}/tasks"):
        body = assert_problem(client.get(path, params={"limit": limit}), 422)
        assert set(body["errors"]) == {"limit"}


@pytest.fixture(scope="module")
def with_browser_app(emulator, tmp_path_factory):
    """The service as `make dev` runs it: serving a browser app with its catch-all route."""
    app_dir = tmp_path_factory.mktemp("browser-app")
    (app_dir / "index.html").write_text("<!doctype html><title>app</title>")
    with running_stack(frontend_dir=app_dir) as running:
        yield running


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nowhere",
        "/api/v1/workspaces/not-a-ulid",
        "/api/v1/workspaces/ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
        "/api/v1/workspaces/8ZZZZZZZZZZZZZZZZZZZZZZZZZ/tasks",
        f"/api/v1/workspaces/{MADE_UP_ID}/tasks/ILOU0000000000000000000000",
        "/api/v2/workspaces",
        "/api",
    ],
)
def test_an_unknown_api_path_is_404_for_every_method(with_browser_app, path):
    user = with_browser_app.new_user("router")
    headers = {"Authorization": f"Bearer {user.access_token}", **JSON}
    for method in _METHODS:
        response = requests.request(
            method, f"{with_browser_app.base_url}{path}", headers=headers, data=b"{}", timeout=10
        )
        assert_problem(response, 404)
    # The browser app still answers its own routes.
    page = requests.get(f"{with_browser_app.base_url}/workspaces/anything", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("\ud800", "surrogate"),
        ("a\udfffb", "surrogate"),
        ("\u200b\ufeff", "blank"),
        ("\u2066\u2069", "U+2066"),
        ("\u3164", "blank"),
        ("a\x00b", "control"),
        ("\x1b[31mred", "control"),
        ("abc\u202egpj", "RIGHT-TO-LEFT OVERRIDE"),
    ],
    ids=[
        "surrogate",
        "surrogate-inside",
        "zero-width",
        "isolates",
        "hangul-filler",
        "nul",
        "ansi",
        "override",
    ],
)
def test_text_that_is_not_text_is_422_never_a_5xx(workspace, text, rule):
    client = workspace["client"]
    tasks = f"/workspaces/{workspace['id']}/tasks"
    for method, path, body, headers in (
        ("POST", "/workspaces", {"name": text}, {}),
        ("PATCH", f"/workspaces/{workspace['id']}", {"name": text}, {"If-Match": "*"}),
        ("POST", tasks, {"title": text}, {}),
        ("PATCH", _task_path(workspace), {"title": text}, {"If-Match": "*"}),
    ):
        problem = assert_problem(client.request(method, path, json=body, headers=headers), 422)
        (field,) = problem["errors"]
        assert any(rule.lower() in m.lower() for m in problem["errors"][field]), problem


def test_a_description_keeps_its_line_breaks_but_no_other_control(workspace):
    client = workspace["client"]
    tasks = f"/workspaces/{workspace['id']}/tasks"
    kept = client.post(tasks, json={"title": "Notes", "description": "one\n\ttwo\r\n"})
    assert kept.status_code == 201
    assert kept.json()["description"] == "one\n\ttwo\r\n"
    for bad in ("bell\x07", "\ud83d", "\x9b31m"):
        problem = assert_problem(client.post(tasks, json={"title": "x", "description": bad}), 422)
        assert set(problem["errors"]) == {"description"}


def test_names_in_every_script_and_emoji_pass(workspace):
    client = workspace["client"]
    persian_with_zwnj = "\u0646\u0627\u0645\u200c\u0647\u0627"
    for name in ("Équipe", "👩\u200d💻 Devs", "ห้องทำงาน", persian_with_zwnj, "日本", "a b"):
        created = client.post("/workspaces", json={"name": name})
        assert created.status_code == 201, (name, created.text)
        assert created.json()["name"] == name


@pytest.mark.parametrize("due", ["20261231", "2026-W01-1", "2026-12-31T00:00:00", "2026-1-5"])
def test_a_due_date_is_exactly_yyyy_mm_dd(workspace, due):
    client = workspace["client"]
    tasks = f"/workspaces/{workspace['id']}/tasks"
    problem = assert_problem(client.post(tasks, json={"title": "x", "due_date": due}), 422)
    assert set(problem["errors"]) == {"due_date"}
    problem = assert_problem(
        client.patch(_task_path(workspace), json={"due_date": due}, headers={"If-Match": "*"}),
        422,
    )
    assert set(problem["errors"]) == {"due_date"}
