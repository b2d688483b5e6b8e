"""The soak (issue 9, item 20): five minutes of mixed load on the local stack as `make dev` runs
it (the emulator, the real service under gunicorn.conf.py), then the verdict: no failed request
and RSS per worker grown by less than 10% from the end of the first minute to the end.

    python -m bench.soak [--minutes 5] [--connections 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.servers import SERVICE, Request, Server, run_wrk, service_process_environment
from bench.serving import build_fixture
from tests.support.stack import running_emulator, running_stack

GROWTH_LIMIT = 0.10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, running_emulator(), running_stack() as stack:
        fixture = build_fixture(stack, Path(workdir))
        mix = [*fixture.cases.values(), Request("GET", "/readyz")]
        # DynamoDB is the emulator here: no replay.
        with Server(SERVICE, service_process_environment(stack.environment)) as server:
            total_s = arguments.minutes * 60
            warm_s = min(60, total_s / 5)
            started = time.monotonic()
            first = run_wrk(server.url, mix, connections=arguments.connections, seconds=warm_s)
            baseline = server.worker_rss_mib()
            sent, failed = first.requests, first.errors
            while (left := total_s - (time.monotonic() - started)) > 1:
                result = run_wrk(
                    server.url, mix, connections=arguments.connections, seconds=min(30, left)
                )
                sent += result.requests
                failed += result.errors
                print(
                    f"  {time.monotonic() - started:5.0f} s: {sent} requests, {failed} failed, "
                    f"RSS {', '.join(f'{r:.1f}' for r in server.worker_rss_mib())} MiB",
                    flush=True,
                )
            final = server.worker_rss_mib()
    growth = [(after - before) / before for before, after in zip(baseline, final, strict=True)]
    print(
        f"\nSoak: {arguments.minutes:g} min, {arguments.connections} connections, "
        f"{sent} requests ({sent / total_s:.0f}/s), {failed} failed"
    )
    for i, (before, after, g) in enumerate(zip(baseline, final, growth, strict=True)):
        print(
            f"  worker {i}: RSS {before:.1f} MiB after {warm_s:.0f} s -> {after:.1f} MiB "
            f"({100 * g:+.1f}%, limit {100 * GROWTH_LIMIT:.0f}%)"
        )
    ok = failed == 0 and all(g < GROWTH_LIMIT for g in growth)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
