"""gunicorn processes for the benchmarks: the service (DynamoDB recorded or replayed) and the
bare Flask baseline, both under the project's gunicorn.conf.py; and wrk to load them."""

from __future__ import annotations

import compileall
import os
import re
import shutil
import signal
import subprocess
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devstack.stack import gunicorn_command
from devstack.templates import ROOT
from tests.support.stack import free_port

SERVICE = "bench.replay_wsgi:app"
BARE_FLASK = "bench.bare_flask:app"


def service_process_environment(stack_environment: dict[str, str]) -> dict[str, str]:
    """What devstack gives the API process: this environment without Copilot's or endpoint
    variables, plus the provisioned stack's."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COPILOT_", "AWS_ENDPOINT_URL", "BENCH_"))
    }
    environment.update(stack_environment)
    return environment


def compile_bytecode() -> None:
    """Compile the virtualenv's packages and the project's code, as the image has them.

    The image's virtualenv is compiled when it is built (UV_COMPILE_BYTECODE=1 in the
    Dockerfile), and the stdlib comes compiled. Here PYTHONDONTWRITEBYTECODE may be set and
    `uv sync` compiles nothing, so every gunicorn master would compile every module it imports
    from source again, on both sides: that was most of a start measured here (1.5 s of a
    2.9 s import under cProfile), a cost no deployed task pays. Already compiled files are
    skipped, so a second run costs only the checks.
    """
    for directory in (sysconfig.get_paths()["purelib"], ROOT / "app", ROOT / "bench"):
        compileall.compile_dir(directory, quiet=1, workers=0)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """One gunicorn master with its workers, on a free port."""

    def __init__(self, module: str, environment: dict[str, str]):
        self.module = module
        self.environment = environment
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        # BENCH_SERVER_LOG=<file> keeps the servers' output (one JSON line per request).
        log = os.environ.get("BENCH_SERVER_LOG")
        self._log = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 -- closed by stop()

    def start(self) -> None:
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            gunicorn_command(self.module, f"127.0.0.1:{self.port}"),
            cwd=ROOT,
            env=self.environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def seconds_to_first_200(self, path: str = "/readyz", limit_s: float = 60) -> float:
        """From process start to the first 200 on `path`, polled every 5 ms."""
        assert self.process is not None
        deadline = self.started_at + limit_s
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited with {self.process.returncode}")
            try:
                # The benchmarked server, on our own local http URL.
                with urllib.request.urlopen(f"{self.url}{path}", timeout=2) as reply:  # nosec B310
                    if reply.status == 200:
                        return time.perf_counter() - self.started_at
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.005)
        raise TimeoutError(f"{self.module} gave no 200 on {path} in {limit_s} s")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return sorted(int(child) for child in children)

    def critical_path_cpu_seconds(self) -> float:
        """CPU time of the master plus the busiest worker so far: read at the first 200, what
        the start cost on its critical path (the master's work before the fork, then one
        worker's), robust to the other processes on the machine as wall time is not. The
        busiest worker is the one that answered, or one that did as much."""
        assert self.process is not None
        workers = [_cpu_seconds(pid) for pid in self.worker_pids()]
        return _cpu_seconds(self.process.pid) + max(workers, default=0.0)

    def worker_rss_mib(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            kib = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))
            sizes.append(kib / 1024)
        return sizes

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Server:
        self.start()
        self.seconds_to_first_200()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def _script(requests: list[Request]) -> str:
    """A wrk script that sends `requests` in turn, and counts any status >= 400."""
    # Built in init(): wrk.format fills in Host only once wrk has set it for the thread.
    lines = ["local requests = {}", "function init(args)"]
    for i, request in enumerate(requests, start=1):
        headers = ", ".join(
            f"[ {_lua_string(name)} ] = {_lua_string(value)}"
            for name, value in request.headers.items()
        )
        body = _lua_string(request.body) if request.body is not None else "nil"
        lines.append(
            f"  requests[{i}] = wrk.format({_lua_string(request.method)}, "
            f"{_lua_string(request.path)}, {{{headers}}}, {body})"
        )
    lines += [
        "end",
        "local n = 0",
        "function request()",
        "  n = n % #requests + 1",
        "  return requests[n]",
        "end",
    ]
    return "\n".join(lines) + "\n"


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNIT_MS[unit]


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is missing: `make bench` installs Debian's wrk package")
    return path


def run_wrk(url: str, requests: list[Request], *, connections: int, seconds: float) -> WrkResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_script(requests))
    try:
        completed = subprocess.run(
            [
                wrk_path(),
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        if completed.stderr.strip():
            # wrk reports a broken script on stderr and goes on with its default request.
            raise RuntimeError(f"wrk: {completed.stderr.strip()}")
        output = completed.stdout
    finally:
        os.unlink(script.name)
    percentile = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.MULTILINE))
    if set(percentile) != {"50", "99"}:
        raise RuntimeError(f"wrk printed no latency distribution:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return WrkResult(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_milliseconds(percentile["50"]),
        p99_ms=_milliseconds(percentile["99"]),
        errors=failed,
    )
