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


def emf(*, dimensions: dict[str, str], metrics: dict[str, tuple[float, str]]) -> dict[str, Any]:
    """The fields that make a log line carry `metrics` ({name: (value, unit)})."""
    return {
        METADATA_FIELD: {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [
                        {"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()
                    ],
                }
            ],
        },
        **dimensions,
        **{name: value for name, (value, _) in metrics.items()},
    }
