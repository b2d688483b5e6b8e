"""JSON logs on stdout, one object per line, each with the request id and X-Ray trace id."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from app.observability import context
from app.observability.metrics import METADATA_FIELD
from app.observability.tracing import current_xray_trace_id

_configured = False


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.request_id.get()
        record.user_id = context.user_id.get()
        record.trace_id = current_xray_trace_id()
        return True


def json_formatter(*, service: str, environment: str) -> JsonFormatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger", METADATA_FIELD: "_aws"},
        static_fields={"service": service, "environment": environment},
        # ISO 8601 in UTC, under "timestamp".
        timestamp=True,
    )


def configure_logging(level: str, *, service: str, environment: str) -> None:
    """Route the root logger to stdout as JSON. Idempotent: tests build many apps."""
    global _configured  # noqa: PLW0603 -- logging is process-wide by nature
    root = logging.getLogger()
    root.setLevel(level)
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(json_formatter(service=service, environment=environment))
    root.handlers[:] = [handler]
    # botocore logs credentials-related noise at INFO; keep it to warnings.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    _configured = True
