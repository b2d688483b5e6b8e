"""The checks and headers of every response (app/api/http.py), on an app with only them."""

from __future__ import annotations

import pytest
from flask import Flask

from app.api.http import MAX_HEADER_BYTES, register_http_hooks
from app.api.problems import register_error_handlers


@pytest.fixture
def client():
    app = Flask(__name__)
    app.add_url_rule("/api/v1/thing", "thing", lambda: {"ok": True})
    app.add_url_rule(
        "/named", "named", lambda: ({"ok": True}, {"Server": "werkzeug", "X-Powered-By": "Flask"})
    )
    register_error_handlers(app)
    register_http_hooks(app, csp="default-src 'self'", strict_transport=False, deadline_s=2.5)
    return app.test_client()


@pytest.mark.parametrize("name", ["Authorization", "X-Anything", "Content-Type"])
def test_any_header_over_8_kib_is_a_431(client, name):
    reply = client.get("/api/v1/thing", headers={name: "a" * (MAX_HEADER_BYTES + 1)})
    assert reply.status_code == 431
    assert reply.mimetype == "application/problem+json"
    assert reply.headers["Cache-Control"] == "no-store"


def test_headers_of_8_kib_each_pass(client):
    headers = {"Authorization": "a" * MAX_HEADER_BYTES, "Content-Type": "b" * MAX_HEADER_BYTES}
    reply = client.get("/api/v1/thing", headers=headers)
    assert reply.status_code == 200
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_a_url_over_8_kib_is_a_414(client):
    assert client.get("/api/v1/thing?q=" + "a" * 8200).status_code == 414


def test_no_header_names_the_server_software(client):
    reply = client.get("/named")
    assert reply.status_code == 200
    assert "Server" not in reply.headers and "X-Powered-By" not in reply.headers
    assert reply.headers["Referrer-Policy"] == "no-referrer"
