"""The local stack for tests: the same emulator, templates and gunicorn that `make dev` runs,
on a free API port and under a fresh environment name, so runs never share state."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import localstack_client.session

from devstack import users
from devstack.stack import LocalStack, StackOptions
from devstack.templates import ROOT
from tests.support.mail import SentEmail, emails_to, wait_for_emails

ARTIFACTS = ROOT / "test-artifacts"
REGION = "us-east-1"
PASSWORD = "Test-Passw0rd!"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def localstack_host() -> tuple[str, int]:
    """Where the AWS emulator is: LOCALSTACK_HOST, as localstack-client reads it."""
    value = os.environ.get("LOCALSTACK_HOST", "127.0.0.1:4566")
    host, _, port = value.partition(":")
    return host or "127.0.0.1", int(port or 4566)


def aws_session(emulator_at: tuple[str, int] | None = None) -> Any:
    """Test-side AWS clients come from localstack-client, pointed by LOCALSTACK_HOST."""
    host, port = emulator_at or localstack_host()
    return localstack_client.session.Session(region_name=REGION, localstack_host=f"{host}:{port}")


@dataclass
class TestUser:
    email: str
    password: str
    user_id: str
    access_token: str
    id_token: str
    refresh_token: str


# Every user a test made, by email: ApiClient.add_member accepts an email for one of them (the
# browser tests pass emails) and accepts the invitation with that user's own token.
USERS_BY_EMAIL: dict[str, TestUser] = {}


class RunningStack:
    def __init__(self, stack: LocalStack, session: Any):
        self.stack = stack
        self.session = session
        self.base_url = stack.options.api_url
        self.api = f"{self.base_url}/api/v1"
        self.environment = stack.service_environment()

    @property
    def outbox(self) -> Path:
        return self.stack.options.outbox

    def emails_to(self, address: str) -> list[SentEmail]:
        """The emails sent to `address` so far (tests/support/mail.py)."""
        return emails_to(self.outbox, address)

    def wait_for_emails(self, address: str, count: int = 1, timeout_s: float = 15):
        return wait_for_emails(self.outbox, address, count, timeout_s)

    @property
    def cognito(self) -> Any:
        return self.session.client("cognito-idp")

    @property
    def dynamodb(self) -> Any:
        return self.session.client("dynamodb")

    @property
    def table(self) -> str:
        return self.environment["TASKS_TABLE_NAME"]

    def new_user(self, name: str = "user") -> TestUser:
        email = f"{name}-{secrets.token_hex(4)}@example.com"
        return self.user(email)

    def user(self, email: str, password: str = PASSWORD) -> TestUser:
        user_id = users.ensure_confirmed_user(
            self.cognito, self.stack.user_pool_id, email, password
        )
        tokens = users.sign_in(self.cognito, self.stack.client_id, email, password)
        made = TestUser(
            email=email,
            password=password,
            user_id=user_id,
            access_token=tokens["access_token"],
            id_token=tokens["id_token"],
            refresh_token=tokens["refresh_token"],
        )
        USERS_BY_EMAIL[email.lower()] = made
        return made


@contextmanager
def running_emulator() -> Iterator[None]:
    """The AWS emulator for a whole test session: the one at LOCALSTACK_HOST if it answers,
    else a moto server started here and stopped at the end."""
    host, port = localstack_host()
    stack = LocalStack(
        StackOptions(host=host, emulator_port=port, region=REGION, state_dir=ARTIFACTS),
        session=aws_session(),
        progress=lambda _message: None,
    )
    try:
        stack.start_emulator()
        yield
    finally:
        stack.stop()


@contextmanager
def running_stack(
    *,
    frontend_dir: Path | None = None,
    extra_environment: dict[str, str] | None = None,
    emulator_at: tuple[str, int] | None = None,
) -> Iterator[RunningStack]:
    """A fresh environment and API process on the session's emulator, or on the one at
    `emulator_at` (a test that kills its emulator must never kill the session's)."""
    host, port = emulator_at or localstack_host()
    ARTIFACTS.mkdir(exist_ok=True)
    options = StackOptions(
        host=host,
        emulator_port=port,
        api_port=free_port(),
        region=REGION,
        env=f"t{secrets.token_hex(3)}",
        frontend_dir=frontend_dir,
        state_dir=ARTIFACTS,
        api_log=ARTIFACTS / "api.log",
        extra_environment=extra_environment or {},
    )
    stack = LocalStack(options, session=aws_session(emulator_at), progress=lambda _message: None)
    try:
        stack.start_emulator()
        stack.provision()
        stack.start_api()
        yield RunningStack(stack, stack.session)
    finally:
        stack.stop()
