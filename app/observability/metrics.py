"""CloudWatch Embedded Metric Format: metrics as fields of a JSON log line.

Written here rather than with aws-embedded-metrics: that library is asyncio-first and by
default ships to a CloudWatch agent over TCP, while the service only needs to put a few
numbers into the request log line it writes anyway (see docs/observability.md).
"""

from __future__ import annotations

import time
from typing import Any

NAMESPACE = "TeamTasks"
# The EMF metadata must appear as "_aws" in the line; the JSON formatter drops attributes that
# start with an underscore, so it travels under this name and the formatter renames it.
METADATA_FIELD = "emf_metadata"


class MetricLine:
    """The EMF fields of one kind of log line, whose dimensions and metrics ({name: unit}) are
    fixed: the directive is built once, each line adds its time and its values (the request
    line is written for every request)."""

    def __init__(self, *, dimensions: dict[str, str], units: dict[str, str]):
        self._dimensions = dict(dimensions)
        self._names = tuple(units)
        self._directive = [
            {
                "Namespace": NAMESPACE,
                "Dimensions": [list(dimensions)],
                "Metrics": [{"Name": name, "Unit": unit} for name, unit in units.items()],
            }
        ]

    def fields(self, *values: float) -> dict[str, Any]:
        """The fields that make a line carry these values, in the order of `units`."""
        return {
            METADATA_FIELD: {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": self._directive,
            },
            **self._dimensions,
            **dict(zip(self._names, values, strict=True)),
        }


def emf(*, dimensions: dict[str, str], metrics: dict[str, tuple[float, str]]) -> dict[str, Any]:
    """The fields that make a log line carry `metrics` ({name: (value, unit)})."""
    line = MetricLine(
        dimensions=dimensions, units={name: unit for name, (_, unit) in metrics.items()}
    )
    return line.fields(*(value for value, _ in metrics.values()))
