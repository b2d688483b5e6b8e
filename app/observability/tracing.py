"""OpenTelemetry traces with X-Ray ids, exported over OTLP to the collector sidecar that Copilot
adds with `observability.tracing: awsxray` (it receives OTLP only). Without an OTLP endpoint,
spans are still made, so that logs carry trace ids, but nothing is exported."""

from __future__ import annotations

from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_provider_installed = False
_EXCLUDED_URLS = "healthz,readyz"


def configure_tracing(app: Any, *, service: str, environment: str, otlp_endpoint: str | None):
    global _provider_installed  # noqa: PLW0603 -- the tracer provider is process-wide
    if not _provider_installed:
        provider = TracerProvider(
            resource=Resource.create(
                {"service.name": service, "deployment.environment": environment}
            ),
            id_generator=AwsXRayIdGenerator(),
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
    FlaskInstrumentor().instrument_app(app, excluded_urls=_EXCLUDED_URLS)


def current_xray_trace_id() -> str | None:
    """The current trace id in X-Ray's form, 1-<8 hex time>-<24 hex>, for log lines."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    hex_id = f"{context.trace_id:032x}"
    return f"1-{hex_id[:8]}-{hex_id[8:]}"
