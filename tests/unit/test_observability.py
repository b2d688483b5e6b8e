"""Log lines are JSON with the request's ids; the request line is a valid EMF record."""

from __future__ import annotations

import json
import logging

from app.observability import context
from app.observability.logging import RequestContextFilter, json_formatter
from app.observability.metrics import emf


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
