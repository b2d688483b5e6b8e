# syntax=docker/dockerfile:1
# The API image: dependencies from uv.lock (no dev group) built in one stage, copied into a slim
# runtime stage that has no build tools, no uv and no pip, and runs as a non-root user.

FROM python:3.13-slim AS build
# uv from PyPI, pinned like the Makefile's.
RUN python -m pip install --no-cache-dir "uv==0.13.9"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
# Exactly the locked runtime dependencies; --locked fails if uv.lock is out of date.
RUN uv sync --locked --no-dev --no-install-project --python /usr/local/bin/python

FROM python:3.13-slim AS runtime
# The build stage's tools are not copied; pip and setuptools are removed from the base image.
RUN python -m pip uninstall --yes pip setuptools wheel >/dev/null 2>&1 || true \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8080
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY gunicorn.conf.py ./
COPY app ./app
# What operators run as one-off tasks of this image inside the VPC (ops/operator_task.py): the
# migrations and the audit archive's check.
COPY migrations ./migrations
COPY lambdas/audit_archive/audit_chain.py ./lambdas/audit_archive/
# The virtualenv was compiled when it was built (UV_COMPILE_BYTECODE); the app's own modules
# would be compiled again at every start, since the root file system is read-only and
# PYTHONDONTWRITEBYTECODE is set. Compiled once here instead (docs/performance.md, "Start-up").
RUN python -m compileall -q app
USER 10001:10001
EXPOSE 8080
# For `docker run` and local tools: ECS ignores a Dockerfile HEALTHCHECK; the service manifest's
# image.healthcheck gives the task the same check (stdlib only).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=2)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "app.wsgi:app"]
