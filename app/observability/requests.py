"""One JSON line per request: the access log, which also carries the request's metrics (EMF)."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from app.observability.metrics import emf

log = logging.getLogger("app.request")


def register_request_logging(app: Flask, *, service: str, environment: str) -> None:
    dimensions = {"Service": service, "Environment": environment}

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("started")
        elapsed_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        status = response.status_code
        rule = request.url_rule.rule if request.url_rule else None
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "method": request.method,
                "path": request.path,
                "route": rule,
                "status": status,
                "duration_ms": round(elapsed_ms, 2),
                "user_agent": request.user_agent.string[:200],
                **emf(
                    dimensions=dimensions,
                    metrics={
                        "Latency": (round(elapsed_ms, 2), "Milliseconds"),
                        "Requests": (1, "Count"),
                        "Fault": (1 if status >= 500 else 0, "Count"),
                        "ClientError": (1 if 400 <= status < 500 else 0, "Count"),
                    },
                ),
            },
        )
        return response
