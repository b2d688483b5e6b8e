"""What every /api/v1 blueprint shares: the prefix, authentication, JSON bodies, path ids."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from flask_smorest.utils import resolve_schema_instance
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import BaseConverter

from app.api import json_body
from app.api.http import API_PREFIX, require_json_body
from app.api.security import authenticate, keep_email_fresh
from app.auth.verifier import USER_ID_PATTERN

# A ULID is 128 bits in 26 Crockford base-32 digits, so its first digit is at most 7.
ULID_PATTERN = r"[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}"


class UlidConverter(BaseConverter):
    """Workspace and task ids. Anything else cannot name one, so it is a 404 before any read."""

    regex = ULID_PATTERN

    def to_python(self, value: str) -> str:
        return value.upper()


class UserIdConverter(BaseConverter):
    regex = USER_ID_PATTERN


CONVERTERS = {
    "ulid": (UlidConverter, {"type": "string", "pattern": f"^{ULID_PATTERN}$"}),
    "user_id": (UserIdConverter, {"type": "string", "pattern": f"^{USER_ID_PATTERN}$"}),
}


# Checks that only the domain can make, run also when a body's fields are invalid, so that one
# 422 names every offending field (the domain otherwise sees only valid bodies).
BodyCheck = Callable[[dict[str, Any], dict[str, Any]], dict[str, list[str]]]
_WHEN_INVALID: dict[type[ma.Schema], BodyCheck] = {}


def also_when_invalid(*schemas: type[ma.Schema]) -> Callable[[BodyCheck], BodyCheck]:
    """Register `check(body, path arguments) -> {field: [messages]}` for these body schemas."""

    def register(check: BodyCheck) -> BodyCheck:
        for schema in schemas:
            _WHEN_INVALID[schema] = check
        return check

    return register


class _StrictJsonParser(FlaskParser):
    """webargs' parser, reading bodies with the strict parser of json_body (webargs' own lets
    `NaN`, deep nesting and huge numbers through, and reads an empty body as no body)."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return super()._raw_load_json(req)
        return json_body.parse(req.get_data(cache=True))

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        check = _WHEN_INVALID.get(type(schema))
        body_errors = error.messages.get("json") if isinstance(error.messages, dict) else None
        if check is not None and isinstance(body_errors, dict) and isinstance(error.data, dict):
            for name, messages in check(error.data, req.view_args or {}).items():
                body_errors.setdefault(name, messages)
        super().handle_error(
            error,
            req,
            schema,
            error_status_code=error_status_code,
            error_headers=error_headers,
        )


class V1Blueprint(Blueprint):
    ARGUMENTS_PARSER = _StrictJsonParser()

    def arguments(self, schema, **kwargs):
        # One schema instance per endpoint: given the class, webargs makes a new instance for
        # every request, and marshmallow deep-copies all its fields to make one.
        return super().arguments(resolve_schema_instance(schema), **kwargs)


def v1_blueprint(name: str, description: str) -> Blueprint:
    blueprint = V1Blueprint(name, __name__, url_prefix=API_PREFIX, description=description)
    blueprint.before_request(authenticate)
    blueprint.before_request(require_json_body)
    blueprint.after_request(keep_email_fresh)
    return blueprint


def errors(blueprint: Blueprint, *statuses: int):
    """Document the problem responses an operation can give (besides 401 and 503, which every
    /api/v1 operation can, and 422, which flask-smorest adds for validated input)."""

    def decorate(view):
        for status in sorted({401, 503, *statuses}, reverse=True):
            view = blueprint.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorate
