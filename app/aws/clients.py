"""AWS clients, made once per process with the timeouts, retry mode and circuit breaker every
call relies on.

Timeouts are short on purpose: a dead, hung or throttling dependency must turn into a 503 with
Retry-After within three seconds, not into a hung worker (the arithmetic is in docs/api.md,
"Dependencies"); the circuit breaker (circuit.py) keeps that bound when every thread is busy.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.endpoint_provider import EndpointProvider
from botocore.exceptions import (
    ChecksumError,
    ClientError,
    CredentialRetrievalError,
    EndpointResolutionError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from app.aws.circuit import CircuitBreaker, CircuitOpen
from app.aws.deadline import REQUEST_DEADLINE_S
from app.aws.dynamodb import MAX_POOL_CONNECTIONS, DeadlineExceeded, DynamoDB, Timeouts
from app.config import Settings

# How long a service that did not answer is left alone before one call probes it again.
CIRCUIT_COOLDOWN_S = 1.0
# The longest botocore's standard retry mode waits before a retry when the service did not
# answer: a random fraction of 50 ms x 2^(attempt-1) (25 ms for DynamoDB). Only throttling,
# which is an answer, backs off by up to 1 s x 2^(attempt-1).
MAX_RETRY_BACKOFF_S = 0.05

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
    """Whether the error says "the dependency is down, slow or throttling" (a 503), rather
    than "our request was wrong" (a bug: a 500, never a false outage that invites retries)."""
    if isinstance(
        error,
        BotoConnectionError | HTTPClientError | CircuitOpen | ChecksumError | DeadlineExceeded,
    ):
        # A checksum that does not match is an answer damaged on its way, twice.
        return True
    if isinstance(error, CredentialRetrievalError | NoCredentialsError):
        # In AWS the task's credentials come from the container credentials endpoint.
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in _RETRYABLE_CODES or status >= 500
    return False


def worst_call_seconds(settings: Settings) -> float:
    """The longest one AWS call to a service that does not answer can take before it fails:
    every attempt connects and reads to its timeouts, with the longest backoff between them.
    With the defaults: 2 x (0.5 + 0.6) + 0.05 = 2.25 s."""
    attempts = settings.aws_max_attempts
    per_attempt = settings.aws_connect_timeout + settings.aws_read_timeout
    backoff = sum(MAX_RETRY_BACKOFF_S * 2**retry for retry in range(attempts - 1))
    return attempts * per_attempt + backoff


def request_deadline_seconds(settings: Settings) -> float:
    """A request's deadline for its AWS calls and retries (app/aws/deadline.py): 2.5 s, or one
    attempt's connect and read timeouts where the settings are more patient than that, so that
    no first attempt is cut short of its own timeouts (the local stack's 5 s reads: 5.5 s)."""
    return max(REQUEST_DEADLINE_S, settings.aws_connect_timeout + settings.aws_read_timeout)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


# botocore's clients, for the services called through botocore; DynamoDB is called through
# app/aws/dynamodb.py, which needs only its model (for the standard retry mode's rules).
BOTOCORE_SERVICES = ("cognito-idp", "secretsmanager")
SERVICES = ("dynamodb", *BOTOCORE_SERVICES)
# botocore's data (each service's model and endpoint rules, the partitions), read and decoded
# once per process and shared by every client. The master loads it before gunicorn forks
# (preload_app), so a worker makes its clients in milliseconds of CPU instead of 140.
_MODELS = botocore.loaders.create_loader()


def load_models() -> None:
    """Read everything that making the service's clients reads (idempotent, cached)."""
    for name in ("endpoints", "partitions", "sdk-default-configuration"):
        _MODELS.load_data(name)
    _MODELS.load_service_model("dynamodb", "service-2")
    _MODELS.load_service_model("dynamodb", "endpoint-rule-set-1")
    for service in BOTOCORE_SERVICES:
        _MODELS.load_service_model(service, "service-2")
        _MODELS.load_service_model(service, "endpoint-rule-set-1")


def _botocore_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.register_component("data_loader", _MODELS)
    return session


def _ca_bundle(session: botocore.session.Session) -> bool | str:
    """TLS verification as botocore's clients get it: the configured CA bundle (AWS_CA_BUNDLE
    or the profile's ca_bundle), else REQUESTS_CA_BUNDLE, else the default store."""
    return session.get_config_variable("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE") or True


def regional_endpoint(
    service: str, region: str, *, fips: bool = False, dualstack: bool = False
) -> str:
    """The service's public endpoint in the region, as botocore's client resolves it: by the
    service's endpoint rule set (so that aws-cn, GovCloud and the FIPS and dual-stack
    variants get exactly botocore's answer)."""
    provider = EndpointProvider(
        _MODELS.load_service_model(service, "endpoint-rule-set-1"),
        _MODELS.load_data("partitions"),
    )
    try:
        return provider.resolve_endpoint(Region=region, UseFIPS=fips, UseDualStack=dualstack).url
    except EndpointResolutionError as error:
        raise ValueError(f"no {service} endpoint is known for the region {region}") from error


class AwsClients:
    """Lazily creates one client per service and reuses it; safe to share between threads.

    Creation is lazy, and a forked process starts over, so that gunicorn's workers never share
    the connection pool of the master that preloaded the app.
    """

    def __init__(self, settings: Settings):
        self._settings = settings
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self._pid = os.getpid()
        # botocore's default pool (10 connections) until a worker says how many requests it
        # serves at once (warm).
        self._max_connections = MAX_POOL_CONNECTIONS
        load_models()
        self._config = Config(
            connect_timeout=settings.aws_connect_timeout,
            read_timeout=settings.aws_read_timeout,
            # total_max_attempts counts the first attempt; botocore's max_attempts would not
            # (AWS_MAX_ATTEMPTS=2 meant three attempts, and 50% more time on a hung service).
            retries={"mode": "standard", "total_max_attempts": settings.aws_max_attempts},
            tcp_keepalive=True,
            # The service builds every request itself from validated input, and AWS checks
            # each request again; botocore's own check of every parameter against the model
            # was 15% of a POST's CPU (docs/performance.md). A malformed request is refused by
            # the service instead (a ValidationException, a 500 just like a failed check).
            parameter_validation=False,
        )

    def get(self, service: str) -> Any:
        if self._pid != os.getpid():
            self._clients, self._breakers = {}, {}
            self._lock, self._pid = threading.Lock(), os.getpid()
        client = self._clients.get(service)
        if client is not None:
            return client
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._make(service)
            return self._clients[service]

    def _make(self, service: str) -> Any:
        session = _botocore_session()
        settings = self._settings
        if service == "dynamodb":
            return DynamoDB(
                max_pool_connections=self._max_connections,
                endpoint_url=settings.endpoint_for("dynamodb")
                or regional_endpoint(
                    "dynamodb",
                    settings.region,
                    # As botocore's clients read them: AWS_USE_FIPS_ENDPOINT,
                    # AWS_USE_DUALSTACK_ENDPOINT, or the profile's settings.
                    fips=bool(session.get_config_variable("use_fips_endpoint")),
                    dualstack=bool(session.get_config_variable("use_dualstack_endpoint")),
                ),
                region=settings.region,
                credentials=session.get_credentials,
                timeouts=Timeouts(settings.aws_connect_timeout, settings.aws_read_timeout),
                max_attempts=settings.aws_max_attempts,
                breaker=self.breaker(service),
                service_model=session.get_service_model("dynamodb"),
                verify=_ca_bundle(session),
            )
        # botocore's own client, as boto3's Session.client makes it (boto3 itself, which
        # imports s3transfer, is not needed for low-level clients).
        client = session.create_client(
            service,
            region_name=settings.region,
            endpoint_url=settings.endpoint_for(service),
            config=self._config.merge(Config(max_pool_connections=self._max_connections)),
        )
        self.breaker(service).attach(client)
        return client

    def warm(self, max_connections: int = MAX_POOL_CONNECTIONS) -> None:
        """Make every client now (a few hundred ms of CPU for the three), so that a worker's
        first requests do not wait for them; gunicorn calls it as each worker starts, with the
        number of requests the worker serves at once: each client's connection pool holds as
        many, so that none is opened only to be thrown away ("Connection pool is full": a
        gevent worker serves up to 1,000 at once, botocore's pool keeps 10)."""
        self._max_connections = max(max_connections, MAX_POOL_CONNECTIONS)
        for service in SERVICES:
            self.get(service)

    def breaker(self, service: str) -> CircuitBreaker:
        if service not in self._breakers:
            self._breakers[service] = CircuitBreaker(
                service,
                cooldown_s=CIRCUIT_COOLDOWN_S,
                probe_timeout_s=worst_call_seconds(self._settings),
            )
        return self._breakers[service]

    @property
    def dynamodb(self) -> DynamoDB:
        return self.get("dynamodb")

    @property
    def cognito(self) -> Any:
        return self.get("cognito-idp")

    @property
    def secretsmanager(self) -> Any:
        return self.get("secretsmanager")
