"""The app's own CPU per request, without gunicorn, sockets or wrk: for measuring one change at a
time on a noisy machine. The same requests as bench/serving.py go through Flask's test client to
the service (DynamoDB replayed below botocore, recorded first by the harness) and to the bare
Flask app, in alternating pairs; the figure per request is bare CPU time / service CPU time (the
throughput fraction that CPU alone would allow), median of the pairs. CPU time is this
process's own (time.process_time), so other engineers' load on the machine counts far less
than in wall-clock figures.

    python -m bench.inprocess [--rounds 7] [--requests 300] [--profile DIR]

With --profile, each kind of request is instead run under cProfile and DIR gets one .pstats
file per kind (read with `python -m pstats`); the functions with the most time of their own
are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from bench.serving import build_fixture
from tests.support.stack import running_emulator, running_stack


def cpu_per_request(client, case, count: int) -> float:
    body = case.body.encode() if case.body is not None else None
    headers = dict(case.headers)
    started = time.process_time()
    for _ in range(count):
        reply = client.open(case.path, method=case.method, headers=headers, data=body)
        if reply.status_code >= 400:
            raise RuntimeError(f"{case.method} {case.path}: {reply.status_code} {reply.data!r}")
    return (time.process_time() - started) / count


def profile_cases(service, cases, count: int, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for number, (name, case) in enumerate(cases.items()):
        cpu_per_request(service, case, 50)
        profiler = cProfile.Profile()
        profiler.enable()
        cpu_per_request(service, case, count)
        profiler.disable()
        path = directory / f"{number}.pstats"
        profiler.dump_stats(path)
        print(f"\n== {name} ({path})")
        pstats.Stats(str(path)).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", type=Path, help="write cProfile stats here instead")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, running_emulator(), running_stack() as stack:
        fixture = build_fixture(stack, Path(workdir))
        os.environ.update(fixture.environment)
        from bench.bare_flask import app as bare_app  # noqa: PLC0415
        from bench.replay import install_from_environment  # noqa: PLC0415

        install_from_environment()
        from app import create_app  # noqa: PLC0415

        service = create_app().test_client()
        bare = bare_app.test_client()
        if arguments.profile:
            profile_cases(service, fixture.cases, arguments.requests, arguments.profile)
            return
        print(
            f"CPU per request, bare Flask / service (test client, median of {arguments.rounds} "
            f"alternating pairs of {arguments.requests}):"
        )
        for name, case in fixture.cases.items():
            cpu_per_request(service, case, 50)  # warm: clients, keys, caches
            ratios, ours = [], []
            for round_number in range(arguments.rounds):
                if round_number % 2:
                    theirs = cpu_per_request(bare, case, arguments.requests)
                    mine = cpu_per_request(service, case, arguments.requests)
                else:
                    mine = cpu_per_request(service, case, arguments.requests)
                    theirs = cpu_per_request(bare, case, arguments.requests)
                ratios.append(theirs / mine)
                ours.append(mine)
            print(
                f"  {name:32s} {statistics.median(ratios):6.3f}   service "
                f"{statistics.median(ours) * 1e6:7.0f} us/request"
            )


if __name__ == "__main__":
    main()
