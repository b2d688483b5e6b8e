"""Where a request's time goes: py-spy samples one gunicorn worker of the service (DynamoDB
replayed, as in bench/serving.py) while wrk loads it with one kind of request. Writes, per kind,
a flame graph (SVG) under bench/profiles/, and prints the functions that hold the most samples
(inclusive), so that a change can be aimed at what the profile shows.

    python -m bench.profile [--seconds 16] [--case me] [--output bench/profiles/NAME]

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

from bench.servers import SERVICE, Server, run_wrk
from bench.serving import build_fixture
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


def profile(server: Server, name: str, case, seconds: int, *, output: Path, scratch: Path) -> None:
    worker = server.worker_pids()[0]
    load = threading.Thread(
        target=run_wrk, args=(server.url, [case]), kwargs={"connections": 8, "seconds": seconds + 2}
    )
    load.start()
    collapsed = scratch / f"{name}.txt"
    # Two passes of the same load: one for the picture (kept), one for the text summary.
    record(worker, seconds // 2, output / f"{name}.svg", "flamegraph")
    record(worker, seconds // 2, collapsed, "raw")
    load.join()
    print(f"\n{CASES[name]}: inclusive share of samples (one worker, {seconds // 2} s)")
    for share, frame in top_functions(collapsed):
        print(f"  {share:5.1f}%  {frame[:130]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=16)
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--output", type=Path, default=PROFILES, help="where the SVGs go")
    arguments = parser.parse_args()
    arguments.output.mkdir(parents=True, exist_ok=True)
    names = list(CASES) if arguments.case == "all" else [arguments.case]
    with tempfile.TemporaryDirectory() as workdir, running_emulator(), running_stack() as stack:
        fixture = build_fixture(stack, Path(workdir))
        with Server(SERVICE, {**fixture.environment, "WEB_CONCURRENCY": "1"}) as server:
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
                )


if __name__ == "__main__":
    main()
