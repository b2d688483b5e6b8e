"""The WSGI entry point gunicorn loads: `app.wsgi:app`."""

from __future__ import annotations

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A clear message and a non-zero exit, not a traceback: the operator fixes the variable.
    print(f"The service cannot start: {error}", file=sys.stderr, flush=True)
    sys.exit(3)
