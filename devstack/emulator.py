"""The AWS emulator: moto's server on 127.0.0.1, unless an AWS-compatible endpoint (a
LocalStack, say) already answers on the port; then that one is used."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from devstack.templates import ROOT

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


class EndpointSession:
    """A boto3 session whose clients all talk to one endpoint."""

    def __init__(self, endpoint: str, region: str):
        self.endpoint = endpoint
        self.region_name = region
        self._session = boto3.session.Session(
            region_name=region,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._session.client(service, endpoint_url=self.endpoint, **kwargs)


def answers(endpoint: str, region: str) -> bool:
    """Whether an AWS-compatible API answers at `endpoint` (checked with STS, which both moto
    and LocalStack serve)."""
    client = EndpointSession(endpoint, region).client(
        "sts",
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
    )
    try:
        client.get_caller_identity()
    except (BotoCoreError, ClientError):
        return False
    return True


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def start_moto(
    host: str, port: int, log_path: Path, region: str, *, state_file: Path | None = None
) -> subprocess.Popen[bytes]:
    """moto's server as devstack/moto_server.py runs it; with `state_file`, restored from it
    and able to crash into it (see that module)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "devstack.moto_server", "-H", host, "-p", str(port)]
    if state_file is not None:
        command += ["--state-file", str(state_file)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
    endpoint = f"http://{host}:{port}"
    deadline = time.monotonic() + 30
    while not answers(endpoint, region):
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            process.terminate()
            raise TimeoutError(f"moto server did not answer on {endpoint}; see {log_path}")
        time.sleep(0.2)
    return process
