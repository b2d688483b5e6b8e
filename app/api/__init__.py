"""The HTTP layer: flask-smorest blueprints, the OpenAPI document and the one error format."""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from app.api import (
    audit,
    changes,
    comments,
    docs,
    frontend,
    health,
    invitations,
    labels,
    me,
    members,
    notifications,
    tasks,
    unsubscribe,
    workspaces,
)
from app.api.context import EXTENSION, Services
from app.api.http import content_security_policy, register_http_hooks
from app.api.problems import (
    PROBLEM_JSON,
    ProblemSchema,
    http_exception_problem,
    register_error_handlers,
)
from app.api.security import BEARER_SCHEME
from app.api.v1 import CONVERTERS
from app.aws.clients import request_deadline_seconds

API_DESCRIPTION = """\
Workspaces, their members (who join by invitation) and tasks with their comments, the audit
trail of every change and a feed of the changes as they happen, and each user's notifications
and email preferences.

Authenticate with `Authorization: Bearer <Cognito access token>` (all but
`POST /api/v1/unsubscribe`, whose token is in the email). Errors are `application/problem+json`
(RFC 9457). Single resources carry a strong `ETag: "<version>"`; writes need `If-Match`. Lists
take `limit` and an opaque `cursor`.
"""


class ProblemApi(Api):
    """flask-smorest, with every error documented and answered as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return http_exception_problem(error)

    def _register_responses(self):
        for status in HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error, as problem+json", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)


def init_api(app: Flask, services: Services) -> Api:
    settings = services.settings
    app.extensions[EXTENSION] = services
    app.config.update(
        API_TITLE="Team Tasks API",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "security": [{"bearerAuth": []}],
        },
    )
    # Bodies keep their fields in the order the schemas write them: sorting every object's
    # keys was a third of encoding a page of 25 tasks (docs/performance.md).
    app.json.sort_keys = False
    for name, (converter, _) in CONVERTERS.items():
        app.url_map.converters[name] = converter
    api = ProblemApi(app)
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    for converter, schema in CONVERTERS.values():
        api.register_converter(converter, lambda _converter, schema=schema: schema)
    for module in (
        health,
        me,
        workspaces,
        members,
        invitations,
        tasks,
        comments,
        labels,
        audit,
        changes,
        notifications,
        unsubscribe,
    ):
        api.register_blueprint(module.blp)
    register_error_handlers(app)
    register_http_hooks(
        app,
        csp=content_security_policy(frontend.cognito_origin(settings)),
        strict_transport=settings.running_in_aws,
        deadline_s=request_deadline_seconds(settings),
    )
    docs.register(app, api)
    frontend.register(app, settings)
    return api
