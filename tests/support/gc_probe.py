"""A WSGI app that answers with its worker's garbage collector state, for
tests/unit/test_gunicorn_start.py (gunicorn.conf.py's collector settings, seen from a worker)."""

from __future__ import annotations

import gc
import json


def app(environ, start_response):
    body = json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
