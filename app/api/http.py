"""What every response carries, and the request checks that come before any endpoint:
the request id, the security headers, the body size and type."""

from __future__ import annotations

import re
import time

from flask import Flask, Response, g, request

from app.api.problems import ApiProblem
from app.domain.clock import new_id
from app.observability import context

MAX_BODY_BYTES = 64 * 1024
MAX_URL_BYTES = 8 * 1024
MAX_HEADER_BYTES = 8 * 1024
API_PREFIX = "/api/v1"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# The browser app is plain files from our own origin; the Cognito endpoint is added at runtime.
_CSP_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def content_security_policy(cognito_origin: str | None) -> str:
    connect = "connect-src 'self'" + (f" {cognito_origin}" if cognito_origin else "")
    return f"{_CSP_BASE}; {connect}"


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def require_json_body() -> None:
    """415 for a body that is not JSON where the endpoint expects one."""
    if request.method in _BODY_METHODS and not _is_json(request.mimetype):
        raise ApiProblem(415, "The request body must be application/json")


def refuse_oversized_request() -> None:
    if len(request.full_path) > MAX_URL_BYTES:
        raise ApiProblem(414, "The URL is longer than 8 KiB")
    if any(len(value) > MAX_HEADER_BYTES for value in request.headers.values()):
        raise ApiProblem(431, "A request header is longer than 8 KiB")


def register_http_hooks(app: Flask, *, csp: str, strict_transport: bool) -> None:
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.before_request
    def start_request() -> None:
        supplied = request.headers.get("X-Request-Id", "")
        g.request_id = supplied if _CLIENT_REQUEST_ID.match(supplied) else new_id()
        g.started = time.perf_counter()
        context.request_id.set(g.request_id)
        context.user_id.set(None)
        refuse_oversized_request()

    @app.after_request
    def finish_response(response: Response) -> Response:
        headers = response.headers
        headers["X-Request-Id"] = g.get("request_id") or new_id()
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        headers.pop("Server", None)
        headers.pop("X-Powered-By", None)
        if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
            headers["Cache-Control"] = "no-store"
        if response.mimetype == "text/html":
            headers["Content-Security-Policy"] = csp
        if strict_transport:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
