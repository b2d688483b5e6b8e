"""gunicorn settings for the API, in the container and in the local stack.

Workers are processes (one per CPU, at least two), each with a few threads: requests mostly wait
on DynamoDB. ECS sends SIGTERM and kills after its stop timeout (30 s by default); the graceful
timeout lets in-flight requests finish well within that, and the load balancer's deregistration
delay (copilot/api/manifest.yml) is set to match.
"""

import os

from gunicorn.http import wsgi


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, _cpus())))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Build the app once in the master: a bad setting stops the start at once with its message.
preload_app = True
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
