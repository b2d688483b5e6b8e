"""DynamoDB answered from recorded responses, below botocore: the benchmark's only cut.

botocore's HTTP session (`URLLib3Session.send`) is the last step before the socket, for the
DynamoDB client (app/aws/dynamodb.py) as for botocore's own: everything above it (serialising,
signing, retries, parsing, the type conversion in the app) still runs. In record
mode every DynamoDB exchange of a real run against the emulator is appended to a JSON-lines
file; in replay mode the response recorded for the same operation and body is returned (or, for
a body never seen, such as a write with fresh ids, the last one recorded for that operation).
Other services (Cognito's JWKS, Secrets Manager) still go to the emulator: the app caches both.

Nothing in app/ knows about this; bench/replay_wsgi.py installs it before loading the app.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.httpsession import URLLib3Session

MODE_VARIABLE = "BENCH_DYNAMODB"
_TARGET_PREFIX = "DynamoDB_"
_original_send = URLLib3Session.send


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _body(request: Any) -> bytes:
    body = request.body
    if body is None:
        return b""
    return body if isinstance(body, bytes) else _text(body).encode()


def _key(target: str, body: bytes) -> str:
    return f"{target} {hashlib.sha256(body).hexdigest()}"


class _Raw:
    """What AWSResponse reads a body from."""

    def __init__(self, content: bytes):
        self._content = content

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._content


class Recorder:
    def __init__(self, path: Path):
        self._path = path
        self._lock = threading.Lock()

    def send(self, session: URLLib3Session, request: Any) -> Any:
        response = _original_send(session, request)
        target = _text(request.headers.get("X-Amz-Target"))
        if target.startswith(_TARGET_PREFIX):
            line = json.dumps(
                {
                    "target": target,
                    "key": _key(target, _body(request)),
                    "status": response.status_code,
                    "headers": dict(response.headers.items()),
                    "body": response.content.decode(),
                }
            )
            with self._lock, self._path.open("a") as out:
                out.write(line + "\n")
        return response


class Replayer:
    def __init__(self, path: Path):
        self._exact: dict[str, dict[str, Any]] = {}
        self._latest: dict[str, dict[str, Any]] = {}
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            self._exact[entry["key"]] = entry
            self._latest[entry["target"]] = entry
        if not self._latest:
            raise RuntimeError(f"{path} holds no recorded DynamoDB response")

    def send(self, session: URLLib3Session, request: Any) -> Any:
        target = _text(request.headers.get("X-Amz-Target"))
        if not target.startswith(_TARGET_PREFIX):
            return _original_send(session, request)
        entry = self._exact.get(_key(target, _body(request))) or self._latest.get(target)
        if entry is None:
            raise RuntimeError(f"no recorded response for {target}")
        return AWSResponse(
            request.url, entry["status"], entry["headers"], _Raw(entry["body"].encode())
        )


def install_from_environment() -> str | None:
    """BENCH_DYNAMODB=record:<file> or replay:<file>; unset leaves botocore alone."""
    setting = os.environ.get(MODE_VARIABLE)
    if not setting:
        return None
    mode, _, path = setting.partition(":")
    handler: Recorder | Replayer
    if mode == "record":
        handler = Recorder(Path(path))
    elif mode == "replay":
        handler = Replayer(Path(path))
    else:
        raise RuntimeError(f"{MODE_VARIABLE} must be record:<file> or replay:<file>")
    # A function, not the bound method: it becomes a method of the session and gets `self`.
    URLLib3Session.send = lambda session, request: handler.send(session, request)  # noqa: PLW0108
    return mode
