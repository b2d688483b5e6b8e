"""What every response carries, and the request checks that come before any endpoint:
the request id, the security headers, the body size and type."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, g, request

from app.api.problems import PROBLEM_JSON, ApiProblem
from app.aws import deadline
from app.domain.clock import new_id
from app.observability import context

MAX_BODY_BYTES = 64 * 1024
MAX_URL_BYTES = 8 * 1024
MAX_HEADER_BYTES = 8 * 1024
API_PREFIX = "/api/v1"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The two request headers that WSGI names without the HTTP_ prefix.
_BODY_HEADERS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})

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


def takes_no_body(view_class: type) -> type:
    """Marks a MethodView whose POSTs carry nothing (accept, decline): an empty body passes
    whatever its type; a body is still refused unless it is JSON."""
    view_class.takes_no_body = True
    return view_class


def _expects_no_body() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(getattr(view, "view_class", None), "takes_no_body", False))


def require_json_body() -> None:
    """415 for a body that is not JSON where the endpoint expects one."""
    if request.method in _BODY_METHODS and not _is_json(request.mimetype):
        if not request.content_length and _expects_no_body():
            return
        raise ApiProblem(415, "The request body must be application/json")


def refuse_oversized_request() -> None:
    if len(request.full_path) > MAX_URL_BYTES:
        raise ApiProblem(414, "The URL is longer than 8 KiB")
    # The headers' values as the WSGI environ holds them, which is what request.headers gives
    # too, without building each header's name first.
    if any(
        len(value) > MAX_HEADER_BYTES
        for name, value in request.environ.items()
        if name.startswith("HTTP_") or name in _BODY_HEADERS
    ):
        raise ApiProblem(431, "A request header is longer than 8 KiB")


def register_http_hooks(app: Flask, *, csp: str, strict_transport: bool, deadline_s: float) -> None:
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.wsgi_app = BodyLimit(app.wsgi_app)

    @app.before_request
    def start_request() -> None:
        supplied = request.headers.get("X-Request-Id", "")
        g.request_id = supplied if _CLIENT_REQUEST_ID.match(supplied) else new_id()
        g.started = time.perf_counter()
        # Every AWS call and retry of the request ends by then (docs/api.md, "Dependencies").
        deadline.start(deadline_s)
        context.request_id.set(g.request_id)
        context.user_id.set(None)
        refuse_oversized_request()

    @app.teardown_request
    def end_deadline(_error: BaseException | None) -> None:
        deadline.clear()

    @app.after_request
    def finish_response(response: Response) -> Response:
        headers = response.headers
        headers["X-Request-Id"] = g.get("request_id") or new_id()
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        # remove, not pop: pop finds a header that is not there by raising KeyError.
        headers.remove("Server")
        headers.remove("X-Powered-By")
        if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
            headers["Cache-Control"] = "no-store"
        if response.mimetype == "text/html":
            headers["Content-Security-Policy"] = csp
        if strict_transport:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


class BodyLimit:
    """WSGI middleware: the 64 KiB limit for chunked bodies too.

    A chunked body has no Content-Length, so Flask cannot refuse it up front, and werkzeug
    would cut it at the limit and parse what it got (100 KB of whitespace became a 201). Here
    it is read up to one byte past the limit and handed on framed by its real length, so that
    Flask's own check answers 413 as problem+json, as for a Content-Length over the limit.
    gunicorn discards whatever of the body is left before the connection's next request.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and environ.get("REQUEST_METHOD") in _BODY_METHODS:
            body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # werkzeug ignores Content-Length beside chunked.
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)


def server_error_response(status: int, detail: str) -> bytes:
    """The whole HTTP response for an error gunicorn answers itself (a malformed request line,
    a header gunicorn cannot parse, too many headers): the contract's problem+json with the
    headers every response carries, instead of gunicorn's HTML page."""
    request_id = new_id()
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = json.dumps(
        {
            "type": "about:blank",
            "title": phrase,
            "status": status,
            "detail": detail,
            "request_id": request_id,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-Id: {request_id}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "X-Frame-Options: DENY\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body
