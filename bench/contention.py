"""Many creators in one workspace at once (issue 20, item 10): how many of their requests end
in 409 ("changing faster than this change could be ordered") or 503, how long they take, and
whether the API's DynamoDB connection pool throws connections away ("Connection pool is full").

Every change to a workspace is ordered by its audit event (app/domain/commits.py), so
concurrent changes in one workspace contend on one item; a change that loses is sent again.
This is the local stack (moto serves one request at a time, so contention here is harsher than
DynamoDB's), under the service's own gunicorn and gevent workers. A creator that gets 503 waits
as `Retry-After` says before its next request, as the contract asks of clients.

    python -m bench.contention [--creators 40] [--seconds 20]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import Counter

import requests

from tests.support.stack import ARTIFACTS, running_emulator, running_stack

POOL_FULL = "Connection pool is full"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--creators", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20)
    arguments = parser.parse_args()
    log = ARTIFACTS / "api.log"
    with running_emulator(), running_stack() as stack:
        owner = stack.new_user("contention")
        auth = {"Authorization": f"Bearer {owner.access_token}"}
        created = requests.post(
            f"{stack.api}/workspaces", json={"name": "Contended"}, headers=auth, timeout=10
        ).json()
        tasks = f"{stack.api}/workspaces/{created['id']}/tasks"
        log_start = log.stat().st_size if log.exists() else 0
        statuses: Counter[int] = Counter()
        timings: list[float] = []
        lock = threading.Lock()
        stop = threading.Event()
        start = threading.Barrier(arguments.creators)

        def create() -> None:
            session = requests.Session()
            start.wait()
            number = 0
            while not stop.is_set():
                number += 1
                began = time.perf_counter()
                response = session.post(
                    tasks, json={"title": f"t{number}"}, headers=auth, timeout=30
                )
                with lock:
                    statuses[response.status_code] += 1
                    timings.append(time.perf_counter() - began)
                if response.status_code == 503:
                    # As the contract asks of a client (docs/api.md, "Errors").
                    stop.wait(float(response.headers.get("Retry-After", "1")))

        threads = [threading.Thread(target=create) for _ in range(arguments.creators)]
        for thread in threads:
            thread.start()
        time.sleep(arguments.seconds)
        stop.set()
        for thread in threads:
            thread.join()
        with log.open(errors="replace") as lines:
            lines.seek(log_start)
            pool_full = sum(POOL_FULL in line for line in lines)
    total = sum(statuses.values())
    timings.sort()
    print(
        f"{arguments.creators} creators, {arguments.seconds:.0f} s: {total} requests, "
        f"{dict(sorted(statuses.items()))}; 409: {statuses[409] / total:.1%}, "
        f"503: {statuses[503] / total:.1%}; median {statistics.median(timings) * 1000:.0f} ms, "
        f"p99 {timings[int(len(timings) * 0.99)] * 1000:.0f} ms, "
        f"max {timings[-1] * 1000:.0f} ms; '{POOL_FULL}' logged {pool_full} times"
    )


if __name__ == "__main__":
    main()
