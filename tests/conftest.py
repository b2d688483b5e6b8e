"""Fixtures shared by the integration and browser tests. The stack starts only when a test asks
for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.http import ApiClient
from tests.support.stack import RunningStack, TestUser, running_emulator, running_stack


@pytest.fixture(scope="session")
def emulator() -> Iterator[None]:
    with running_emulator():
        yield


@pytest.fixture(scope="module")
def stack(emulator) -> Iterator[RunningStack]:
    """A fresh environment (table, user pool, API process) per test module. moto copies a whole
    table for every transaction, so small tables keep the emulator fast."""
    with running_stack() as running:
        yield running


@pytest.fixture
def user(stack: RunningStack) -> TestUser:
    return stack.new_user("owner")


@pytest.fixture
def client(stack: RunningStack, user: TestUser) -> ApiClient:
    return ApiClient(stack.api, user.access_token)


@pytest.fixture
def anonymous(stack: RunningStack) -> ApiClient:
    return ApiClient(stack.api)
