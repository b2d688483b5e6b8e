"""The whole local stack as one object: emulator, resources, demo user, API under gunicorn.
`make dev` runs it in the foreground; the integration tests run the same thing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack import emulator, stream_poller
from devstack.provision import LocalProvisioner, Provisioned
from devstack.templates import ROOT

# Locally no load balancer sits in front of the API, so an idle keep-alive connection is closed
# after 5 s rather than gunicorn.conf.py's 75 s (longer than the ALB's idle timeout). A gevent
# worker's graceful stop waits for every open connection, idle ones included: with 75 s, each
# stop of the local API outlasted the 20 s graceful timeout until the stack killed it at 15 s,
# once per test module (about 10 minutes of `make test`). In ECS the load balancer has drained
# and closed its connections before the task gets SIGTERM.
LOCAL_KEEPALIVE_S = 5


def gunicorn_command(app: str, bind: str, *, keepalive_s: int | None = None) -> list[str]:
    """The command that serves a WSGI app under the project's gunicorn.conf.py: the local
    stack's API, and the benchmark's and the tests' servers. `keepalive_s` overrides the
    configuration's keep-alive."""
    keepalive = ["--keep-alive", str(keepalive_s)] if keepalive_s is not None else []
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        bind,
        *keepalive,
        app,
    ]


DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "Demo-Passw0rd!"  # noqa: S105 -- a local demo account in the emulator only


@dataclass
class StackOptions:
    host: str = "127.0.0.1"
    emulator_port: int = 4566
    api_port: int = 8000
    region: str = "us-east-1"
    app: str = "teamtasks"
    env: str = "local"
    frontend_dir: Path | None = None
    state_dir: Path = ROOT / ".devstack"
    api_log: Path | None = None
    extra_environment: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.emulator_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def outbox(self) -> Path:
        """Where the local stack also writes every email it sends (one .eml file each)."""
        return self.state_dir / "outbox" / self.env


class LocalStack:
    def __init__(self, options: StackOptions, *, session: Any = None, progress=print):
        self.options = options
        self.progress = progress
        self.session = session or emulator.EndpointSession(options.endpoint, options.region)
        self.provisioned: Provisioned | None = None
        self.stream_setup: stream_poller.StreamSetup | None = None
        self.streams: stream_poller.LocalStreams | None = None
        self._emulator: subprocess.Popen[bytes] | None = None
        self._api: subprocess.Popen[bytes] | None = None

    # -- emulator -----------------------------------------------------------------------------

    def start_emulator(self) -> str:
        options = self.options
        if emulator.answers(options.endpoint, options.region):
            self.progress(f"Using the AWS endpoint already answering at {options.endpoint}")
            return "existing"
        if emulator.port_in_use(options.host, options.emulator_port):
            raise RuntimeError(
                f"port {options.emulator_port} is taken by something that is not an AWS "
                "endpoint; set AWS_EMULATOR_PORT to another port"
            )
        self.progress(f"Starting moto server on {options.endpoint}")
        self._emulator = emulator.start_moto(
            options.host,
            options.emulator_port,
            options.state_dir / "moto.log",
            options.region,
        )
        return "started"

    # -- resources ----------------------------------------------------------------------------

    def provision(self) -> Provisioned:
        provisioner = LocalProvisioner(
            self.session, app=self.options.app, env=self.options.env, progress=self.progress
        )
        self.provisioned = provisioner.run()
        self.progress("Audit archive bucket and the stream functions' mappings")
        self.stream_setup = stream_poller.provision(
            self.session,
            app=self.options.app,
            env=self.options.env,
            resources=self.provisioned.resources,
        )
        return self.provisioned

    @property
    def user_pool_id(self) -> str:
        return self.service_environment()["USER_POOL_ID"]

    @property
    def client_id(self) -> str:
        return self.service_environment()["USER_POOL_CLIENT_ID"]

    def service_environment(self) -> dict[str, str]:
        """What the API process gets: the addon outputs by Copilot's naming rule, plus the
        emulator endpoint and placeholder credentials."""
        assert self.provisioned is not None, "provision() first"
        environment = {
            **self.provisioned.service_environment,
            "AWS_ENDPOINT_URL": self.options.endpoint,
            "AWS_REGION": self.options.region,
            "AWS_DEFAULT_REGION": self.options.region,
            # The emulator is far slower than DynamoDB under load, and unlike DynamoDB it does
            # not honour the idempotency token that makes a retried transaction safe; so give
            # it time rather than retries.
            "AWS_READ_TIMEOUT": "5",
            **emulator.DUMMY_CREDENTIALS,
            **self.options.extra_environment,
        }
        if self.options.frontend_dir is not None:
            environment["FRONTEND_DIR"] = str(self.options.frontend_dir)
        return environment

    def function_settings(self) -> dict[str, str]:
        """What the functions get locally instead of their AWS values: the links in emails
        point at this API (it serves the browser app), and every email sent is also written to
        the outbox folder."""
        return {"APP_BASE_URL": self.options.api_url, "OUTBOX_DIR": str(self.options.outbox)}

    # -- the API ------------------------------------------------------------------------------

    def start_api(self, timeout_s: float = 60) -> None:
        options = self.options
        if emulator.port_in_use(options.host, options.api_port):
            raise RuntimeError(
                f"port {options.api_port} is in use (is the stack already running?); "
                "set PORT to another port"
            )
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("COPILOT_", "AWS_ENDPOINT_URL"))
        }
        environment.update(self.service_environment())
        output = None
        if options.api_log is not None:
            options.api_log.parent.mkdir(parents=True, exist_ok=True)
            output = options.api_log.open("ab")
        if self.stream_setup is not None and self.streams is None:
            # Before the API: the pollers read the stream from its end as they start. The
            # stream functions' logs go where the API's go.
            stream_output = options.api_log.open("a") if options.api_log is not None else None
            local_settings = self.function_settings()
            self.streams = stream_poller.start(
                self.session, self.stream_setup, stream_output, local_settings
            )
            stream_poller.save_functions(
                self.stream_setup,
                stream_poller.functions_file(options.state_dir, options.env),
                local_settings,
            )
        self._api = subprocess.Popen(
            gunicorn_command(
                "app.wsgi:app",
                f"{options.host}:{options.api_port}",
                keepalive_s=LOCAL_KEEPALIVE_S,
            ),
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while not self._api_answers():
            if self._api.poll() is not None:
                raise RuntimeError(f"the API exited with {self._api.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API did not answer on {options.api_url}")
            time.sleep(0.2)

    def _api_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.options.api_url}/healthz", timeout=1) as reply:  # noqa: S310 -- our own local URL  # nosec B310
                return reply.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait(self) -> int:
        """Block until a child exits; return its exit code."""
        while True:
            for process in (self._api, self._emulator):
                if process is not None and process.poll() is not None:
                    return process.returncode
            time.sleep(0.5)

    def stop(self) -> None:
        if self.streams is not None:
            self.streams.stop()
            self.streams = None
        for process in (self._api, self._emulator):
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
