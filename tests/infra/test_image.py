"""The Dockerfile and .dockerignore, read as text: what hadolint and checkov do not check."""

from __future__ import annotations

import json
import re

from tests.infra import support

DOCKERFILE = (support.ROOT / "Dockerfile").read_text()
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.startswith("#")
]


def stages() -> list[list[str]]:
    found: list[list[str]] = []
    for line in INSTRUCTIONS:
        if line.startswith("FROM "):
            found.append([])
        found[-1].append(line)
    return found


def test_two_stages_from_slim_python_3_13():
    assert [s[0] for s in stages()] == [
        "FROM python:3.13-slim AS build",
        "FROM python:3.13-slim AS runtime",
    ]


def test_dependencies_come_from_the_lock_without_dev():
    build = " ".join(stages()[0])
    assert "uv sync --locked --no-dev" in build
    assert "COPY pyproject.toml uv.lock" in build


def test_the_runtime_stage_has_no_build_tools_and_runs_gunicorn_unprivileged():
    runtime = stages()[1]
    text = " ".join(runtime)
    assert "COPY --from=build /opt/venv /opt/venv" in text
    assert "pip uninstall" in text
    assert not re.search(r"\b(apt-get install|uv |gcc|build-essential)\b", text)
    (user,) = [line for line in runtime if line.startswith("USER ")]
    assert user.split()[1].split(":")[0] not in ("0", "root")
    cmd = json.loads(runtime[-1].removeprefix("CMD "))
    assert cmd == ["gunicorn", "--config", "gunicorn.conf.py", "app.wsgi:app"]


def test_the_apps_modules_are_compiled_in_the_image_not_at_every_start():
    runtime = stages()[1]
    copy = runtime.index("COPY app ./app")
    compiled = [i for i, line in enumerate(runtime) if line == "RUN python -m compileall -q app"]
    # After the code is copied (or the compiled files would be stale and ignored) and as root,
    # before the unprivileged user, who cannot write to /srv.
    assert compiled and copy < compiled[0] < runtime.index("USER 10001:10001")
    assert "UV_COMPILE_BYTECODE=1" in " ".join(stages()[0])


def test_the_build_context_lets_in_only_what_the_image_needs():
    lines = [
        line
        for line in (support.ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert {line[1:] for line in lines if line.startswith("!")} == {
        "pyproject.toml",
        "uv.lock",
        "gunicorn.conf.py",
        "app/",
        # What operators' one-off tasks run (ops/operator_task.py).
        "migrations/",
        "lambdas/audit_archive/audit_chain.py",
    }


def test_the_task_has_the_images_health_check_because_ecs_ignores_the_dockerfiles():
    (healthcheck,) = [line for line in INSTRUCTIONS if line.startswith("HEALTHCHECK ")]
    in_dockerfile = json.loads(healthcheck.split(" CMD ", 1)[1])
    manifest = support.load_yaml(support.SERVICE_MANIFEST)
    command = manifest["image"]["healthcheck"]["command"]
    assert command[0] == "CMD" and command[1:] == in_dockerfile
    assert "ECS ignores a Dockerfile HEALTHCHECK" in DOCKERFILE
