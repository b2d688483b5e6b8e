"""OpenTelemetry traces with X-Ray ids, exported over OTLP to the collector sidecar that Copilot
adds with `observability.tracing: awsxray` (it receives OTLP only). Without an OTLP endpoint,
spans are still made, so that logs carry trace ids, but nothing is exported."""

from __future__ import annotations

import os
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
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_provider_installed = False
_EXCLUDED_URLS = "healthz,readyz"
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
    FlaskInstrumentor().instrument_app(app, excluded_urls=_EXCLUDED_URLS)


def current_xray_trace_id() -> str | None:
    """The current trace id in X-Ray's form, 1-<8 hex time>-<24 hex>, for log lines."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    hex_id = f"{context.trace_id:032x}"
    return f"1-{hex_id[:8]}-{hex_id[8:]}"
