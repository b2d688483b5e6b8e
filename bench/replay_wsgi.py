"""The service as gunicorn loads it for the benchmark: app.wsgi, with DynamoDB recorded or
replayed below botocore (bench/replay.py) when BENCH_DYNAMODB says so.

    gunicorn --config gunicorn.conf.py bench.replay_wsgi:app
"""

from __future__ import annotations

from bench.replay import install_from_environment

install_from_environment()

from app.wsgi import app  # noqa: E402 -- botocore is patched first

__all__ = ["app"]
