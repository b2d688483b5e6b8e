"""The start as gunicorn.conf.py runs it: a bad setting stops the master with its message, and
the workers start from the master's frozen objects with the collector on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from devstack.stack import gunicorn_command
from devstack.templates import ROOT
from tests.support.stack import free_port

# What the service needs besides AWS_REGION, which the test leaves out.
SETTINGS = {
    "USER_POOL_ID": "us-east-1_example",
    "USER_POOL_CLIENT_ID": "exampleclient",
    "TASKS_TABLE_NAME": "tasks",
    "CURSOR_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor-AbCdEf",
    "UNSUBSCRIBE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:unsub-AbCdEf",
}


def gunicorn(app: str, environment: dict[str, str], port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        gunicorn_command(app, f"127.0.0.1:{port}"),
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@contextmanager
def serving(app: str) -> Iterator[str]:
    port = free_port()
    process = gunicorn(app, dict(os.environ), port)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                requests.get(url, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.05)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)


def test_a_bad_setting_stops_the_start_with_its_message():
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("AWS_REGION", "AWS_DEFAULT_REGION")
    }
    process = gunicorn("app.wsgi:app", {**environment, **SETTINGS}, free_port())
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode != 0
    assert "The service cannot start: invalid configuration" in output
    assert "AWS_REGION: is required" in output
    # The master stops before it forks: no worker ever booted.
    assert "Booting worker" not in output


def test_workers_start_from_the_masters_frozen_objects_with_the_collector_on():
    with serving("tests.support.gc_probe:app") as url:
        # Several requests, so that both workers are likely to answer one.
        states = [requests.get(url, timeout=5).json() for _ in range(6)]
    # Everything the master made before the fork is frozen (out of the collector's walks and
    # of the pages a worker would write to), and the collector runs again in the workers.
    for state in states:
        assert state["enabled"] is True
        assert state["frozen"] > 10_000


# What each probe starts with: gunicorn.conf.py loaded as gunicorn loads it (gevent patched).
CONFIGURED = """
import sys
from gunicorn.app.wsgiapp import WSGIApplication

sys.argv = ["gunicorn", "--config", "gunicorn.conf.py", "tests.support.gc_probe:app"]
application = WSGIApplication()
"""


def probe_lines(script: str) -> list[str]:
    """What `script` prints, run after CONFIGURED in a process of its own."""
    probe = subprocess.run(
        [sys.executable, "-c", CONFIGURED + script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return probe.stdout.splitlines()


# Hands the configured logger a finished request: prints whether it built the fields of an
# access line.
ACCESS_PROBE = """
from unittest import mock
from gunicorn.glogging import Logger

logger = application.cfg.logger_class(application.cfg)
with mock.patch.object(Logger, "atoms", side_effect=RuntimeError("access line built")):
    try:
        logger.access(mock.Mock(), mock.Mock(), {}, mock.Mock())
        print("no access line")
    except RuntimeError as error:
        print(error)
logger.error("the error log still writes")
"""


def test_gunicorn_builds_no_access_line_of_its_own():
    lines = probe_lines(ACCESS_PROBE)
    assert lines[0] == "no access line"
    # gunicorn's own messages stay JSON lines on stdout.
    error_line = json.loads(lines[1])
    assert error_line["logger"] == "gunicorn.error"
    assert error_line["message"] == "the error log still writes"


# The hook after a request, called in a gevent worker's process with another greenlet ready to
# run: prints whether that greenlet got its turn before the hook returned.
YIELD_PROBE = """
import gevent

others_turn = []
gevent.spawn(others_turn.append, "ran")
application.cfg.post_request(None, None, {}, None)
print("yielded" if others_turn else "kept the worker")
"""


def test_a_gevent_worker_lets_its_other_connections_run_after_each_request():
    assert probe_lines(YIELD_PROBE)[-1] == "yielded"


# The hook as a worker starts, with a stand-in for the service's module: prints the concurrency
# the worker asks its AWS clients to pool connections for.
POOL_PROBE = """
import sys
import types

asked = []
sys.modules["app.wsgi"] = types.SimpleNamespace(warm_up=asked.append)
application.cfg.post_worker_init(types.SimpleNamespace(cfg=application.cfg))
print(application.cfg.worker_class_str, application.cfg.worker_connections, asked[0])
"""


def test_a_worker_pools_a_connection_for_each_request_it_serves_at_once():
    """Issue 20, item 10: the pool (botocore's 10) was far below a gevent worker's 1,000
    connections, so connections were opened and thrown away ("Connection pool is full")."""
    worker_class, connections, asked = probe_lines(POOL_PROBE)[-1].split()
    assert worker_class == "gevent"
    assert int(asked) == int(connections) == 1000
