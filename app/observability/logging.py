"""JSON logs on stdout, one object per line, each with the request id and X-Ray trace id."""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonEncoder, JsonFormatter

from app.observability import context
from app.observability.metrics import METADATA_FIELD
from app.observability.tracing import current_xray_trace_id

_configured = False
# The factory logging makes records with unless someone sets another (which may add fields).
_DEFAULT_RECORD_FACTORY = logging.getLogRecordFactory()
_handler: logging.StreamHandler | None = None


def request_fields() -> dict[str, str | None]:
    """What every line of a request carries besides its own fields."""
    return {
        "request_id": context.request_id.get(),
        "user_id": context.user_id.get(),
        "trace_id": current_xray_trace_id(),
    }


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.update(request_fields())
        return True


class JsonLineFormatter(JsonFormatter):
    """python-json-logger's formatter, with its per-line field gathering and encoding done in
    fewer steps: the access line is written for every request, and the library's generic walk
    (a `hasattr` and a `startswith` per record attribute, an encoder made per line, the time
    encoded through its fallback chain) was half of the line's CPU (docs/performance.md).
    The same fields under the same names, in the same order; values the standard encoder
    cannot write go through the library's encoder, as before."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._encoder = JsonEncoder(ensure_ascii=self.json_ensure_ascii)
        self._timestamp_key = self._get_rename(
            self.timestamp if isinstance(self.timestamp, str) else "timestamp"
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        self._gather(log_data, record.__dict__, message_dict, record.created)

    def line(self, name: str, level: str, message: str, fields: dict[str, Any]) -> str:
        """The line `format` writes for a record of logger `name` at `level` with this plain
        message, no exception and no stack, made now, whose other attributes are `fields`."""
        attributes = {"levelname": level, "name": name, "message": message, **fields}
        log_data: dict[str, Any] = {}
        self._gather(log_data, attributes, {}, time.time())
        return self.serialize_log_record(self.process_log_record(log_data))

    def _gather(
        self,
        log_data: dict[str, Any],
        attributes: dict[str, Any],
        message_dict: dict[str, Any],
        created: float,
    ) -> None:
        rename = self.rename_fields
        for key, value in self.defaults.items():
            log_data[rename.get(key, key)] = value
        for field in self._required_fields:
            log_data[rename.get(field, field)] = attributes.get(field)
        for data in (self.static_fields, message_dict):
            for key, value in data.items():
                log_data[rename.get(key, key)] = value
        skip = self._skip_fields
        log_data.update(
            {
                rename.get(key, key): value
                for key, value in attributes.items()
                if key not in skip and key[:1] != "_"
            }
        )
        if self.timestamp:
            log_data[self._timestamp_key] = datetime.fromtimestamp(created, tz=UTC).isoformat()
        if self.rename_fields_keep_missing:
            for field in rename.values():
                log_data.setdefault(field, None)

    def jsonify_log_record(self, log_data: dict[str, Any]) -> str:
        return self._encoder.encode(log_data)


def json_formatter(
    *, service: str, environment: str, formatter: type[JsonFormatter] = JsonLineFormatter
) -> JsonFormatter:
    """The service's line; `formatter=JsonFormatter` gives the library's own, which the tests
    hold JsonLineFormatter to."""
    return formatter(
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
    global _handler  # noqa: PLW0603 -- the one handler, for RequestLine
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(json_formatter(service=service, environment=environment))
    root.handlers[:] = [handler]
    _handler = handler
    # botocore logs credentials-related noise at INFO; keep it to warnings.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    _configured = True


class RequestLine:
    """The line written for every request, written as `logger.info(message, extra=fields)`
    would write it (the same JSON, the request's ids, the logger's level obeyed), but straight
    to the service's handler: the logging module's record, caller lookup, filter and handler
    calls were a tenth of a `GET /api/v1/me`'s CPU (docs/performance.md). Where logging is set
    up otherwise (a test's capture, another handler added, a record factory that adds fields,
    as OpenTelemetry's logging instrumentation does), it goes through the logger."""

    def __init__(self, name: str):
        self._logger = logging.getLogger(name)

    def info(
        self, message: str, fields: dict[str, Any], *, metrics: dict[str, Any] | None = None
    ) -> None:
        """One INFO line with `fields` and `metrics`. The `metrics` (EMF fields) are written
        whatever the logger's level: the deployment's alarms read them, and treat missing data
        as not breaching, so at WARNING they would fall silent instead of firing. Below INFO
        the line carries the metrics alone."""
        logger = self._logger
        if logger.isEnabledFor(logging.INFO):
            self._write(logger, message, {**fields, **metrics} if metrics else fields)
        elif metrics:
            self._write(logger, "metrics", metrics, past_the_level=True)

    def _write(
        self,
        logger: logging.Logger,
        message: str,
        fields: dict[str, Any],
        *,
        past_the_level: bool = False,
    ) -> None:
        handler = _handler
        formatter = _sole_formatter(logger, handler) if handler is not None else None
        if formatter is None:
            if past_the_level:
                # Logger.handle skips the logger's own level; the handlers' levels still count.
                logger.handle(
                    logger.makeRecord(
                        logger.name, logging.INFO, "", 0, message, (), None, extra=fields
                    )
                )
            else:
                logger.info("%s", message, extra=fields)
            return
        handler.acquire()
        try:
            text = formatter.line(logger.name, "INFO", message, {**fields, **request_fields()})
            handler.stream.write(text + handler.terminator)
            handler.flush()
        except Exception:  # as logging's own emit does: reported, and the request goes on
            handler.handleError(
                logger.makeRecord(logger.name, logging.INFO, "", 0, message, (), None)
            )
        finally:
            handler.release()


def _sole_formatter(logger: logging.Logger, handler: logging.Handler) -> JsonLineFormatter | None:
    """The JSON formatter of `handler` if that is the only handler a record of `logger`
    reaches, with no logger filter on the way and logging's own record factory; None
    otherwise."""
    if logging.getLogRecordFactory() is not _DEFAULT_RECORD_FACTORY:
        return None
    node: logging.Logger | None = logger
    while node is not None and node is not logging.root:
        if node.handlers or node.filters or not node.propagate:
            return None
        node = node.parent
    if logging.root.handlers != [handler] or logging.root.filters or handler.level > logging.INFO:
        return None
    if not all(isinstance(check, RequestContextFilter) for check in handler.filters):
        return None
    formatter = handler.formatter
    return formatter if isinstance(formatter, JsonLineFormatter) else None
