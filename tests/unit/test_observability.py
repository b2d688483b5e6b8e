"""Log lines are JSON with the request's ids; the request line is a valid EMF record."""

from __future__ import annotations

import io
import json
import logging
import sys
from contextlib import contextmanager
from datetime import UTC
from unittest import mock

import pytest
from flask import Flask, request
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pythonjsonlogger.json import JsonFormatter

from app.api.problems import register_error_handlers
from app.observability import context, tracing
from app.observability import logging as service_logging
from app.observability.logging import RequestContextFilter, RequestLine, json_formatter
from app.observability.metrics import MetricLine, emf
from app.observability.requests import register_request_logging


def format_record(**extra) -> dict:
    record = logging.LogRecord("app.request", logging.INFO, __file__, 1, "GET / 200", None, None)
    for name, value in extra.items():
        setattr(record, name, value)
    return json.loads(json_formatter(service="api", environment="test").format(record))


def test_a_line_is_one_json_object_with_service_and_time():
    line = format_record()
    assert line["message"] == "GET / 200"
    assert line["level"] == "INFO"
    assert line["logger"] == "app.request"
    assert (line["service"], line["environment"]) == ("api", "test")
    assert line["timestamp"].endswith("+00:00")


def test_the_request_line_carries_cloudwatch_embedded_metrics():
    fields = emf(
        dimensions={"Service": "api", "Environment": "test"},
        metrics={"Latency": (12.5, "Milliseconds"), "Fault": (0, "Count")},
    )
    line = format_record(**fields)
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "TeamTasks"
    assert directive["Dimensions"] == [["Service", "Environment"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "Latency": "Milliseconds",
        "Fault": "Count",
    }
    assert isinstance(line["_aws"]["Timestamp"], int)
    # Every dimension and metric named in the directive is a top-level member, as EMF requires.
    assert (line["Service"], line["Environment"], line["Latency"], line["Fault"]) == (
        "api",
        "test",
        12.5,
        0,
    )
    assert "emf_metadata" not in line


def test_request_context_reaches_the_line():
    token = context.request_id.set("req-1")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        RequestContextFilter().filter(record)
        assert record.request_id == "req-1"
    finally:
        context.request_id.reset(token)


def test_an_exception_reaches_the_line_as_text_and_extras_keep_their_names():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "app", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
        )
    record.route = "/api/v1/me"
    record.status = 500
    line = json.loads(json_formatter(service="api", environment="test").format(record))
    assert line["message"] == "failed here"
    assert (line["route"], line["status"]) == ("/api/v1/me", 500)
    assert line["exc_info"].startswith("Traceback") and "ValueError: boom" in line["exc_info"]
    # Nothing of the LogRecord's own machinery leaks into the line.
    assert not {"args", "msg", "levelno", "pathname", "exc_text", "created"} & set(line)


def test_one_request_in_twenty_is_recorded_and_every_one_has_a_trace_id(monkeypatch):
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    tracer = TracerProvider(
        sampler=tracing._sampler(), id_generator=AwsXRayIdGenerator()
    ).get_tracer("t")
    spans = [tracer.start_span("request") for _ in range(4000)]
    recorded = sum(span.is_recording() for span in spans)
    assert 0.03 < recorded / len(spans) < 0.07
    assert all(span.get_span_context().is_valid for span in spans)


def test_a_sampled_caller_is_always_followed(monkeypatch):
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    tracer = TracerProvider(sampler=tracing._sampler()).get_tracer("t")
    header = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    parent = TraceContextTextMapPropagator().extract(header)
    assert all(tracer.start_span("request", context=parent).is_recording() for _ in range(50))


def test_opentelemetrys_own_variable_chooses_another_sampler(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    assert tracing._sampler() is None
    tracer = TracerProvider(sampler=tracing._sampler()).get_tracer("t")
    assert all(tracer.start_span("request").is_recording() for _ in range(50))


# The request spans (tracing.trace_requests), on a small app of their own with a real botocore
# client to the in-process emulator.
XRAY_ROOT = "1-5759e988-bd862e3fe1be46a994272793"
SAMPLED = {"X-Amzn-Trace-Id": f"Root={XRAY_ROOT};Parent=53995c3f42cd8ad8;Sampled=1"}
NOT_SAMPLED = {"X-Amzn-Trace-Id": f"Root={XRAY_ROOT};Parent=53995c3f42cd8ad8;Sampled=0"}


def trace_ids(caplog) -> list[str | None]:
    """The trace id of each line the app logged (not the emulator's or the framework's)."""
    return [record.trace_id for record in caplog.records if record.name == "app.request"]


@pytest.fixture
def traced(clients, settings, caplog):
    """A Flask app traced as the service is, the spans it records, and its log records."""
    app = Flask(__name__)

    @app.get("/tasks/<task_id>")
    def read(task_id):
        logging.getLogger("app.request").info("reading %s", task_id)
        key = {"PK": {"S": "x"}, "SK": {"S": task_id}}
        clients.dynamodb.call("GetItem", {"TableName": settings.tasks_table_name, "Key": key})
        return {"instrumented": is_instrumentation_enabled()}

    @app.get("/healthz")
    def health():
        return {"trace_id": tracing.current_xray_trace_id()}

    @app.get("/fails")
    def fails():
        raise RuntimeError("boom")

    @app.before_request
    def refuse():
        # As the service's authentication does: an earlier hook answers, no view runs.
        if request.path == "/refused":
            return {"title": "Unauthorized"}, 401
        return None

    @app.after_request
    def log_line(response):
        logging.getLogger("app.request").info("%s %s", request.path, response.status_code)
        return response

    # The service's error handlers: a 500 is made by one, so the request's teardown never sees
    # the exception (issue 20, item 6: the span of a 500 had recorded none).
    register_error_handlers(app)
    tracing.configure_tracing(app, service="api", environment="test", otlp_endpoint=None)
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    trace.get_tracer_provider().add_span_processor(processor)
    caplog.handler.addFilter(RequestContextFilter())
    caplog.set_level(logging.INFO, logger="app.request")
    yield app.test_client(), exporter, caplog
    processor.shutdown()


def test_a_sampled_caller_gets_a_server_span_with_its_aws_calls_inside(traced):
    client, exporter, caplog = traced
    reply = client.get("/tasks/T1", headers=SAMPLED)
    assert reply.json == {"instrumented": True}
    spans = {span.kind: span for span in exporter.get_finished_spans()}
    server, call = spans[SpanKind.SERVER], spans[SpanKind.CLIENT]
    assert server.name == "GET /tasks/<task_id>"
    assert f"{server.context.trace_id:032x}" == XRAY_ROOT[2:].replace("-", "")
    assert f"{server.parent.span_id:016x}" == "53995c3f42cd8ad8"
    assert server.attributes["http.route"] == "/tasks/<task_id>"
    assert server.attributes["http.method"] == "GET"
    assert server.attributes["http.status_code"] == 200
    assert call.name == "DynamoDB.GetItem"
    assert call.attributes["rpc.method"] == "GetItem"
    assert call.attributes["http.status_code"] == 200
    assert call.parent.span_id == server.context.span_id
    assert trace_ids(caplog) == [XRAY_ROOT, XRAY_ROOT]


def test_an_unsampled_request_records_nothing_but_keeps_its_trace_id(traced):
    client, exporter, caplog = traced
    reply = client.get("/tasks/T1", headers=NOT_SAMPLED)
    assert reply.json == {"instrumented": False}
    assert exporter.get_finished_spans() == ()
    assert trace_ids(caplog) == [XRAY_ROOT, XRAY_ROOT]
    # Without any header, a fresh trace id: each request its own.
    client.get("/tasks/T2")
    client.get("/tasks/T3")
    ids = trace_ids(caplog)[2:]
    assert len(set(ids)) == 2 and all(i and i.startswith("1-") for i in ids)


def test_a_request_refused_before_its_view_is_traced_too(traced):
    client, exporter, caplog = traced
    assert client.get("/refused", headers=SAMPLED).status_code == 401
    assert trace_ids(caplog) == [XRAY_ROOT]
    (span,) = exporter.get_finished_spans()
    assert span.attributes["http.status_code"] == 401


def test_a_failed_request_is_recorded_as_an_error(traced):
    client, exporter, _caplog = traced
    reply = client.get("/fails", headers=SAMPLED)
    assert reply.status_code == 500
    assert reply.mimetype == "application/problem+json"
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["http.status_code"] == 500
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "RuntimeError"
    assert event.attributes["exception.message"] == "boom"


def test_health_checks_are_not_traced(traced):
    client, exporter, _caplog = traced
    assert client.get("/healthz", headers=SAMPLED).json == {"trace_id": None}
    assert exporter.get_finished_spans() == ()


_LOG_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
) | st.datetimes(timezones=st.just(UTC))
# Anything an `extra=` may name: LogRecord's own attributes, "message" and "asctime" are
# refused by logging itself.
_EXTRA_NAMES = st.text(min_size=1).filter(
    lambda name: (
        name not in logging.makeLogRecord({}).__dict__ and name not in ("message", "asctime")
    )
)


@settings(max_examples=60)
@given(
    extras=st.dictionaries(_EXTRA_NAMES, _LOG_VALUES, max_size=6),
    message=st.text() | st.dictionaries(st.text(), _LOG_VALUES, max_size=3),
    with_exception=st.booleans(),
    with_stack=st.booleans(),
)
def test_the_line_is_what_python_json_logger_itself_writes(
    extras, message, with_exception, with_stack
):
    exc_info = None
    if with_exception:
        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
    record = logging.LogRecord("app.request", logging.WARNING, __file__, 1, message, None, exc_info)
    record.stack_info = "Stack (most recent call last):\n  here" if with_stack else None
    # As Logger.makeRecord writes `extra`: into the record's __dict__ (a name such as
    # "__dict__" is an extra like any other there, where setattr would replace the dict).
    record.__dict__.update(
        {**extras, **emf(dimensions={"Service": "api"}, metrics={"L": (1, "Count")})}
    )
    ours = json_formatter(service="api", environment="test").format(record)
    library = json_formatter(service="api", environment="test", formatter=JsonFormatter).format(
        record
    )
    assert ours == library


def test_a_metric_line_is_what_emf_describes():
    line = MetricLine(
        dimensions={"Service": "api"}, units={"Latency": "Milliseconds", "Requests": "Count"}
    )
    fields = line.fields(2.5, 1)
    assert fields == {
        "emf_metadata": {
            "Timestamp": fields["emf_metadata"]["Timestamp"],
            "CloudWatchMetrics": [
                {
                    "Namespace": "TeamTasks",
                    "Dimensions": [["Service"]],
                    "Metrics": [
                        {"Name": "Latency", "Unit": "Milliseconds"},
                        {"Name": "Requests", "Unit": "Count"},
                    ],
                }
            ],
        },
        "Service": "api",
        "Latency": 2.5,
        "Requests": 1,
    }
    with pytest.raises(ValueError):
        line.fields(2.5)


@contextmanager
def service_handler(level: int = logging.INFO):
    """Logging as configure_logging sets it up, into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(json_formatter(service="api", environment="test"))
    root = logging.getLogger()
    saved = root.handlers[:], root.level, service_logging._handler
    root.handlers[:] = [handler]
    root.setLevel(level)
    service_logging._handler = handler
    request_id, user_id = context.request_id.set("req-1"), context.user_id.set("user-1")
    try:
        yield stream
    finally:
        context.request_id.reset(request_id)
        context.user_id.reset(user_id)
        root.handlers[:], service_logging._handler = saved[0], saved[2]
        root.setLevel(saved[1])


def _without_time(line: str) -> dict:
    fields = json.loads(line)
    assert fields.pop("timestamp").endswith("+00:00")
    return fields


@settings(max_examples=60)
@given(extras=st.dictionaries(_EXTRA_NAMES, _LOG_VALUES, max_size=6), message=st.text())
def test_the_request_line_is_the_line_the_logger_writes(extras, message):
    fields = {**extras, **emf(dimensions={"Service": "api"}, metrics={"L": (1, "Count")})}
    with service_handler() as stream:
        logging.getLogger("app.request").info("%s", message, extra=fields)
        with mock.patch.object(logging.Logger, "makeRecord", side_effect=AssertionError):
            # Straight to the handler: no record made.
            RequestLine("app.request").info(message, fields)
    through_logger, direct = stream.getvalue().splitlines()
    # The same fields in the same order; only the time they were written differs.
    assert list(json.loads(direct)) == list(json.loads(through_logger))
    assert _without_time(direct) == _without_time(through_logger)
    assert _without_time(direct)["request_id"] == "req-1"


def test_the_request_line_obeys_the_loggers_level():
    with service_handler(level=logging.WARNING) as stream:
        RequestLine("app.request").info("GET / 200", {"status": 200})
    assert stream.getvalue() == ""


def _service_requests() -> Flask:
    app = Flask(__name__)

    @app.get("/ok")
    def ok():
        return {}

    @app.get("/broken")
    def broken():
        return {}, 500

    register_request_logging(app, service="api", environment="test")
    return app


@pytest.mark.parametrize("level", [logging.WARNING, logging.ERROR])
def test_every_request_writes_its_metrics_whatever_the_log_level(level, caplog):
    """Issue 20, item 3: the metrics rode on the INFO request line only, so at LOG_LEVEL
    WARNING or ERROR the fault and latency alarms (missing data: not breaching) fell silent."""
    client = _service_requests().test_client()
    with service_handler(level=level) as stream:
        client.get("/ok")
        client.get("/broken")
        # Through the logger too, as when logging is set up otherwise (here: caplog's handler).
        logging.getLogger().addHandler(caplog.handler)
        client.get("/broken")
    lines = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert [(line["Requests"], line["Fault"], line["ClientError"]) for line in lines] == [
        (1, 0, 0),
        (1, 1, 0),
        (1, 1, 0),
    ]
    for line in lines:
        assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "TeamTasks"
        assert (line["Service"], line["Environment"], line["message"]) == ("api", "test", "metrics")
        assert "path" not in line  # the access log's fields stay below the level asked for
    (record,) = [r for r in caplog.records if r.name == "app.request"]
    assert record.Fault == 1


def test_the_request_line_reaches_any_other_handler_through_the_logger(caplog):
    caplog.set_level(logging.INFO, logger="app.request")
    with service_handler() as stream:
        logging.getLogger().addHandler(caplog.handler)
        RequestLine("app.request").info("GET / 200", {"status": 200})
    (record,) = [r for r in caplog.records if r.name == "app.request"]
    assert (record.getMessage(), record.status) == ("GET / 200", 200)
    assert json.loads(stream.getvalue())["status"] == 200


def test_fields_a_record_factory_adds_reach_the_request_line():
    """Issue 20, item 7: OpenTelemetry's logging instrumentation adds its fields (otelTraceID,
    otelSpanID...) in a record factory, which the direct line never called."""
    default = logging.getLogRecordFactory()

    def with_trace_fields(*args, **kwargs):
        record = default(*args, **kwargs)
        record.otelTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        return record

    logging.setLogRecordFactory(with_trace_fields)
    try:
        with service_handler() as stream:
            RequestLine("app.request").info("GET / 200", {"status": 200})
    finally:
        logging.setLogRecordFactory(default)
    line = json.loads(stream.getvalue())
    assert (line["otelTraceID"], line["status"]) == ("4bf92f3577b34da6a3ce929d0e0e4736", 200)


def test_a_line_that_cannot_be_written_is_reported_and_the_request_goes_on(capsys):
    circular: dict = {}
    circular["self"] = circular
    with service_handler() as stream:
        RequestLine("app.request").info("GET / 200", {"status": 200, "bad": circular})
        RequestLine("app.request").info("GET / 200", {"status": 200})
    # logging's own report of a failed line, on stderr; the next line is written.
    assert "Circular reference" in capsys.readouterr().err
    assert json.loads(stream.getvalue())["status"] == 200
