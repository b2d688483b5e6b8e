"""Request latency of the API on the local stack, as ratios to GET /healthz measured in the same
run (the floor: HTTP, gunicorn, Flask, logging; no token, no AWS call). The ratios show what token
verification and each DynamoDB round trip add; absolute times on the emulator mean little.

    python -m bench.api_latency [--requests 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import requests

from tests.support.stack import running_emulator, running_stack


def timed(call: Callable[[], requests.Response], count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code < 400, response.text
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    count = parser.parse_args().requests
    with running_emulator(), running_stack() as stack:
        user = stack.new_user("bench")
        session = requests.Session()
        auth = {"Authorization": f"Bearer {user.access_token}"}
        api = stack.api
        workspace = session.post(f"{api}/workspaces", json={"name": "Bench"}, headers=auth).json()
        tasks = f"{api}/workspaces/{workspace['id']}/tasks"
        task = session.post(tasks, json={"title": "Bench"}, headers=auth).json()
        cases = {
            "GET /healthz (baseline)": lambda: session.get(f"{stack.base_url}/healthz"),
            "GET /api/v1/me (token only)": lambda: session.get(f"{api}/me", headers=auth),
            "GET one task (1 BatchGetItem)": lambda: session.get(
                f"{tasks}/{task['id']}", headers=auth
            ),
            "GET task list (2 calls)": lambda: session.get(f"{tasks}?limit=25", headers=auth),
            "POST task (1 transaction)": lambda: session.post(
                tasks, json={"title": "t"}, headers=auth
            ),
        }
        results = {name: timed(call, count) for name, call in cases.items()}
    baseline = statistics.median(results["GET /healthz (baseline)"])
    print(f"{count} sequential requests each, on the local stack (moto emulator):")
    print(f"  {'request':34s} {'median ms':>9s} {'p95 ms':>8s} {'x baseline':>10s}")
    for name, timings in results.items():
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"  {name:34s} {median:9.2f} {p95:8.2f} {median / baseline:10.1f}")


if __name__ == "__main__":
    main()
