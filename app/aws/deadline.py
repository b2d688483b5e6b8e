"""The deadline of the request being served: its DynamoDB calls, their retries, and the
retries of a write that lost a race all end by it, so that a request gets its answer (a 503 at
worst) within the bound docs/api.md promises, whatever the AWS timeouts are set to.

The per-call timeouts bound one call (2.25 s with the defaults); the deadline bounds them all
together, and every retry after the first attempt (the local stack reads for up to 5 s, and a
black-holed emulator held `/readyz` for two such attempts, 10 s: issue 20, item 13). Its
length is app/aws/clients.py's `request_deadline_seconds`: 2.5 s, or one attempt's timeouts
where a setting is more patient than that.

It is set when a request starts and cleared when it ends (app/api/http.py). Outside a request
(a worker's warm-up, a test calling the domain directly) there is none: calls are bounded by
their own timeouts and attempts.
"""

from __future__ import annotations

import random
import time
from contextvars import ContextVar

# What a request may spend waiting on AWS and retrying, of the 3 s within which it answers:
# more than one call's worst case with the default timeouts (2.25 s), so that the deadline never
# cuts a retry the defaults allow; the rest is for the request's own CPU.
REQUEST_DEADLINE_S = 2.5

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


def start(seconds: float = REQUEST_DEADLINE_S) -> None:
    _deadline.set(time.monotonic() + seconds)


def clear() -> None:
    _deadline.set(None)


def remaining() -> float | None:
    """Seconds left before the deadline (negative once passed); None outside a request."""
    at = _deadline.get()
    return None if at is None else at - time.monotonic()


def allows_another_try(*, tries: int, pause_s: float, needs_s: float, tries_outside: int) -> bool:
    """Whether a retry loop may try again after `tries` tries and a pause of `pause_s`: within
    a request, if `needs_s` is left after the pause; outside one, up to `tries_outside` tries."""
    left = remaining()
    if left is None:
        return tries < tries_outside
    return left - pause_s >= needs_s


def wait_for_another_try(
    *, tries: int, base_s: float, cap_s: float, needs_s: float, tries_outside: int
) -> bool:
    """For a retry loop after `tries` failed tries: pauses for a jittered while (up to
    `base_s` x 2^(tries - 1), at most `cap_s`) and says True, or says False at once when
    the pause would leave less than `needs_s` of the request's deadline (outside a request:
    when `tries_outside` tries were made)."""
    pause = jittered_pause(tries, base_s, cap_s)
    if not allows_another_try(
        tries=tries, pause_s=pause, needs_s=needs_s, tries_outside=tries_outside
    ):
        return False
    time.sleep(pause)
    return True


def jittered_pause(tries: int, base_s: float, cap_s: float) -> float:
    """A pause before the next try, drawn at random up to `base_s` x 2^(tries - 1), at most
    `cap_s` ("full jitter"), so that tries that failed together do not collide again."""
    return random.uniform(0, min(cap_s, base_s * 2 ** (tries - 1)))  # noqa: S311 -- jitter
