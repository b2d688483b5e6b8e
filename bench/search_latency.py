"""How soon a new or renamed task is found by search on the local stack (docs/api.md: within 2 s):
from the API's answer to the create or the rename, to the first GET .../tasks?q= that lists it
(polled every 50 ms). The word entries are written by the task-index function on the table's
stream (devstack/stream_poller.py locally), so this is the poller's delay and the function's
work.

    python -m bench.search_latency [--tasks 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import requests

from tests.support.stack import running_emulator, running_stack

POLL_S = 0.05


def found_after(session: requests.Session, url: str, word: str, since: float) -> float:
    while True:
        items = session.get(url, params={"q": word}).json()["items"]
        if items:
            return time.monotonic() - since
        if time.monotonic() - since > 30:
            raise TimeoutError(f"{word!r} not found in 30 s")
        time.sleep(POLL_S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=20)
    arguments = parser.parse_args()
    with running_emulator(), running_stack() as stack:
        user = stack.new_user("search")
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {user.access_token}"
        workspace = session.post(f"{stack.api}/workspaces", json={"name": "Search"}).json()
        url = f"{stack.api}/workspaces/{workspace['id']}/tasks"
        created, renamed = [], []
        for n in range(arguments.tasks):
            started = time.monotonic()
            task = session.post(url, json={"title": f"Inspect zeppelin{n}"}).json()
            created.append(found_after(session, url, f"zeppelin{n}", started))
            started = time.monotonic()
            session.patch(
                f"{url}/{task['id']}",
                json={"title": f"Inspect blimp{n}"},
                headers={"If-Match": '"1"'},
            )
            renamed.append(found_after(session, url, f"blimp{n}", started))
    print(f"\nSeconds until search finds a task ({arguments.tasks} each, local stack):")
    for name, values in (("created", created), ("renamed", renamed)):
        ordered = sorted(values)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        print(
            f"  {name:8s} median {statistics.median(values):.2f}  p95 {p95:.2f}  "
            f"max {max(values):.2f}  (contract: 2.00)"
        )


if __name__ == "__main__":
    main()
