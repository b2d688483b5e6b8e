"""The circuit breaker (app/aws/circuit.py) and the call bounds it rests on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.httpsession import URLLib3Session

from app.aws.circuit import CircuitBreaker, CircuitOpen
from app.aws.clients import AwsClients, is_unavailable, worst_call_seconds
from app.config import Settings


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock) -> CircuitBreaker:
    return CircuitBreaker("DynamoDB", cooldown_s=1.0, probe_timeout_s=2.25, clock=clock)


def _timeout() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="http://x")


def test_closed_until_a_call_gets_no_answer(breaker):
    breaker.before_call()
    breaker.call_failed(exception=ClientError({"Error": {"Code": "ValidationException"}}, "Op"))
    breaker.answered()
    breaker.before_call()
    assert not breaker.is_open


@pytest.mark.parametrize("error", [_timeout(), EndpointConnectionError(endpoint_url="http://x")])
def test_no_answer_opens_it_and_calls_fail_at_once_for_the_cooldown(breaker, clock, error):
    breaker.call_failed(exception=error)
    assert breaker.is_open
    with pytest.raises(CircuitOpen) as refused:
        breaker.before_call()
    assert is_unavailable(refused.value)
    clock.now += 0.99
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_after_the_cooldown_one_call_probes_and_an_answer_closes_it(breaker, clock):
    breaker.call_failed(exception=_timeout())
    clock.now += 1.0
    breaker.before_call()  # the probe goes through
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # the others do not, while it is out
    breaker.answered()
    breaker.before_call()
    breaker.before_call()
    assert not breaker.is_open


def test_a_failed_probe_opens_it_again(breaker, clock):
    breaker.call_failed(exception=_timeout())
    clock.now += 1.0
    breaker.before_call()
    breaker.call_failed(exception=_timeout())
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 1.0
    breaker.before_call()


def test_a_probe_that_never_returns_stops_holding_the_others_back(breaker, clock):
    breaker.call_failed(exception=_timeout())
    clock.now += 1.0
    breaker.before_call()
    clock.now += 2.25
    breaker.before_call()  # a new probe


def test_a_refused_call_does_not_count_as_no_answer(breaker):
    breaker.call_failed(exception=CircuitOpen(service="DynamoDB", seconds=1))
    assert not breaker.is_open


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    for connection in held:
        connection.close()
    server.close()


def _settings(endpoint: str) -> Settings:
    return Settings.from_env(
        {
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "TASKS_TABLE_NAME": "t",
            "USER_POOL_ID": "us-east-1_abc",
            "USER_POOL_CLIENT_ID": "client",
            "CURSOR_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s",
            "UNSUBSCRIBE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:u",
        }
    )


def test_a_hung_service_costs_one_bounded_call_then_nothing(silent_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = _settings(silent_endpoint)
    clients = AwsClients(settings)
    dynamodb = clients.dynamodb
    sends: list[float] = []
    send = URLLib3Session.send

    def counted(session, request):
        sends.append(time.monotonic())
        return send(session, request)

    monkeypatch.setattr(URLLib3Session, "send", counted)
    began = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        dynamodb.call("GetItem", {"TableName": "t", "Key": {"PK": {"S": "x"}}})
    elapsed = time.monotonic() - began
    # AWS_MAX_ATTEMPTS counts every attempt, the first included.
    assert len(sends) == settings.aws_max_attempts == 2
    assert elapsed <= worst_call_seconds(settings) == pytest.approx(2.25)
    began = time.monotonic()
    with pytest.raises(CircuitOpen):
        dynamodb.call("GetItem", {"TableName": "t", "Key": {"PK": {"S": "x"}}})
    assert time.monotonic() - began < 0.05
    assert len(sends) == 2
