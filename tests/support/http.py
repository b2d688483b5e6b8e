"""A small HTTP client for the API under test: bearer token, JSON, nothing hidden."""

from __future__ import annotations

import threading
from typing import Any

import requests


class ApiClient:
    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token is not None and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        return self.session.request(method, url, headers=headers, timeout=15, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_workspace(self, name: str = "Workspace") -> dict[str, Any]:
        response = self.post("/workspaces", json={"name": name})
        assert response.status_code == 201, response.text
        return response.json()

    def invite(self, workspace_id: str, email: str, role: str) -> dict[str, Any]:
        response = self.post(
            f"/workspaces/{workspace_id}/invitations", json={"email": email, "role": role}
        )
        assert response.status_code == 201, response.text
        return response.json()

    def add_member(self, workspace_id: str, person: Any, role: str) -> dict[str, Any]:
        """`person` joins the workspace with `role` the only way there is: this client invites
        their email, and they accept with their own token. Returns the member. `person` is a
        TestUser, or the email of a user the tests made (tests.support.stack.USERS_BY_EMAIL)."""
        if isinstance(person, str):
            from tests.support.stack import USERS_BY_EMAIL  # noqa: PLC0415 -- stack imports devstack

            person = USERS_BY_EMAIL[person.lower()]
        invitation = self.invite(workspace_id, person.email, role)
        invitee = ApiClient(self.base_url, person.access_token)
        response = invitee.post(f"/me/invitations/{invitation['id']}/accept")
        assert response.status_code == 201, response.text
        return response.json()

    def create_task(self, workspace_id: str, **fields: Any) -> dict[str, Any]:
        response = self.post(f"/workspaces/{workspace_id}/tasks", json={"title": "Task", **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def all_items(self, path: str, limit: int = 100) -> list[dict[str, Any]]:
        """Every item of a list, following cursors."""
        items: list[dict[str, Any]] = []
        cursor = None
        separator = "&" if "?" in path else "?"
        while True:
            query = f"{path}{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            response = self.get(query)
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return items


def patch_at_once(
    client: ApiClient, path: str, bodies: list[dict[str, Any]], if_match: str
) -> list[int]:
    """Send one PATCH per body, all released together, each on its own connection; the statuses
    come back sorted."""
    statuses: list[int] = []
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> None:
        own = ApiClient(client.base_url, client.token)
        barrier.wait()
        statuses.append(own.patch(path, json=body, headers={"If-Match": if_match}).status_code)

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body
