"""The service's own cost per request, as throughput relative to bare Flask (issue 10).

Both run under the project's gunicorn.conf.py. The service answers from DynamoDB responses that
this harness records first from a real run against the emulator, replayed below botocore
(bench/replay.py), so that serialising, signing and parsing still run but the emulator's speed
does not count. Each figure is the median of several pair ratios, each pair measured back to
back (in alternating order) so that the shared machine's noise falls on both sides alike.

    python -m bench.serving [--rounds 3] [--seconds 8] [--memory-requests 100000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.replay import MODE_VARIABLE
from bench.servers import (
    BARE_FLASK,
    SERVICE,
    Request,
    Server,
    WrkResult,
    compile_bytecode,
    run_wrk,
    service_process_environment,
)
from tests.support.stack import running_emulator, running_stack

CONNECTIONS = 16
LATENCY_CONNECTIONS = (1, 8, 32, 128)
GOALS = {
    "GET /api/v1/me (no AWS call)": 0.60,
    # The browser app's poll every 3 s while a page is visible: a 304 after one BatchGetItem,
    # as cheap as reading one task.
    "poll the feed, 304 (1 call)": 0.40,
    "GET one task (1 call)": 0.40,
    "list 25 tasks (2 calls)": 0.30,
    "POST a task (1 transaction)": 0.25,
}
STARTUP_GOAL = 1.5
TASKS_IN_LIST = 30
# Older than the listed tasks, so that the plain list reads what it always did: plans in every
# status and priority, for the filtered list and the search (docs/data-model.md).
PLANS = 40
STATUSES = ("todo", "in_progress", "done")
PRIORITIES = ("urgent", "high", "medium", "low", "none")


@dataclass
class Fixture:
    environment: dict[str, str]
    cases: dict[str, Request]


def build_fixture(stack, workdir: Path) -> Fixture:
    """A user, a workspace with more tasks than one page, and the requests; then one real run
    of each against the emulator, recorded. The feed poll is the browser app's: an If-None-Match
    with the feed's ETag after the tasks were made, so nothing changed since (304)."""
    user = stack.new_user("bench")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {user.access_token}"
    workspace = session.post(f"{stack.api}/workspaces", json={"name": "Bench"}).json()
    tasks_path = f"/api/v1/workspaces/{workspace['id']}/tasks"
    for i in range(PLANS):
        plan = {"title": f"Plan {i}", "status": STATUSES[i % 3], "priority": PRIORITIES[i % 5]}
        session.post(f"{stack.base_url}{tasks_path}", json=plan)
    task = None
    for i in range(TASKS_IN_LIST):
        task = session.post(f"{stack.base_url}{tasks_path}", json={"title": f"Task {i}"}).json()
    auth = {"Authorization": f"Bearer {user.access_token}"}
    changes = f"/api/v1/workspaces/{workspace['id']}/changes"
    position = session.get(f"{stack.base_url}{changes}").json()["next"]
    seen = session.get(f"{stack.base_url}{changes}?after={position}").headers["ETag"]
    cases = {
        "GET /api/v1/me (no AWS call)": Request("GET", "/api/v1/me", auth),
        # Before the POST: recorded while nothing has changed since `seen`.
        "poll the feed, 304 (1 call)": Request(
            "GET", f"{changes}?after={position}", {**auth, "If-None-Match": seen}
        ),
        "GET one task (1 call)": Request("GET", f"{tasks_path}/{task['id']}", auth),
        "list 25 tasks (2 calls)": Request("GET", f"{tasks_path}?limit=25", auth),
        # Two statuses' partitions merged, in priority order.
        "list, 2 statuses by priority (3 calls)": Request(
            "GET", f"{tasks_path}?status=todo,in_progress&sort=-priority&limit=25", auth
        ),
        # A word's 40 entries, their tasks read at once, sorted here.
        "search a word (3 calls)": Request("GET", f"{tasks_path}?q=plan&limit=25", auth),
        "POST a task (1 transaction)": Request(
            "POST",
            tasks_path,
            {**auth, "Content-Type": "application/json"},
            '{"title": "A task from the benchmark", "status": "in_progress"}',
        ),
    }
    # The task index writes the plans' word entries within 2 s of their creation.
    deadline = time.monotonic() + 10
    while (
        len(session.get(f"{stack.base_url}{tasks_path}?q=plan&limit=100").json()["items"]) < PLANS
    ):
        assert time.monotonic() < deadline, "the word entries were not written"
        time.sleep(0.2)
    recording = workdir / "dynamodb.jsonl"
    environment = service_process_environment(stack.environment)
    with Server(SERVICE, {**environment, MODE_VARIABLE: f"record:{recording}"}) as recorder:
        for case in cases.values():
            for _ in range(2):
                reply = requests.request(
                    case.method, recorder.url + case.path, headers=case.headers, data=case.body
                )
                assert reply.status_code < 400, reply.text
    return Fixture({**environment, MODE_VARIABLE: f"replay:{recording}"}, cases)


def bare_environment(environment: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environment.items() if k != MODE_VARIABLE}


def paired(measure: Callable[[bool], float], rounds: int) -> list[float]:
    """`measure(service)` for the service and for the baseline, back to back, alternating
    which goes first; the ratios service/baseline of each pair."""
    ratios = []
    for round_number in range(rounds):
        order = (False, True) if round_number % 2 == 0 else (True, False)
        values = {service: measure(service) for service in order}
        ratios.append(values[True] / values[False])
    return ratios


# Requests per second of each side, per request kind, for the report beside the ratios.
ABSOLUTE: dict[str, dict[bool, list[float]]] = {}


def throughput(fixture: Fixture, rounds: int, seconds: float) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    with (
        Server(SERVICE, fixture.environment) as service,
        Server(BARE_FLASK, bare_environment(fixture.environment)) as bare,
    ):
        for name, case in fixture.cases.items():
            # Warm both (clients, keys, caches) before anything counts.
            run_wrk(service.url, [case], connections=CONNECTIONS, seconds=1)
            run_wrk(bare.url, [case], connections=CONNECTIONS, seconds=1)

            def rps(on_service: bool, case: Request = case, name: str = name) -> float:
                server = service if on_service else bare
                result = run_wrk(server.url, [case], connections=CONNECTIONS, seconds=seconds)
                if result.errors:
                    raise RuntimeError(f"{result.errors} failed requests for {case.path}")
                sides = ABSOLUTE.setdefault(name, {True: [], False: []})
                sides[on_service].append(result.requests_per_second)
                return result.requests_per_second

            results[name] = paired(rps, rounds)
    return results


# CPU seconds (master and busiest worker) at each side's first 200, reported beside the ratios.
STARTUP_CPU: dict[bool, list[float]] = {True: [], False: []}


def startup(fixture: Fixture, rounds: int) -> list[float]:
    compile_bytecode()

    def seconds(on_service: bool) -> float:
        environment = fixture.environment if on_service else bare_environment(fixture.environment)
        server = Server(SERVICE if on_service else BARE_FLASK, environment)
        server.start()
        try:
            elapsed = server.seconds_to_first_200("/readyz")
            STARTUP_CPU[on_service].append(server.critical_path_cpu_seconds())
            return elapsed
        finally:
            server.stop()

    return paired(seconds, rounds)


def latency(fixture: Fixture, seconds: float) -> tuple[list[tuple[str, int, WrkResult]], int]:
    rows = []
    with (
        Server(SERVICE, fixture.environment) as service,
        Server(BARE_FLASK, bare_environment(fixture.environment)) as bare,
    ):
        workers = len(service.worker_pids())
        for connections in LATENCY_CONNECTIONS:
            me = fixture.cases["GET /api/v1/me (no AWS call)"]
            rows.append(
                (
                    "bare Flask",
                    connections,
                    run_wrk(bare.url, [me], connections=connections, seconds=seconds),
                )
            )
            for name, case in fixture.cases.items():
                result = run_wrk(service.url, [case], connections=connections, seconds=seconds)
                rows.append((name, connections, result))
    return rows, workers


def memory(fixture: Fixture, total_requests: int) -> tuple[list[float], list[float], list[float]]:
    """RSS per worker after start, after a warm-up of about 2,000 requests, and after
    `total_requests` of the four requests in turn."""
    mix = list(fixture.cases.values())
    with Server(SERVICE, fixture.environment) as service:
        after_start = service.worker_rss_mib()
        sent = run_wrk(service.url, mix, connections=CONNECTIONS, seconds=2).requests
        warm = service.worker_rss_mib()
        while sent < total_requests:
            result = run_wrk(service.url, mix, connections=CONNECTIONS, seconds=10)
            if result.errors:
                raise RuntimeError(f"{result.errors} failed requests in the memory run")
            sent += result.requests
        return after_start, warm, service.worker_rss_mib()


def report_throughput(ratios: dict[str, list[float]], start: list[float]) -> None:
    rounds = len(next(iter(ratios.values()))) if ratios else len(start)
    print(
        f"\nThroughput as a fraction of bare Flask (wrk, {CONNECTIONS} connections; median of "
        f"{rounds} alternating pairs):"
    )
    print(f"  {'request':40s} {'ratio':>6s} {'goal':>6s}  {'req/s':>7s} {'bare':>7s}  pairs")
    for name, values in ratios.items():
        median = statistics.median(values)
        goal = GOALS.get(name)
        verdict = "" if goal is None else ("met" if median >= goal else "NOT MET")
        shown_goal = "-" if goal is None else f"{goal:.2f}"
        pairs = " ".join(f"{v:.2f}" for v in values)
        ours, bare = (statistics.median(ABSOLUTE[name][side]) for side in (True, False))
        print(
            f"  {name:40s} {median:6.2f} {shown_goal:>6s}  {ours:7.0f} {bare:7.0f}  "
            f"{pairs}  {verdict}"
        )
    if start:
        median = statistics.median(start)
        verdict = "met" if median <= STARTUP_GOAL else "NOT MET"
        pairs = " ".join(f"{v:.2f}" for v in start)
        print(
            f"  {'start to first 200 on /readyz':40s} {median:5.2f}x {STARTUP_GOAL:>5.1f}x  "
            f"{pairs}  {verdict}"
        )
        cpu = [s / b for s, b in zip(STARTUP_CPU[True], STARTUP_CPU[False], strict=True)]
        ours, bare = (statistics.median(STARTUP_CPU[side]) for side in (True, False))
        print(
            f"  {'  CPU, master + one worker':40s} {statistics.median(cpu):5.2f}x         "
            f"{' '.join(f'{v:.2f}' for v in cpu)}  (median {ours:.2f} s against {bare:.2f} s)"
        )


def report_latency(rows: list[tuple[str, int, WrkResult]], workers: int) -> None:
    print(f"\nLatency (ms) and throughput by connections ({workers} workers):")
    print(
        f"  {'request':40s} {'conns':>5s} {'p50':>8s} {'p99':>8s} {'req/s':>8s} "
        f"{'req/s/worker':>12s}"
    )
    for name, connections, result in rows:
        print(
            f"  {name:40s} {connections:5d} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
            f"{result.requests_per_second:8.0f} {result.requests_per_second / workers:12.0f}"
        )


def report_memory(rss: tuple[list[float], list[float], list[float]], total: int) -> None:
    after_start, warm, after = rss
    print(f"\nRSS per worker (MiB), {total:,}+ requests of the four kinds in turn:")
    for i, (a, b, c) in enumerate(zip(after_start, warm, after, strict=True)):
        print(
            f"  worker {i}: after start {a:6.1f}  after warm-up {b:6.1f}  after {c:6.1f}  "
            f"growth since warm-up {100 * (c - b) / b:+.1f}%"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--latency-seconds", type=int, default=4)
    parser.add_argument("--startup-rounds", type=int, default=5)
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument(
        "--sections",
        default="throughput,startup,latency,memory",
        help="comma-separated: which of the four to run",
    )
    arguments = parser.parse_args()
    sections = set(arguments.sections.split(","))
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_emulator(),
        running_stack() as stack,
    ):
        fixture = build_fixture(stack, Path(workdir))
        ratios = (
            throughput(fixture, arguments.rounds, arguments.seconds)
            if ("throughput" in sections)
            else {}
        )
        start = startup(fixture, arguments.startup_rounds) if "startup" in sections else []
        if ratios or start:
            report_throughput(ratios, start)
        if "latency" in sections:
            report_latency(*latency(fixture, arguments.latency_seconds))
        if "memory" in sections:
            report_memory(memory(fixture, arguments.memory_requests), arguments.memory_requests)


if __name__ == "__main__":
    main()
