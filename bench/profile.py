"""Where a request's time goes: py-spy samples one gunicorn worker of the service (DynamoDB
replayed, as in bench/serving.py) while wrk loads it with one kind of request. Writes, per kind,
a flame graph (SVG) under bench/profiles/, and prints the functions that hold the most samples
(inclusive), so that a change can be aimed at what the profile shows.

    python -m bench.profile [--seconds 16] [--case me] [--output bench/profiles/NAME] [--baseline]

With --baseline, bare Flask (bench/bare_flask.py, under the same gunicorn.conf.py) is sampled
the same way after the service, into `<case>-bare.svg`: what both sides spend (the server's own
cost, e.g. gunicorn building an access line) shows there too (docs/performance.md, round 4).

Kept in bench/profiles/: gthread-before/ (the starting point: gthread, no token cache) and
gevent/ (gevent workers with the token cache, before trace sampling).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from bench.servers import BARE_FLASK, SERVICE, Server, run_wrk
from bench.serving import bare_environment, build_fixture
from tests.support.stack import running_emulator, running_stack

PROFILES = Path(__file__).parent / "profiles"
CASES = {
    "me": "GET /api/v1/me (no AWS call)",
    "task": "GET one task (1 call)",
    "list": "list 25 tasks (2 calls)",
    "post": "POST a task (1 transaction)",
}


def py_spy() -> str:
    path = shutil.which("py-spy") or str(Path(__file__).parents[1] / ".venv/bin/py-spy")
    if not Path(path).exists():
        raise RuntimeError("py-spy is missing: `make setup` installs it (dev group)")
    return path


def record(pid: int, seconds: int, output: Path, form: str) -> None:
    subprocess.run(
        [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "250",
            "--nonblocking",
            "--format",
            form,
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
    )


def top_functions(collapsed: Path, count: int = 25) -> list[tuple[float, str]]:
    """Inclusive share of samples per function (each counted once per stack)."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        n = int(samples)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] += n
    return [(100 * n / total, frame) for frame, n in inclusive.most_common(count)]


def profile(
    server: Server, name: str, case, seconds: int, *, output: Path, scratch: Path, suffix: str
) -> None:
    worker = server.worker_pids()[0]
    load = threading.Thread(
        target=run_wrk, args=(server.url, [case]), kwargs={"connections": 8, "seconds": seconds + 2}
    )
    load.start()
    collapsed = scratch / f"{name}{suffix}.txt"
    # Two passes of the same load: one for the picture (kept), one for the text summary.
    record(worker, seconds // 2, output / f"{name}{suffix}.svg", "flamegraph")
    record(worker, seconds // 2, collapsed, "raw")
    load.join()
    window = f"one worker, {seconds // 2} s"
    print(f"\n{server.module}, {CASES[name]}: inclusive share of samples ({window})")
    for share, frame in top_functions(collapsed):
        print(f"  {share:5.1f}%  {frame[:130]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=16)
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--output", type=Path, default=PROFILES, help="where the SVGs go")
    parser.add_argument("--baseline", action="store_true", help="sample bare Flask too")
    arguments = parser.parse_args()
    arguments.output.mkdir(parents=True, exist_ok=True)
    names = list(CASES) if arguments.case == "all" else [arguments.case]
    with tempfile.TemporaryDirectory() as workdir, running_emulator(), running_stack() as stack:
        fixture = build_fixture(stack, Path(workdir))
        sides = [(SERVICE, fixture.environment, "")]
        if arguments.baseline:
            sides.append((BARE_FLASK, bare_environment(fixture.environment), "-bare"))
        for module, environment, suffix in sides:
            with Server(module, {**environment, "WEB_CONCURRENCY": "1"}) as server:
                for name in names:
                    case = fixture.cases[CASES[name]]
                    run_wrk(server.url, [case], connections=8, seconds=1)
                    profile(
                        server,
                        name,
                        case,
                        arguments.seconds,
                        output=arguments.output,
                        scratch=Path(workdir),
                        suffix=suffix,
                    )


if __name__ == "__main__":
    main()
