"""Request arguments are parsed by one schema instance per endpoint (app/api/v1.py), which
keeps nothing of one request for the next."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api
from marshmallow import RAISE

from app.api import schemas
from app.api.v1 import V1Blueprint


@pytest.fixture
def made(monkeypatch):
    """A client of an app with one list endpoint, and the TaskListArgs made since it was built."""
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.1.0")
    api = Api(app)
    blp = V1Blueprint("things", __name__)

    @blp.route("/things")
    class Things(MethodView):
        @blp.arguments(schemas.TaskListArgs, location="query", unknown=RAISE)
        @blp.response(200)
        def get(self, args):
            # A set (status, priority) as a list, for JSON.
            return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in args.items()}

    api.register_blueprint(blp)
    made = []
    original = schemas.TaskListArgs.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(schemas.TaskListArgs, "__init__", counting)
    return app.test_client(), made


def test_no_schema_is_made_per_request_and_none_remembers_the_last(made):
    client, instances = made
    assert client.get("/things?status=done&limit=5").get_json() == {
        "status": ["done"],
        "limit": 5,
        "cursor": None,
    }
    assert client.get("/things").get_json() == {"limit": 25, "cursor": None}
    assert client.get("/things?unknown=1").status_code == 422
    assert client.get("/things?sort=due_date").get_json() == {
        "sort": "due_date",
        "limit": 25,
        "cursor": None,
    }
    assert instances == []
