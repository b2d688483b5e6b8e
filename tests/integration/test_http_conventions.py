"""Health, documents, headers and the error format, as docs/api.md states them."""

from __future__ import annotations

import requests

from tests.support.http import assert_problem

# Every operation of docs/api.md, with its path parameter names; nothing else.
CONTRACT_OPERATIONS = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/me/tasks"),
    ("get", "/api/v1/workspaces"),
    ("post", "/api/v1/workspaces"),
    ("get", "/api/v1/workspaces/{workspace_id}"),
    ("patch", "/api/v1/workspaces/{workspace_id}"),
    ("delete", "/api/v1/workspaces/{workspace_id}"),
    ("get", "/api/v1/workspaces/{workspace_id}/members"),
    ("patch", "/api/v1/workspaces/{workspace_id}/members/{user_id}"),
    ("delete", "/api/v1/workspaces/{workspace_id}/members/{user_id}"),
    ("get", "/api/v1/workspaces/{workspace_id}/tasks"),
    ("post", "/api/v1/workspaces/{workspace_id}/tasks"),
    ("get", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}"),
    ("patch", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}"),
    ("delete", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}"),
    ("get", "/api/v1/workspaces/{workspace_id}/audit"),
    # The additions of 2026-12-06.
    ("get", "/api/v1/workspaces/{workspace_id}/invitations"),
    ("post", "/api/v1/workspaces/{workspace_id}/invitations"),
    ("delete", "/api/v1/workspaces/{workspace_id}/invitations/{invitation_id}"),
    ("get", "/api/v1/me/invitations"),
    ("post", "/api/v1/me/invitations/{invitation_id}/accept"),
    ("post", "/api/v1/me/invitations/{invitation_id}/decline"),
    ("get", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/comments"),
    ("post", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/comments"),
    ("patch", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/comments/{comment_id}"),
    ("delete", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/comments/{comment_id}"),
    ("get", "/api/v1/me/notifications"),
    ("get", "/api/v1/me/notifications/summary"),
    ("post", "/api/v1/me/notifications/read"),
    ("get", "/api/v1/me/preferences"),
    ("put", "/api/v1/me/preferences"),
    ("post", "/api/v1/unsubscribe"),
    ("get", "/api/v1/workspaces/{workspace_id}/changes"),
    ("get", "/api/v1/workspaces/{workspace_id}/labels"),
    ("post", "/api/v1/workspaces/{workspace_id}/labels"),
    # One label, for its ETag and the Location of a new one (docs/api.md, Labels).
    ("get", "/api/v1/workspaces/{workspace_id}/labels/{label_id}"),
    ("patch", "/api/v1/workspaces/{workspace_id}/labels/{label_id}"),
    ("delete", "/api/v1/workspaces/{workspace_id}/labels/{label_id}"),
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def test_healthz_checks_only_the_process(stack):
    response = requests.get(f"{stack.base_url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_dynamodb_answering(stack):
    response = requests.get(f"{stack.base_url}/readyz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_openapi_document_is_3_1_and_lists_the_contracts_operations(stack):
    document = requests.get(f"{stack.base_url}/api/openapi.json", timeout=5).json()
    assert document["openapi"].startswith("3.1")
    operations = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert operations == CONTRACT_OPERATIONS
    assert all(path.startswith(("/api/v1/", "/healthz", "/readyz")) for _, path in operations)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    error = document["paths"]["/api/v1/workspaces"]["post"]["responses"]["default"]
    assert error["$ref"] == "#/components/responses/DEFAULT_ERROR"
    assert (
        "application/problem+json"
        in document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    )


def test_api_docs_are_html_without_scripts(stack):
    response = requests.get(f"{stack.base_url}/api/docs", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<script" not in response.text
    assert "/api/v1/workspaces/{workspace_id}" in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_config_json_tells_the_browser_where_cognito_is(stack):
    config = requests.get(f"{stack.base_url}/config.json", timeout=5).json()
    assert config == {
        "apiBaseUrl": "/api/v1",
        "region": "us-east-1",
        "userPoolId": stack.stack.user_pool_id,
        "userPoolClientId": stack.stack.client_id,
        "cognitoEndpoint": stack.stack.options.endpoint,
    }


def test_every_response_carries_the_conventions_headers(client):
    for response in (
        client.get("/me"),
        client.get("/nowhere"),
        requests.get(client.base_url.replace("/api/v1", "/healthz"), timeout=5),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Server" not in response.headers
        assert "X-Powered-By" not in response.headers
        assert response.headers["X-Request-Id"]
    assert client.get("/me").headers["Cache-Control"] == "no-store"
    assert client.get("/nowhere").headers["Cache-Control"] == "no-store"


def test_a_clients_request_id_is_echoed_and_a_bad_one_replaced(client):
    assert (
        client.get("/me", headers={"X-Request-Id": "abc.DEF_1:2-3"}).headers["X-Request-Id"]
        == "abc.DEF_1:2-3"
    )
    for bad in ("has space", "x" * 129, "semi;colon"):
        echoed = client.get("/me", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert echoed != bad
        assert 1 <= len(echoed) <= 128
    first = client.get("/me").headers["X-Request-Id"]
    assert first != client.get("/me").headers["X-Request-Id"]


def test_unknown_path_is_a_problem(client):
    body = assert_problem(client.get("/nowhere"), 404)
    assert "Traceback" not in str(body)
    assert_problem(requests.get(client.base_url.replace("/api/v1", "/nope"), timeout=5), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.request("PUT", "/workspaces")
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed


def test_body_over_64_kib_is_413(client):
    response = client.post(
        "/workspaces",
        data=b'{"name": "' + b"x" * (65 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 413)


def test_body_that_is_not_json_is_415(client):
    response = client.post("/workspaces", data="name=x", headers={"Content-Type": "text/plain"})
    assert_problem(response, 415)
    assert_problem(client.post("/workspaces", data=b"{}"), 415)


def test_malformed_json_is_400(client):
    response = client.post(
        "/workspaces", data=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400)
    response = client.post(
        "/workspaces", data=b'{"name": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400)


def test_input_that_breaks_rules_is_422_naming_every_field(client):
    body = assert_problem(client.post("/workspaces", json={"name": "", "colour": "red"}), 422)
    assert set(body["errors"]) == {"name", "colour"}
    body = assert_problem(client.post("/workspaces", json={"name": 5}), 422)
    assert set(body["errors"]) == {"name"}
    body = assert_problem(client.post("/workspaces", json=["name"]), 422)
    assert body["errors"]
    body = assert_problem(client.post("/workspaces", json={"name": "x" * 101}), 422)
    assert set(body["errors"]) == {"name"}
    assert_problem(client.post("/workspaces", json={}), 422)


def test_query_parameters_of_the_wrong_type_or_range_are_422(client):
    for query in ("limit=abc", "limit=0", "limit=101", "limit=1.5"):
        body = assert_problem(client.get(f"/workspaces?{query}"), 422)
        assert set(body["errors"]) == {"limit"}, query
