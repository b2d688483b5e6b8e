"""gunicorn settings for the API, in the container and in the local stack.

Worker model: gevent, one process per CPU (at least two), chosen by measurement (bench/,
docs/performance.md). With gthread (2 workers x 4 threads), 16 connections that sent half a
header line, or 8 that trickled a body a byte a second, held every thread and left /healthz
unanswered; the ALB buffers headers but not bodies, so any signed-up user could do it. A gevent
worker holds a slow connection in a greenlet of a few KiB, so 80 of them cost nothing and a
normal request still answers in milliseconds (tests/integration/test_serving.py). The request
work itself is CPU-bound Python, where threads only contend for the GIL and the log handler's
lock; greenlets switch only while a request waits on DynamoDB.

ECS sends SIGTERM and kills after its stop timeout (30 s by default); the graceful timeout lets
in-flight requests finish well within that, and the load balancer's deregistration delay
(copilot/api/manifest.yml) is set to match.
"""

import gc
import os
import sys

from gunicorn import glogging, util
from gunicorn.http import wsgi


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, _cpus())))
# GUNICORN_WORKER_CLASS=gthread is there to measure the alternative (`make bench`), not to run.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Concurrent connections per gevent worker, slow ones included; past it, connections wait in
# the listen backlog.
worker_connections = 1000
# gunicorn reads this file as the module "__config__"; a test that only reads the settings
# must not patch its own process.
if worker_class == "gevent" and __name__ == "__config__":
    # Before anything imports ssl, sockets or threading for the app (preload_app below): gevent
    # patched after those imports breaks TLS (RecursionError in SSLContext) and locks.
    from gevent import monkey

    monkey.patch_all()
# Build the app once in the master: a bad setting stops the start at once with its message.
preload_app = True
# Loading the app makes a few hundred thousand objects that live as long as the process
# (modules, classes, botocore's models); the cyclic collector walked them again and again while
# they were made (8% of the import) and, in each worker, would write to every page of them that
# the worker shares with the master. Python's own recipe for a preloading server (the `gc`
# module's docs, gc.freeze): the collector off while the master loads, everything made so far
# frozen just before the workers fork, the collector back on (the workers inherit both).
if __name__ == "__config__":
    gc.disable()


def when_ready(server):
    # gunicorn calls it in the master once the app is loaded, before it forks the workers.
    gc.freeze()
    gc.enable()


def post_worker_init(worker):
    # Each worker makes its AWS clients as it starts, not during its first requests (they
    # cannot be made in the master: a forked client must not share its connections).
    # Only if the master preloaded the service: another app under this file (the benchmark's
    # bare Flask baseline) has nothing to warm and must not build the service in each worker.
    service = sys.modules.get("app.wsgi")
    if service is not None:
        service.warm_up(concurrency(worker.cfg))


def concurrency(cfg) -> int:
    """How many requests a worker serves at once: each may hold an AWS connection."""
    if cfg.worker_class_str == "gevent":
        return cfg.worker_connections
    return cfg.threads


def post_request(worker, req, environ, resp):
    # A gevent worker switches to another connection only when the running one waits. Under a
    # saturated CPU, a keep-alive client that sends its next request as soon as it has the last
    # answer (a load balancer does) finds its connection never waiting, and the worker's other
    # connections wait for it: bare Flask's p99 at 8 connections was 860 ms against a p50 of
    # 0.5 ms. Yielding after each request lets them take turns (docs/performance.md, round 4).
    if worker_class == "gevent":
        import gevent  # noqa: PLC0415 -- imported with the worker, after the patch

        gevent.sleep(0)

timeout = 30
graceful_timeout = 20
# Longer than the ALB's idle timeout (60 s), so the balancer closes idle connections first.
keepalive = 75
# The app writes one JSON line per request (with its metrics); gunicorn's own access log would
# only repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}
    },
}


class _ErrorLogOnly(glogging.Logger):
    """gunicorn's logger without its access log. The app writes one JSON line per request
    itself (app/observability/requests.py); gunicorn, seeing `logconfig_dict`, would otherwise
    build its own access line's fields for every request and then drop them (its
    `gunicorn.access` logger has no handler here): a fifth of a bare Flask request's CPU and a
    tenth of the service's (docs/performance.md)."""

    def access(self, resp, req, environ, request_time):
        return


# gunicorn switches to its statsd logger only with the default logger_class; the service
# sends no statsd (its metrics are EMF in its own line), so nothing is lost.
logger_class = _ErrorLogOnly

# gunicorn would answer an over-long request line or header itself, in HTML. Let them through
# to the app, which refuses them as problem+json (app/api/http.py); the ALB caps both anyway.
limit_request_line = 0
limit_request_field_size = 0
limit_request_fields = 100

# Container concerns (the image runs with a read-only root file system): gunicorn 25.1+ opens a
# control socket under $XDG_RUNTIME_DIR or ~/.gunicorn, which nothing here uses; and the
# workers' heartbeat files go to memory (/dev/shm) rather than to the image's /tmp.
control_socket_disable = True
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# gunicorn names itself in a Server header and has no setting to stop it; the contract says no
# response names the server software, so drop that one header line.
_default_headers = wsgi.Response.default_headers


def _without_server_header(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_header


# What gunicorn still answers itself (a request line or header it cannot parse, too many
# headers, an unsupported transfer coding, a crash outside the app) is problem+json with the
# contract's headers too, not gunicorn's HTML page (see app/api/http.py).
def _write_problem(sock, status_int, reason, mesg):
    from app.api.http import server_error_response  # noqa: PLC0415 -- after the gevent patch

    detail = "The request is malformed" if 400 <= status_int < 500 else reason
    util.write_nonblock(sock, server_error_response(status_int, detail))


util.write_error = _write_problem
