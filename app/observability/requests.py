"""One JSON line per request: the access log, which also carries the request's metrics (EMF)."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from app.observability.logging import RequestLine
from app.observability.metrics import MetricLine

line = RequestLine("app.request")


def register_request_logging(app: Flask, *, service: str, environment: str) -> None:
    metrics = MetricLine(
        dimensions={"Service": service, "Environment": environment},
        units={
            "Latency": "Milliseconds",
            "Requests": "Count",
            "Fault": "Count",
            "ClientError": "Count",
        },
    )

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("started")
        elapsed_ms = round((time.perf_counter() - started) * 1000 if started else 0.0, 2)
        status = response.status_code
        method, path, rule = request.method, request.path, request.url_rule
        line.info(
            f"{method} {path} {status}",
            {
                "method": method,
                "path": path,
                "route": rule.rule if rule else None,
                "status": status,
                "duration_ms": elapsed_ms,
                # The header itself: werkzeug's request.user_agent builds an object around it.
                "user_agent": request.headers.get("User-Agent", "")[:200],
            },
            metrics=metrics.fields(
                elapsed_ms,
                1,
                1 if status >= 500 else 0,
                1 if 400 <= status < 500 else 0,
            ),
        )
        return response
