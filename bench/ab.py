"""Two source trees of the service against each other, in one sitting: the same fixture and
emulator (as bench/inprocess.py builds them), one child process per tree, each with its own
app, running the same request in alternating turns; the CPU time (time.process_time) of each
child per request. For measuring one change on a machine shared with other engineers, where
two runs minutes apart differ by more than the change.

    python -m bench.ab BEFORE_TREE AFTER_TREE [--turns 12] [--requests 200]

A tree is a checkout of the repository (e.g. `git archive <commit> | tar -x -C DIR`); the
fixture is built by the checkout this runs from. Per request kind it prints each side's median
CPU per request and the median of the paired ratios, as how much less CPU the second uses.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.serving import build_fixture
from tests.support.stack import running_emulator, running_stack

# Runs in each tree: warm every case, then answer "<case> <count>" lines with CPU per request.
CHILD = r"""
import json, os, sys, time
protocol = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the app's log lines
from bench.replay import install_from_environment
install_from_environment()
from app import create_app
client = create_app().test_client()
cases = json.loads(os.environ["AB_CASES"])
def run(case, count):
    body = case["body"].encode() if case["body"] is not None else None
    started = time.process_time()
    for _ in range(count):
        reply = client.open(case["path"], method=case["method"], headers=case["headers"], data=body)
        if reply.status_code >= 400:
            raise RuntimeError(reply.data)
    return (time.process_time() - started) / count
for case in cases.values():
    run(case, 50)
protocol.write("ready\n"); protocol.flush()
for line in sys.stdin:
    name, count = line.rsplit(" ", 1)
    protocol.write(f"{run(cases[name], int(count))}\n"); protocol.flush()
"""


class Side:
    def __init__(self, tree: Path, environment: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=tree,
            env={**os.environ, **environment, "PYTHONPATH": str(tree)},
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{tree}: the app did not start")

    def cpu_per_request(self, case: str, count: int) -> float:
        self.process.stdin.write(f"{case} {count}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, running_emulator(), running_stack() as stack:
        fixture = build_fixture(stack, Path(workdir))
        cases = {
            name: {"method": c.method, "path": c.path, "headers": dict(c.headers), "body": c.body}
            for name, c in fixture.cases.items()
        }
        environment = {**fixture.environment, "AB_CASES": json.dumps(cases)}
        sides = [Side(tree.resolve(), environment) for tree in (arguments.before, arguments.after)]
        print(f"{arguments.turns} alternating turns of {arguments.requests} requests each:")
        try:
            for name in cases:
                before, after, ratios = [], [], []
                for turn in range(arguments.turns):
                    order = sides if turn % 2 == 0 else sides[::-1]
                    got = {
                        id(side): side.cpu_per_request(name, arguments.requests) for side in order
                    }
                    before.append(got[id(sides[0])])
                    after.append(got[id(sides[1])])
                    ratios.append(before[-1] / after[-1])
                ratio = statistics.median(ratios)
                print(
                    f"  {name:32s} before {statistics.median(before) * 1e6:6.0f} us  after "
                    f"{statistics.median(after) * 1e6:6.0f} us  {100 * (1 - 1 / ratio):+4.0f}% "
                    "less CPU per request"
                )
        finally:
            for side in sides:
                side.close()


if __name__ == "__main__":
    main()
