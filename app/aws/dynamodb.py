"""DynamoDB's JSON protocol, spoken directly over botocore's HTTP session.

botocore's generic client spent about 1 ms of CPU on each DynamoDB call before and after the
network: a dozen events, the endpoint rule set, the model-driven serialiser and parser, and
a SigV4 signer that alone took 160 us (docs/performance.md). For DynamoDB none of that is
needed: a request is its parameters as JSON, with the operation in a header, and a response
is JSON whose attribute values are already in the form the low-level API returns (only binary
values stay base64 text: app/storage/records.py decodes them).

What stays botocore's: the HTTP session (connection pool, timeouts, TCP keep-alive, proxies,
TLS verification, its exceptions for "did not answer"), the credential chain (environment,
ECS task role, refresh), the standard retry mode's rules, backoff and retry quota, and the
ClientError that callers already handle. The signer is written here (SigV4 for this one kind
of request: POST of a JSON body, no query string): tests/unit/test_aws_dynamodb.py checks it
gives the same Authorization header as botocore's SigV4Auth, and that every response and error
comes back as botocore's client returns it.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import platform
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import botocore
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import (
    BotoCoreError,
    ChecksumError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.handlers import generate_idempotent_uuid
from botocore.httpsession import URLLib3Session
from botocore.model import ServiceModel
from botocore.parsers import ResponseParserError
from botocore.retries import quota, standard
from botocore.utils import get_environ_proxies, normalize_url_path
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from urllib3.connection import HTTPConnection

from app.aws import deadline
from app.aws.circuit import CircuitBreaker

TARGET_PREFIX = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"
_ALGORITHM = "AWS4-HMAC-SHA256"
_SERVICE = "dynamodb"
_CHECKSUM_HEADER = "x-amz-crc32"
# botocore's default for a client's connection pool; a gunicorn worker sizes its own to the
# requests it serves at once (AwsClients.warm).
MAX_POOL_CONNECTIONS = 10
# The shortest wait for an answer worth starting an attempt with, before the deadline.
_MIN_READ_S = 0.05
_tracer = trace.get_tracer(__name__)


class DeadlineExceeded(BotoCoreError):
    """The request's deadline left no time for the call (app/aws/deadline.py): the request
    answers 503, as for a dependency that did not answer; the circuit breaker does not count
    it, since nothing was sent."""

    fmt = "The request's time for AWS calls ran out"


@dataclass(frozen=True)
class Timeouts:
    connect_s: float
    read_s: float


class RequestSigner:
    """Signature Version 4 for a POST of a JSON body to the endpoint, as botocore's SigV4Auth
    signs it (the same headers signed, the same canonical form, the endpoint's path)."""

    def __init__(self, *, host: str, region: str, path: str = "/"):
        self._host = host
        self._region = region
        # As SigV4Auth writes a path in the canonical request: dot segments resolved, then
        # percent-encoded once more.
        self._path = quote(normalize_url_path(path), safe="/~")
        # The signing key depends only on the secret and the day: derived once per day, not
        # with four HMACs per request.
        self._key_lock = threading.Lock()
        self._key: tuple[str, str, bytes] | None = None

    def sign(
        self, credentials: ReadOnlyCredentials, headers: dict[str, str], body: bytes, now: float
    ) -> None:
        """Adds X-Amz-Date, the session token if any, and Authorization to `headers`."""
        moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
        amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        headers["X-Amz-Date"] = amz_date
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        signed = {"host": self._host}
        for name, value in headers.items():
            signed[name.lower()] = " ".join(value.split())
        names = sorted(signed)
        signed_headers = ";".join(names)
        canonical = "\n".join(
            (
                "POST",
                self._path,
                "",
                "".join(f"{name}:{signed[name]}\n" for name in names),
                signed_headers,
                hashlib.sha256(body).hexdigest(),
            )
        )
        scope = f"{day}/{self._region}/{_SERVICE}/aws4_request"
        string_to_sign = "\n".join(
            (_ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest())
        )
        signature = hmac.new(
            self._signing_key(credentials.secret_key, day),
            string_to_sign.encode(),
            hashlib.sha256,
        ).hexdigest()
        headers["Authorization"] = (
            f"{_ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"
        )

    def _signing_key(self, secret: str, day: str) -> bytes:
        cached = self._key
        if cached is not None and cached[0] == secret and cached[1] == day:
            return cached[2]
        key = f"AWS4{secret}".encode()
        for part in (day, self._region, _SERVICE, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        with self._key_lock:
            self._key = (secret, day, key)
        return key


def host_of(url: str) -> str:
    """The Host header botocore signs for an endpoint URL: no default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default_port:
        host = f"{host}:{parts.port}"
    return host


def request_url(endpoint_url: str) -> str:
    """Where botocore's client sends a DynamoDB request: the endpoint URL as given, with `/`
    for a URL without a path."""
    return endpoint_url if urlsplit(endpoint_url).path else endpoint_url + "/"


def http_session(
    endpoint_url: str,
    timeouts: Timeouts,
    verify: bool | str,
    max_pool_connections: int = MAX_POOL_CONNECTIONS,
) -> URLLib3Session:
    """botocore's own HTTP session, set up as a botocore client with tcp_keepalive sets it up."""
    return URLLib3Session(
        verify=verify,
        proxies=get_environ_proxies(endpoint_url),
        timeout=(timeouts.connect_s, timeouts.read_s),
        max_pool_connections=max_pool_connections,
        socket_options=[
            *HTTPConnection.default_socket_options,
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        ],
    )


def _wire_value(value: object) -> str:
    """json.dumps' fallback: binary attribute values travel as base64 text."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class DynamoDB:
    """One DynamoDB endpoint: `call("GetItem", {...})` returns the response as botocore's
    client returns it (without ResponseMetadata), or raises ClientError as it would."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        region: str,
        credentials: Callable[[], Any],
        timeouts: Timeouts,
        max_attempts: int,
        breaker: CircuitBreaker,
        service_model: ServiceModel,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
        max_pool_connections: int = MAX_POOL_CONNECTIONS,
    ):
        self._url = request_url(endpoint_url)
        self._region = region
        self._credentials = credentials
        self._signer = RequestSigner(
            host=host_of(endpoint_url), region=region, path=urlsplit(self._url).path
        )
        self._timeouts = timeouts
        self._http = http_session(endpoint_url, timeouts, verify, max_pool_connections)
        self._breaker = breaker
        self._model = service_model
        self._sleep = sleep
        self._user_agent = (
            f"team-tasks Botocore/{botocore.__version__} Python/{platform.python_version()}"
        )
        # botocore's standard retry mode, its pieces called directly instead of through events.
        throttling = standard.ThrottlingErrorDetector(standard.RetryEventAdapter())
        self._retry_policy = standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=max_attempts),
            retry_backoff=standard.ExponentialBackoff(
                service_name=_SERVICE, throttling_detector=throttling
            ),
        )
        self._retry_quota = standard.RetryQuotaChecker(quota.RetryQuota(), throttling)

    @property
    def endpoint_url(self) -> str:
        return self._url

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        current = trace.get_current_span()
        if not current.is_recording():
            return self._call(operation, params, None)
        with _tracer.start_as_current_span(
            f"DynamoDB.{operation}",
            kind=SpanKind.CLIENT,
            attributes={
                "rpc.system": "aws-api",
                "rpc.service": "DynamoDB",
                "rpc.method": operation,
                "aws.region": self._region,
                "db.system": "dynamodb",
            },
        ) as span:
            return self._call(operation, params, span)

    def _call(self, operation: str, params: dict[str, Any], span: Any) -> dict[str, Any]:
        operation_model = self._model.operation_model(operation)
        if operation_model.idempotent_members:
            # TransactWriteItems' ClientRequestToken, as botocore fills it: one per call, the
            # same in every attempt, so that a retry of a write that did happen is not refused
            # as a second one.
            params = dict(params)
            generate_idempotent_uuid(params, operation_model)
        body = json.dumps(params, separators=(",", ":"), default=_wire_value).encode()
        request_context: dict[str, Any] = {}
        if self._read_timeout_in_time() is None:
            raise DeadlineExceeded()
        self._breaker.before_call()
        attempt = 0
        while True:
            attempt += 1
            read_timeout = self._read_timeout_in_time() or _MIN_READ_S
            try:
                response = self._send(
                    operation, body, traced=span is not None, read_timeout=read_timeout
                )
            except (BotoConnectionError, HTTPClientError) as error:
                # Every way of getting no answer, as botocore's standard mode counts them: a
                # refused or timed-out connection, a proxy or TLS failure (ConnectionError),
                # a connection dropped or a read timed out (HTTPClientError).
                if self._retry(attempt, operation_model, request_context, caught_exception=error):
                    continue
                cut_short = read_timeout < self._timeouts.read_s
                if not (cut_short and isinstance(error, ReadTimeoutError)):
                    # A read the deadline cut shorter than the read timeout says only that the
                    # request ran out of time, not that DynamoDB stopped answering.
                    self._breaker.call_failed(exception=error)
                raise
            if span is not None:
                span.set_attribute("http.status_code", response.status_code)
                span.set_attribute("aws.request_id", response.headers.get("x-amzn-requestid", ""))
            # A body damaged on its way is not parsed: it is asked for again.
            expected = response.headers.get(_CHECKSUM_HEADER)
            actual = zlib.crc32(response.content) & 0xFFFFFFFF
            intact = expected is None or expected.strip() == str(actual)
            parsed = self._parse(operation, response) if intact else None
            if response.status_code < 300 and intact:
                self._breaker.answered()
                self._retry_quota.release_retry_quota(request_context, response)
                return parsed
            if self._retry(
                attempt,
                operation_model,
                request_context,
                parsed_response=parsed,
                http_response=response,
            ):
                continue
            self._breaker.answered()
            if not intact:
                raise ChecksumError(
                    checksum_type="crc32",
                    expected_checksum=expected,
                    actual_checksum=actual,
                )
            raise ClientError(parsed, operation)

    def _retry(
        self, attempt: int, operation_model: Any, request_context: dict[str, Any], **outcome: Any
    ) -> bool:
        """Whether to try again (after waiting), as botocore's standard mode decides, given the
        attempt's outcome: a caught exception, or a response and what it parsed to."""
        context = standard.RetryContext(
            attempt_number=attempt,
            operation_model=operation_model,
            request_context=request_context,
            **outcome,
        )
        if not self._retry_policy.should_retry(context):
            return False
        delay = self._retry_policy.compute_retry_delay(context)
        if self._read_timeout_in_time(after_s=delay) is None:
            return False  # the request's deadline leaves no room for another attempt
        if not self._retry_quota.acquire_retry_quota(context):
            return False
        self._sleep(delay)
        return True

    def _read_timeout_in_time(self, after_s: float = 0.0) -> float | None:
        """How long an attempt starting `after_s` from now may wait for its answer so that it
        ends by the request's deadline, its connection (at most the connect timeout) included;
        the read timeout itself outside a request. None: no attempt fits any more."""
        left = deadline.remaining()
        if left is None:
            return self._timeouts.read_s
        room = left - after_s - self._timeouts.connect_s
        return min(self._timeouts.read_s, room) if room >= _MIN_READ_S else None

    def _send(
        self, operation: str, body: bytes, *, traced: bool, read_timeout: float
    ) -> AWSResponse:
        credentials = self._credentials()
        if credentials is None:
            raise NoCredentialsError()
        frozen = credentials.get_frozen_credentials()
        headers = {"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": CONTENT_TYPE}
        self._signer.sign(frozen, headers, body, time.time())
        headers["User-Agent"] = self._user_agent
        if traced:
            # Not signed, as botocore leaves it out of the signature too.
            propagate.inject(headers)
        # botocore's session reads a per-request read timeout from the request's context.
        request = AWSPreparedRequest(
            "POST",
            self._url,
            headers,
            body,
            stream_output=False,
            context={"read_timeout": read_timeout},
        )
        return self._http.send(request)

    def _parse(self, operation: str, response: AWSResponse) -> dict[str, Any]:
        content = response.content
        try:
            parsed = json.loads(content) if content else {}
        except ValueError as error:
            if response.status_code < 300:
                raise ResponseParserError(
                    f"DynamoDB {operation} answered {response.status_code} with no JSON"
                ) from error
            parsed = None
        if response.status_code < 300:
            return parsed
        return _error_response(response, parsed, self._model)


def _error_response(response: AWSResponse, body: Any, model: ServiceModel) -> dict[str, Any]:
    """An error as botocore's JSON parser gives it: Error.Code from `__type` after its `#`,
    Error.Message, the members the model gives that error (CancellationReasons, the item of a
    failed condition) beside, and ResponseMetadata."""
    fields = body if isinstance(body, dict) else {}
    kind = fields.get("__type") or response.headers.get("x-amzn-errortype", "")
    code = kind.split(":", 1)[0].rsplit("#", 1)[-1] or str(response.status_code)
    message = fields.get("message") or fields.get("Message") or ""
    if not fields and not message:
        message = response.content.decode("utf-8", "replace")[:500]
    shape = model.shape_for_error_code(code)
    members = shape.members if shape is not None else {}
    parsed: dict[str, Any] = {name: value for name, value in fields.items() if name in members}
    parsed["Error"] = {"Code": code, "Message": message}
    parsed["ResponseMetadata"] = {
        "RequestId": response.headers.get("x-amzn-requestid", ""),
        "HTTPStatusCode": response.status_code,
        "HTTPHeaders": dict(response.headers.items()),
    }
    return parsed
