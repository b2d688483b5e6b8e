"""OpenTelemetry traces with X-Ray ids, exported over OTLP to the collector sidecar that Copilot
adds with `observability.tracing: awsxray` (it receives OTLP only). Without an OTLP endpoint,
spans are still made, so that logs carry trace ids, but nothing is exported."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, g, request
from opentelemetry import context, propagate, trace

# The flag OpenTelemetry's instrumentations check before doing anything (the public
# `suppress_instrumentation()` sets it for a `with` block; a request spans Flask's hooks).
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.instrumentation.wsgi import add_response_attributes, collect_request_attributes
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_provider_installed = False
# The load balancer's checks: not worth a trace, every few seconds from every target group.
_UNTRACED_PATHS = frozenset({"/healthz", "/readyz"})
_HTTP_ROUTE = "http.route"
# One request in 20 is recorded and exported, as X-Ray's own default rule does beyond its first
# request each second: X-Ray charges per trace, and a recorded span costs this process too
# (docs/performance.md). A caller's sampled traceparent or X-Amzn-Trace-Id (Sampled=1) is
# always followed. Every log line still carries its request's trace id, recorded or not.
# OpenTelemetry's own OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, read by its SDK, choose
# another sampler (e.g. `parentbased_always_on` while investigating in dev).
DEFAULT_SAMPLE_RATIO = 0.05
_SAMPLER_VARIABLE = "OTEL_TRACES_SAMPLER"


def _sampler() -> Sampler | None:
    if os.environ.get(_SAMPLER_VARIABLE):
        return None  # the SDK builds the one the variables name
    return ParentBased(TraceIdRatioBased(DEFAULT_SAMPLE_RATIO))


def configure_tracing(app: Any, *, service: str, environment: str, otlp_endpoint: str | None):
    global _provider_installed  # noqa: PLW0603 -- the tracer provider is process-wide
    if not _provider_installed:
        provider = TracerProvider(
            resource=Resource.create(
                {"service.name": service, "deployment.environment": environment}
            ),
            id_generator=AwsXRayIdGenerator(),
            sampler=_sampler(),
        )
        if otlp_endpoint:
            # Imported only when used: the exporter pulls in protobuf.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
                OTLPSpanExporter,
            )

            exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint}/v1/traces", timeout=2)
            provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        # The ALB sends X-Amzn-Trace-Id; browsers and other services may send traceparent.
        propagate.set_global_textmap(
            CompositePropagator([AwsXRayPropagator(), TraceContextTextMapPropagator()])
        )
        BotocoreInstrumentor().instrument()
        _provider_installed = True
    trace_requests(app)


def trace_requests(app: Flask) -> None:
    """A server span per request, continuing the caller's trace (X-Amzn-Trace-Id, traceparent).

    In place of opentelemetry-instrumentation-flask, which collects every request's attributes
    (URL, host, user agent, ...) before the sampler is asked, for the 19 requests in 20 that are
    not recorded: that and its wrapping were a fifth of a `GET /api/v1/me` (docs/performance.md).
    Here an unrecorded request costs one span id and a context switch; its log lines still
    carry the trace id. A recorded one gets the same attributes, from the same OpenTelemetry
    WSGI helpers. Within an unrecorded request the botocore instrumentation is switched off
    (its spans would not be recorded either, but it builds their attributes first).
    """
    tracer = trace.get_tracer(__name__)

    def start_span() -> None:
        if request.path in _UNTRACED_PATHS:
            return
        rule = request.url_rule.rule if request.url_rule else None
        span = tracer.start_span(
            f"{request.method} {rule}" if rule else request.method,
            context=propagate.extract(request.headers),
            kind=SpanKind.SERVER,
        )
        active = trace.set_span_in_context(span)
        if span.is_recording():
            span.set_attributes(collect_request_attributes(request.environ))
            if rule:
                span.set_attribute(_HTTP_ROUTE, rule)
        else:
            active = context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, active)
        g.trace_span = (span, context.attach(active))

    def record_status(response: Response) -> Response:
        traced = g.get("trace_span")
        if traced and traced[0].is_recording():
            add_response_attributes(traced[0], response.status, response.headers.to_wsgi_list())
        return response

    def end_span(error: BaseException | None) -> None:
        traced = g.pop("trace_span", None)
        if traced is None:
            return
        span, token = traced
        if error is not None and span.is_recording():
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()
        context.detach(token)

    # First of all the request's hooks, so that every log line of the request has its trace id
    # (a request refused early, e.g. a 401, included).
    app.before_request_funcs.setdefault(None, []).insert(0, start_span)
    app.after_request(record_status)
    app.teardown_request(end_span)


def record_failure(error: BaseException) -> None:
    """The request's span (if recorded) ends in error with the exception as an event: called
    where the 500 is made, since the error handler that makes it leaves the request's teardown
    no exception to record."""
    span = trace.get_current_span()
    if span.is_recording():
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def current_xray_trace_id() -> str | None:
    """The current trace id in X-Ray's form, 1-<8 hex time>-<24 hex>, for log lines."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    hex_id = f"{context.trace_id:032x}"
    return f"1-{hex_id[:8]}-{hex_id[8:]}"
