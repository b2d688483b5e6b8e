"""boto3 clients, made once per process with the timeouts and retry mode every call relies on.

Timeouts are short on purpose: a dead or throttling dependency must turn into a 503 with
Retry-After within about three seconds, not into a hung worker.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from app.config import Settings

# Errors that say "try again later" rather than "your request is wrong".
_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "TooManyRequestsException",
        "LimitExceededException",
        "TransactionInProgressException",
    }
)


class DependencyUnavailable(Exception):
    """An AWS dependency is down, slow or throttling; the request may succeed if retried."""

    def __init__(self, service: str, cause: Exception | None = None):
        self.service = service
        super().__init__(f"{service} is unavailable")
        self.__cause__ = cause


def is_unavailable(error: Exception) -> bool:
    if isinstance(error, BotoConnectionError | HTTPClientError):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in _RETRYABLE_CODES or status >= 500
    return isinstance(error, BotoCoreError)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


class AwsClients:
    """Lazily creates one client per service and reuses it; safe to share between threads.

    Creation is lazy, and a forked process starts over, so that gunicorn's workers never share
    the connection pool of the master that preloaded the app.
    """

    def __init__(self, settings: Settings):
        self._settings = settings
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._pid = os.getpid()
        self._config = Config(
            connect_timeout=settings.aws_connect_timeout,
            read_timeout=settings.aws_read_timeout,
            retries={"mode": "standard", "max_attempts": settings.aws_max_attempts},
            tcp_keepalive=True,
        )

    def get(self, service: str) -> Any:
        if self._pid != os.getpid():
            self._clients, self._lock, self._pid = {}, threading.Lock(), os.getpid()
        client = self._clients.get(service)
        if client is not None:
            return client
        with self._lock:
            if service not in self._clients:
                session = boto3.session.Session(region_name=self._settings.region)
                self._clients[service] = session.client(
                    service,
                    endpoint_url=self._settings.endpoint_for(service),
                    config=self._config,
                )
            return self._clients[service]

    @property
    def dynamodb(self) -> Any:
        return self.get("dynamodb")

    @property
    def cognito(self) -> Any:
        return self.get("cognito-idp")

    @property
    def secretsmanager(self) -> Any:
        return self.get("secretsmanager")
