"""The one error format: RFC 9457 problem+json, for every error the service answers.

Domain errors, HTTP errors (Flask's own 404/405/413/415 and flask-smorest's validation errors),
unavailable dependencies and unexpected exceptions all end here and nowhere else.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Flask, Response, g, json
from werkzeug.exceptions import HTTPException

from app.aws.clients import DependencyUnavailable
from app.domain import errors as domain
from app.observability.tracing import record_failure

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 2

log = logging.getLogger(__name__)

_DOMAIN_STATUS: dict[type[domain.DomainError], int] = {
    domain.NotFound: 404,
    domain.Forbidden: 403,
    domain.Conflict: 409,
    domain.LimitReached: 409,
    domain.PreconditionFailed: 412,
    domain.LostRace: 412,
    domain.InvalidInput: 422,
    domain.TooManyRequests: 429,
}

# Plain words for errors that Flask or werkzeug raise, instead of their long HTML-era texts.
_HTTP_DETAIL = {
    400: "The request is malformed",
    404: "No such resource",
    405: "This method is not allowed here; the Allow header lists those that are",
    413: "The request body is larger than 64 KiB",
    415: "The request body must be application/json",
    422: "The request has invalid fields",
}


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem, as every error response carries it."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    request_id = ma.fields.String()
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "For 422: every offending field with its messages"},
    )


class ApiProblem(Exception):
    """Raised by the HTTP layer for errors of its own (authentication, preconditions, cursors)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: dict[str, list[str]] | None = None,
    ):
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors
        super().__init__(detail)


def problem(
    status: int,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_validation_messages(messages: Any) -> dict[str, list[str]]:
    """webargs reports {location: {field: [messages]}}; the contract wants {field: [messages]}.

    A body that is not an object is reported under "body"; nested messages join with dots.
    """
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                name = "body" if key == "_schema" and not prefix else str(key)
                walk(f"{prefix}.{name}" if prefix else name, inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "body", []).extend(value)
        else:
            flat.setdefault(prefix or "body", []).append(str(value))

    for location_messages in (messages or {}).values():
        walk("", location_messages)
    return flat


def http_exception_problem(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return _server_error(error)
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in ("content-type", "content-length")
    }
    data = getattr(error, "data", None) or {}
    headers.update(data.get("headers") or {})
    if status == 422:
        return problem(
            422,
            _HTTP_DETAIL[422],
            headers=headers,
            errors=flatten_validation_messages(data.get("messages")),
        )
    if status == 400 and "messages" in data:
        return problem(400, "The request body is not valid JSON", headers=headers)
    detail = data.get("message") or _HTTP_DETAIL.get(status) or error.description
    return problem(status, detail, headers=headers)


def _server_error(error: Exception) -> Response:
    # Never the exception's text or a trace: those go to the log, keyed by the request id, and
    # to the request's trace.
    log.error("unhandled error", exc_info=error)
    record_failure(error)
    return problem(500, "Something went wrong on our side; the request id identifies it")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(domain.DomainError)
    def domain_error(error: domain.DomainError) -> Response:
        status = _DOMAIN_STATUS.get(type(error), 400)
        errors = error.errors if isinstance(error, domain.InvalidInput) else None
        headers = None
        if isinstance(error, domain.TooManyRequests):
            headers = {"Retry-After": str(error.retry_after)}
        return problem(status, error.detail, errors=errors, headers=headers)

    @app.errorhandler(ApiProblem)
    def api_problem(error: ApiProblem) -> Response:
        return problem(error.status, error.detail, headers=error.headers, errors=error.errors)

    @app.errorhandler(DependencyUnavailable)
    def unavailable(error: DependencyUnavailable) -> Response:
        # One line, no traceback: an outage is an expected condition, and at hundreds of
        # requests a second a traceback each would cost CPU the refusals need (and flood the
        # log). The cause names what failed: a timeout, a refused connection, an open circuit.
        log.warning("dependency unavailable: %s: %r", error.service, error.__cause__)
        return problem(
            503,
            f"{error.service} is unavailable; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_exception_problem(error)
        return _server_error(error)
