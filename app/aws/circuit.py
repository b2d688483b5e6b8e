"""A circuit breaker per AWS service and process, so that a dead or hung dependency costs each
request milliseconds, not a timeout.

Timeouts alone bound one call (docs/api.md, "503"), but not a request that waits for a worker
thread while every thread sits out its own timeout: under load those waits add up (measured:
24 concurrent requests on 8 threads took up to 10 s to get their 503 from a hung DynamoDB).
So once a call fails to reach the service at all (connection refused, connect or read timeout,
connection dropped), the circuit opens: for the cool-down every call to that service fails at
once, without touching the network. Then one call at a time probes the service; an answer
(any answer, an error response included) closes the circuit, another failure opens it again.

The breaker hooks into botocore's own events, so every client of the service (the table, the
user directory, the signing keys) shares it and no caller has to remember it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError


class CircuitOpen(BotoCoreError):
    """The service failed to answer moments ago; this call was not sent."""

    fmt = "{service} did not answer moments ago; not calling it for {seconds:.1f} s"


def _did_not_answer(error: BaseException) -> bool:
    return isinstance(error, BotoConnectionError | HTTPClientError) and not isinstance(
        error, CircuitOpen
    )


class CircuitBreaker:
    def __init__(
        self,
        service: str,
        *,
        cooldown_s: float,
        probe_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.service = service
        self._cooldown = cooldown_s
        # A probe that neither answered nor failed by now (it cannot take longer than one call's
        # timeouts) no longer holds the others back.
        self._probe_timeout = probe_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until: float | None = None
        self._probe_started: float | None = None

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def attach(self, client: Any) -> None:
        events = client.meta.events
        service_id = client.meta.service_model.service_id.hyphenize()
        events.register(f"before-call.{service_id}", self.before_call)
        events.register(f"after-call.{service_id}", self.answered)
        events.register(f"after-call-error.{service_id}", self.call_failed)

    def before_call(self, **_kwargs: Any) -> None:
        with self._lock:
            if self._open_until is None:
                return
            now = self._clock()
            if now < self._open_until:
                raise CircuitOpen(service=self.service, seconds=self._open_until - now)
            probing = self._probe_started is not None
            if probing and now - self._probe_started < self._probe_timeout:
                raise CircuitOpen(service=self.service, seconds=0)
            self._probe_started = now

    def answered(self, **_kwargs: Any) -> None:
        """The service answered (an error response is an answer too): close the circuit."""
        if self._open_until is None:
            return
        with self._lock:
            self._open_until = None
            self._probe_started = None

    def call_failed(self, *, exception: BaseException, **_kwargs: Any) -> None:
        if not _did_not_answer(exception):
            return
        with self._lock:
            self._open_until = self._clock() + self._cooldown
            self._probe_started = None
