"""When DynamoDB is dead or hangs, every request, /readyz included, answers 503 with
Retry-After within 3 seconds, also when there are many more requests than worker threads
(docs/api.md, "Dependencies", has the arithmetic)."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from app import config
from devstack.stack import LocalStack
from tests.support.http import assert_problem
from tests.support.stack import free_port


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a hung dependency."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def api_with_dynamodb_at(stack, endpoint: str) -> LocalStack:
    options = dataclasses.replace(
        stack.stack.options,
        api_port=free_port(),
        # The production timeouts, not the local stack's patient ones: they are what is tested.
        extra_environment={
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_CONNECT_TIMEOUT": str(config.DEFAULT_AWS_CONNECT_TIMEOUT),
            "AWS_READ_TIMEOUT": str(config.DEFAULT_AWS_READ_TIMEOUT),
            "AWS_MAX_ATTEMPTS": str(config.DEFAULT_AWS_MAX_ATTEMPTS),
        },
    )
    api = LocalStack(options, session=stack.session, progress=lambda _m: None)
    api.provisioned = stack.stack.provisioned
    api.start_api()
    return api


@pytest.mark.parametrize("kind", ["hung", "refused"])
def test_dead_dynamodb_gives_503_with_retry_after_within_3_seconds(
    stack, user, silent_endpoint, kind
):
    endpoint = silent_endpoint if kind == "hung" else f"http://127.0.0.1:{free_port()}"
    api = api_with_dynamodb_at(stack, endpoint)
    try:
        base = api.options.api_url
        for url, headers in (
            (f"{base}/readyz", {}),
            (f"{base}/api/v1/workspaces", {"Authorization": f"Bearer {user.access_token}"}),
        ):
            started = time.monotonic()
            response = requests.get(url, headers=headers, timeout=10)
            elapsed = time.monotonic() - started
            body = assert_problem(response, 503)
            assert int(response.headers["Retry-After"]) > 0
            assert elapsed < 3.0, f"{url} took {elapsed:.2f}s"
            assert "DynamoDB" in body["detail"]
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    finally:
        api.stop()


# Many more requests than workers: without the circuit breaker each sits out its own timeouts
# behind the others (measured: 3.2 s with gevent workers, up to 10 s with 2 x 4 threads).
CONCURRENT_REQUESTS = 48


def test_many_requests_at_once_all_get_their_503_within_3_seconds(stack, user, silent_endpoint):
    api = api_with_dynamodb_at(stack, silent_endpoint)
    try:
        base = api.options.api_url
        auth = {"Authorization": f"Bearer {user.access_token}"}
        some_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
        kinds = [
            ("GET", f"{base}/readyz", {}, None),
            ("GET", f"{base}/api/v1/workspaces", auth, None),
            ("POST", f"{base}/api/v1/workspaces", auth, {"name": "w"}),
            ("GET", f"{base}/api/v1/workspaces/{some_id}/tasks/{some_id}", auth, None),
        ]
        start = threading.Barrier(CONCURRENT_REQUESTS)

        def send(index: int) -> tuple[str, requests.Response, float]:
            method, url, headers, body = kinds[index % len(kinds)]
            start.wait()
            began = time.monotonic()
            response = requests.request(method, url, headers=headers, json=body, timeout=15)
            return url, response, time.monotonic() - began

        with ThreadPoolExecutor(CONCURRENT_REQUESTS) as pool:
            results = list(pool.map(send, range(CONCURRENT_REQUESTS)))
        slowest = max(elapsed for _, _, elapsed in results)
        for url, response, elapsed in results:
            assert_problem(response, 503)
            assert int(response.headers["Retry-After"]) > 0
            assert elapsed < 3.0, f"{url} took {elapsed:.2f}s"
        print(f"{CONCURRENT_REQUESTS} requests on a hung DynamoDB: slowest 503 in {slowest:.2f}s")
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    finally:
        api.stop()
