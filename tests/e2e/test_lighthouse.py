"""Lighthouse on the local stack: the sign-in page, the workspaces page and a workspace's tasks
of a signed-in user must score performance
>= 0.95, accessibility 1.0 and best practices >= 0.95, with at most 80 KB (gzip) of initial
JavaScript. frontend/scripts/lighthouse.mjs measures and prints; this runs it on a fresh stack."""

from __future__ import annotations

import os
import subprocess

from tests.e2e.conftest import CHROMIUM, ROOT
from tests.support.http import ApiClient
from tests.support.stack import ARTIFACTS


def test_lighthouse_budget(app_stack):
    user = app_stack.new_user("lighthouse")
    api = ApiClient(app_stack.api, user.access_token)
    workspaces = [api.create_workspace(name) for name in ("Launch plan", "Hiring", "Office move")]
    tasks = f"/workspaces/{workspaces[0]['id']}/tasks"
    for title, status in [("Write the brief", "done"), ("Book the venue", "in_progress")]:
        assert api.post(tasks, json={"title": title, "status": status}).status_code == 201
    result = subprocess.run(
        [
            "node",
            "scripts/lighthouse.mjs",
            "--url",
            app_stack.base_url,
            "--email",
            user.email,
            "--password",
            user.password,
            "--page",
            f"tasks=/workspaces/{workspaces[0]['id']}",
            "--out",
            str(ARTIFACTS / "lighthouse"),
        ],
        cwd=ROOT / "frontend",
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    print(result.stdout, result.stderr, sep="\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lighthouse sign-in" in result.stdout
    assert "Lighthouse workspaces" in result.stdout
    assert "Lighthouse tasks" in result.stdout
