"""Logs, metrics and traces. Everything goes to stdout as JSON (CloudWatch Logs takes it from
there; metrics ride in the same lines as CloudWatch Embedded Metric Format) and traces go over
OTLP to the collector sidecar."""
