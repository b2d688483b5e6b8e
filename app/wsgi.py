"""The WSGI entry point gunicorn loads: `app.wsgi:app`."""

from __future__ import annotations

import sys

from app import create_app
from app.api.context import EXTENSION
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A clear message and a non-zero exit, not a traceback: the operator fixes the variable.
    print(f"The service cannot start: {error}", file=sys.stderr, flush=True)
    sys.exit(3)


def warm_up(concurrency: int) -> None:
    """For gunicorn's post_worker_init: the worker's AWS clients, before its first request, each
    with a connection pool for the `concurrency` requests the worker serves at once."""
    app.extensions[EXTENSION].clients.warm(max_connections=concurrency)
