"""The DynamoDB client (app/aws/dynamodb.py) does what botocore's client does: the same
signature as botocore's SigV4Auth, the same results and errors on exchanges with the emulator,
and botocore's standard retry mode (what is retried, how often, how long it waits)."""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import logging
import socket
import threading
import time
import types
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ChecksumError, ClientError, ReadTimeoutError
from urllib3.connection import HTTPConnection

from app.aws import deadline
from app.aws import dynamodb as dynamodb_module
from app.aws.circuit import CircuitBreaker
from app.aws.clients import AwsClients, DependencyUnavailable, is_unavailable
from app.aws.dynamodb import (
    CONTENT_TYPE,
    DeadlineExceeded,
    DynamoDB,
    RequestSigner,
    Timeouts,
    host_of,
    request_url,
)
from app.config import Settings
from app.storage.table import Store
from app.storage.writes import Write

MODEL = botocore.session.get_session().get_service_model("dynamodb")

# Every kind of attribute value, nested and empty, as botocore's client takes and returns it.
EVERY_KIND: dict[str, Any] = {
    "text": {"S": "zß水🙂"},
    "empty_text": {"S": ""},
    "integer": {"N": "12345678901234567890123456789012345678"},
    "negative": {"N": "-98765432109876543210987654321098765432"},
    "fraction": {"N": "0.00000000000000000000000000000000000001"},
    "binary": {"B": bytes(range(256))},
    "binary_set": {"BS": [b"\x00", b"\xff\xfe", b"plain"]},
    "strings": {"SS": ["a", "b", "水"]},
    "numbers": {"NS": ["1", "-2.5", "99999999999999999999999999999999999999"]},
    "nothing": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "empty_list": {"L": []},
    "empty_map": {"M": {}},
    "nested": {
        "M": {
            "list": {
                "L": [
                    {"S": "one"},
                    {"N": "2"},
                    {"B": b"\x01\x02"},
                    {"M": {"deeper": {"BS": [b"\x03"]}, "empty": {"L": []}}},
                    {"L": [{"NULL": True}, {"BOOL": False}]},
                ]
            },
            "binary": {"B": b"\x80"},
            "numbers": {"NS": ["7"]},
        }
    },
}


def wire_form(value: Any) -> Any:
    """botocore's parsed form as DynamoDB's JSON has it: binary values in base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {name: wire_form(member) for name, member in value.items()}
    if isinstance(value, list):
        return [wire_form(member) for member in value]
    return value


# -- the signature -------------------------------------------------------------------------------

SIGNED_AT = datetime.datetime(2026, 12, 2, 23, 59, 58, tzinfo=datetime.UTC)


def botocore_signature(url: str, credentials: Credentials, headers: dict[str, str], body: bytes):
    request = AWSRequest("POST", request_url(url), data=body, headers=dict(headers))
    SigV4Auth(credentials, "dynamodb", "eu-central-1").add_auth(request)
    return {name: request.headers[name] for name in ("Authorization", "X-Amz-Date")}


@pytest.mark.parametrize(
    "url",
    [
        "https://dynamodb.eu-central-1.amazonaws.com",
        "https://dynamodb.eu-central-1.amazonaws.com:443",
        "http://127.0.0.1:4566",
        "http://LocalHost:80/",
        # Behind a proxy that routes by path (issue 20, item 8: the path was signed as `/`).
        "https://gateway.example.com/aws/dynamodb",
        "http://127.0.0.1:4566/prefix/",
        "http://127.0.0.1:4566/a%20b/./c/../d",
    ],
)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzE  with  spaces=="])
def test_the_signature_is_botocores(monkeypatch, url, token):
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: SIGNED_AT)
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    body = json.dumps({"TableName": "t", "Key": {"PK": {"S": "WS#水 two  spaces"}}}).encode()
    headers = {"X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Type": CONTENT_TYPE}
    signer = RequestSigner(
        host=host_of(url), region="eu-central-1", path=urlsplit(request_url(url)).path
    )
    for secret in ("first-secret", "rotated-secret"):
        credentials = Credentials("AKIDEXAMPLE", secret, token)
        for moment in (SIGNED_AT, SIGNED_AT + datetime.timedelta(seconds=3)):
            monkeypatch.setattr("botocore.auth.get_current_datetime", lambda m=moment: m)
            ours = dict(headers)
            signer.sign(credentials.get_frozen_credentials(), ours, body, moment.timestamp())
            theirs = botocore_signature(url, credentials, headers, body)
            assert ours["Authorization"] == theirs["Authorization"]
            assert ours["X-Amz-Date"] == theirs["X-Amz-Date"]
            assert ours.get("X-Amz-Security-Token") == token


def test_host_has_no_default_port():
    assert host_of("https://dynamodb.us-east-1.amazonaws.com:443") == (
        "dynamodb.us-east-1.amazonaws.com"
    )
    assert host_of("http://127.0.0.1:4566/") == "127.0.0.1:4566"
    assert host_of("http://[::1]:8000") == "[::1]:8000"


def _botocore_request_url(endpoint_url: str | None, region: str) -> str:
    """Where botocore's own DynamoDB client sends a request (stopped before it is sent)."""
    client = botocore.session.get_session().create_client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
    )
    sent: list[str] = []

    def stop(request, **_kwargs):
        sent.append(request.url)
        return AWSResponse(request.url, 200, {}, None)

    client.meta.events.register("before-send", stop)
    with contextlib.suppress(Exception):
        client.get_item(TableName="t", Key={})
    return sent[0]


def _settings(region: str, **variables: str) -> Settings:
    return Settings.from_env(
        {
            "AWS_REGION": region,
            "TASKS_TABLE_NAME": "t",
            "USER_POOL_ID": f"{region}_pool",
            "USER_POOL_CLIENT_ID": "client",
            "CURSOR_SECRET_ARN": f"arn:aws:secretsmanager:{region}:123456789012:secret:c",
            "UNSUBSCRIBE_SECRET_ARN": f"arn:aws:secretsmanager:{region}:123456789012:secret:u",
            **variables,
        }
    )


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:4566", "https://gateway.example.com/aws/dynamodb"]
)
def test_a_request_goes_where_botocores_goes_signed_for_that_path(endpoint):
    theirs = _botocore_request_url(endpoint, "us-east-1")
    client = AwsClients(_settings("us-east-1", AWS_ENDPOINT_URL_DYNAMODB=endpoint)).dynamodb
    assert client.endpoint_url == theirs
    # What the receiving end checks: the signature over the path it received.
    headers = {"X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Type": CONTENT_TYPE}
    ours = dict(headers)
    signer = RequestSigner(host=host_of(endpoint), region="us-east-1", path=urlsplit(theirs).path)
    signer.sign(Credentials("AKID", "secret").get_frozen_credentials(), ours, b"{}", time.time())
    received = AWSRequest("POST", theirs, data=b"{}", headers=headers)
    received.context["timestamp"] = ours["X-Amz-Date"]
    SigV4Auth(Credentials("AKID", "secret"), "dynamodb", "us-east-1").add_auth(received)
    assert ours["Authorization"] == received.headers["Authorization"]


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-central-1", "us-gov-west-1", "cn-north-1", "us-iso-east-1"]
)
@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"AWS_USE_FIPS_ENDPOINT": "true"},
        {"AWS_USE_DUALSTACK_ENDPOINT": "true"},
        {"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"},
    ],
)
def test_the_endpoint_is_botocores_fips_and_dual_stack_included(monkeypatch, region, variables):
    """Issue 20, item 8: AWS_USE_FIPS_ENDPOINT was ignored. botocore's client resolves the
    endpoint by the rule set at each request; GovCloud's FIPS endpoint is its plain one."""
    for name in ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    theirs = _botocore_request_url(None, region)
    assert AwsClients(_settings(region)).dynamodb.endpoint_url == theirs


# -- results and errors, as botocore's client returns them ----------------------------------------


def _without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


def test_every_exchange_gives_what_botocores_client_gives(clients, settings):
    ours = clients.dynamodb
    theirs = boto3.client("dynamodb", region_name=settings.region)
    table = settings.tasks_table_name
    item = {"PK": {"S": "WS#client"}, "SK": {"S": "TASK#1"}, **EVERY_KIND}
    key = {"PK": item["PK"], "SK": item["SK"]}
    theirs.put_item(TableName=table, Item=item)
    theirs.put_item(TableName=table, Item={**item, "SK": {"S": "TASK#2"}})
    failing_condition = {
        "TableName": table,
        "Key": key,
        "ConditionExpression": "attribute_not_exists(PK)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    exchanges: list[tuple[str, dict[str, Any]]] = [
        ("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}),
        ("GetItem", {"TableName": table, "Key": {"PK": {"S": "WS#none"}, "SK": {"S": "META"}}}),
        ("BatchGetItem", {"RequestItems": {table: {"Keys": [key], "ConsistentRead": True}}}),
        (
            "Query",
            {
                "TableName": table,
                "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": {":pk": item["PK"]},
                "Limit": 1,
            },
        ),
        ("PutItem", {"TableName": table, "Item": item, "ReturnValues": "ALL_OLD"}),
        (
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"ConditionCheck": failing_condition},
                    {"Put": {"TableName": table, "Item": {**item, "SK": {"S": "TASK#3"}}}},
                ]
            },
        ),
        (
            "PutItem",
            {
                "TableName": table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(PK)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
        ),
        ("GetItem", {"TableName": "no-such-table", "Key": key}),
        ("GetItem", {"TableName": table, "Key": {"PK": {"S": "only half a key"}}}),
    ]
    errors = set()
    for operation, params in exchanges:
        botocore_call = getattr(theirs, botocore.xform_name(operation))
        try:
            expected = wire_form(_without_metadata(botocore_call(**params)))
        except ClientError as error:
            with pytest.raises(ClientError) as raised:
                ours.call(operation, wire_form(params))
            assert str(raised.value) == str(error)
            assert wire_form(_without_metadata(raised.value.response)) == wire_form(
                _without_metadata(error.response)
            )
            assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            errors.add(raised.value.response["Error"]["Code"])
            continue
        assert ours.call(operation, wire_form(params)) == expected, operation
    assert errors == {
        "TransactionCanceledException",
        "ConditionalCheckFailedException",
        "ResourceNotFoundException",
        "ValidationException",
    }


def test_binary_values_are_sent_as_base64(clients, settings):
    table = settings.tasks_table_name
    key = {"PK": {"S": "WS#binary"}, "SK": {"S": "TASK#1"}}
    clients.dynamodb.call(
        "PutItem", {"TableName": table, "Item": {**key, "raw": {"B": b"\x00\xff"}}}
    )
    got = boto3.client("dynamodb", region_name=settings.region).get_item(TableName=table, Key=key)
    assert got["Item"]["raw"] == {"B": b"\x00\xff"}


# -- retries, as botocore's standard mode ---------------------------------------------------------


class Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next of the server's scripted replies."""

    def do_POST(self):
        self.server.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.server.targets.append(self.headers["X-Amz-Target"])
        status, body, checksum = self.server.replies.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-crc32", str(checksum(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        return


def crc32(body: bytes) -> int:
    return zlib.crc32(body) & 0xFFFFFFFF


def damaged(body: bytes) -> int:
    return crc32(body) ^ 1


@pytest.fixture
def scripted() -> Iterator[tuple[ThreadingHTTPServer, DynamoDB, list[float]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.replies, server.targets, server.bodies = [], [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    delays: list[float] = []
    client = DynamoDB(
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
        region="us-east-1",
        credentials=lambda: Credentials("AKID", "secret"),
        # The scripted server answers at once; generous timeouts keep a loaded machine (load 15)
        # from turning its answer into a read timeout.
        timeouts=Timeouts(2, 5),
        max_attempts=2,
        breaker=CircuitBreaker("DynamoDB", cooldown_s=1, probe_timeout_s=2),
        service_model=MODEL,
        sleep=delays.append,
    )
    yield server, client, delays
    server.shutdown()
    server.server_close()


def error(code: str, message: str = "no") -> str:
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})


def test_a_server_error_is_tried_again_after_a_short_wait(scripted):
    server, client, delays = scripted
    server.replies += [(500, error("InternalServerError").encode(), crc32), (200, b"{}", crc32)]
    assert client.call("GetItem", {"TableName": "t"}) == {}
    assert server.targets == ["DynamoDB_20120810.GetItem"] * 2
    assert len(delays) == 1 and 0 <= delays[0] <= 0.025


def test_throttling_waits_longer_and_gives_up_after_the_attempts(scripted):
    server, client, delays = scripted
    throttled = error("ProvisionedThroughputExceededException").encode()
    server.replies += [(400, throttled, crc32), (400, throttled, crc32)]
    with pytest.raises(ClientError) as raised:
        client.call("Query", {"TableName": "t"})
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert len(server.targets) == 2
    # One wait, drawn up to 1 s (throttling's scale), not DynamoDB's 25 ms.
    assert len(delays) == 1 and 0 <= delays[0] <= 1


def test_a_refused_request_is_not_sent_again(scripted):
    server, client, delays = scripted
    server.replies += [(400, error("ValidationException", "bad key").encode(), crc32)]
    with pytest.raises(ClientError, match=r"ValidationException.*bad key"):
        client.call("GetItem", {"TableName": "t"})
    assert len(server.targets) == 1 and delays == []


def test_a_damaged_answer_is_asked_for_again_and_twice_is_unavailable(scripted):
    server, client, _delays = scripted
    server.replies += [(200, b'{"Item": {}}', damaged), (200, b'{"Item": {}}', crc32)]
    assert client.call("GetItem", {"TableName": "t"}) == {"Item": {}}
    server.replies += [(200, b"{not json", damaged), (200, b"{not json", damaged)]
    with pytest.raises(ChecksumError) as raised:
        client.call("GetItem", {"TableName": "t"})
    assert is_unavailable(raised.value)
    assert len(server.targets) == 4


def test_a_body_that_is_not_json_is_an_error_with_its_status(scripted):
    server, client, _delays = scripted
    server.replies += [(403, b"<html>Forbidden</html>", crc32)]
    with pytest.raises(ClientError) as raised:
        client.call("GetItem", {"TableName": "t"})
    assert raised.value.response["Error"] == {"Code": "403", "Message": "<html>Forbidden</html>"}
    assert not is_unavailable(raised.value)


def test_the_signing_key_is_derived_once_a_day(monkeypatch):
    derived: list[bytes] = []
    real_new = dynamodb_module.hmac.new

    def counted(key, message, digest):
        if message == b"aws4_request":
            derived.append(key)
        return real_new(key, message, digest)

    monkeypatch.setattr(dynamodb_module.hmac, "new", counted)
    signer = RequestSigner(host="h", region="us-east-1")
    frozen = Credentials("AKID", "secret").get_frozen_credentials()
    for seconds in (0, 1, 2):
        signer.sign(frozen, {}, b"{}", SIGNED_AT.timestamp() + seconds)
    assert len(derived) == 2  # 23:59:58 and :59 share a day; 00:00:00 is the next


def test_a_retried_transaction_sends_the_same_idempotency_token(scripted):
    server, client, _delays = scripted
    server.replies += [(500, error("InternalServerError").encode(), crc32), (200, b"{}", crc32)]
    server.replies += [(200, b"{}", crc32)]
    items = [{"ConditionCheck": {"TableName": "t", "Key": {}, "ConditionExpression": "x"}}]
    client.call("TransactWriteItems", {"TransactItems": items})
    client.call("TransactWriteItems", {"TransactItems": items})
    first, retry, next_call = (body["ClientRequestToken"] for body in server.bodies)
    assert first == retry != next_call
    assert {body["TransactItems"][0]["ConditionCheck"]["TableName"] for body in server.bodies} == {
        "t"
    }


# -- a DynamoDB that does not answer: retried and counted by the circuit breaker as botocore's
# client is (issue 20, item 1: a refused or timed-out connection was neither) ----------------


def closed_port() -> tuple[int, list[socket.socket]]:
    """A port nothing listens on: every connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1], []


def full_accept_queue() -> tuple[int, list[socket.socket]]:
    """A listener that never accepts, its accept queue filled: a new connection's SYN is
    dropped and the connect times out (a server too busy to take connections)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    held = [listener]
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        held.append(filler)
    time.sleep(0.05)
    port = listener.getsockname()[1]
    with pytest.raises(TimeoutError):  # the precondition: a connect really hangs
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    return port, held


@pytest.fixture
def connection_attempts(monkeypatch) -> list[int]:
    """Every TCP connection any client opens, counted where urllib3 opens it."""
    attempts: list[int] = []
    opened = HTTPConnection._new_conn

    def counted(connection):
        attempts.append(1)
        return opened(connection)

    monkeypatch.setattr(HTTPConnection, "_new_conn", counted)
    return attempts


def _six_calls(call, breaker: CircuitBreaker) -> tuple[list[str], float | None]:
    """The errors of six calls in a row, and how long the circuit took to open."""
    kinds, opened_after = [], None
    started = time.monotonic()
    for _ in range(6):
        with pytest.raises(BotoCoreError) as raised:
            call()
        kinds.append(type(raised.value).__name__)
        if breaker.is_open and opened_after is None:
            opened_after = round(time.monotonic() - started, 2)
    return kinds, opened_after


@pytest.mark.parametrize("fault", [closed_port, full_accept_queue])
def test_a_dynamodb_that_takes_no_connection_is_retried_and_opens_the_circuit(
    fault, connection_attempts
):
    port, held = fault()
    try:
        url = f"http://127.0.0.1:{port}"
        ours_breaker = CircuitBreaker("DynamoDB", cooldown_s=30, probe_timeout_s=30)
        ours = DynamoDB(
            endpoint_url=url,
            region="us-east-1",
            credentials=lambda: Credentials("AKID", "secret"),
            timeouts=Timeouts(0.5, 0.6),
            max_attempts=2,
            breaker=ours_breaker,
            service_model=MODEL,
        )
        ours_kinds, ours_opened = _six_calls(
            lambda: ours.call("GetItem", {"TableName": "t", "Key": {}}), ours_breaker
        )
        ours_attempts, connection_attempts[:] = len(connection_attempts), []

        theirs_breaker = CircuitBreaker("DynamoDB", cooldown_s=30, probe_timeout_s=30)
        theirs = botocore.session.get_session().create_client(
            "dynamodb",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="AKID",
            aws_secret_access_key="secret",
            config=Config(
                connect_timeout=0.5,
                read_timeout=0.6,
                retries={"mode": "standard", "total_max_attempts": 2},
            ),
        )
        theirs_breaker.attach(theirs)
        theirs_kinds, theirs_opened = _six_calls(
            lambda: theirs.get_item(TableName="t", Key={}), theirs_breaker
        )
        theirs_attempts = len(connection_attempts)
    finally:
        for held_socket in held:
            held_socket.close()
    print(
        f"\n{fault.__name__}: ours {ours_attempts} connection attempts, open after "
        f"{ours_opened} s; botocore's {theirs_attempts}, open after {theirs_opened} s"
    )
    # The first call is tried twice and opens the circuit; the five after it are refused
    # without touching the network, as with botocore's client and the same breaker.
    assert ours_kinds == theirs_kinds
    assert ours_kinds[1:] == ["CircuitOpen"] * 5
    assert ours_attempts == theirs_attempts == 2


# -- the request's deadline (issue 20, item 13) ------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and reads requests, and never answers: a black-holed DynamoDB."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in [*held, listener]:
        connection.close()


def hung_client(url: str, breaker: CircuitBreaker, read_timeout: float) -> DynamoDB:
    return DynamoDB(
        endpoint_url=url,
        region="us-east-1",
        credentials=lambda: Credentials("AKID", "secret"),
        timeouts=Timeouts(0.5, read_timeout),
        max_attempts=2,
        breaker=breaker,
        service_model=MODEL,
    )


def _call_within_a_request(client: DynamoDB) -> float:
    deadline.start()
    started = time.monotonic()
    try:
        with pytest.raises(ReadTimeoutError):
            client.call("GetItem", {"TableName": "t", "Key": {}})
        return time.monotonic() - started
    finally:
        deadline.clear()


def test_a_call_ends_by_the_requests_deadline_whatever_its_timeouts(silent_server):
    """The local stack's patience (5 s to read, two attempts) held a request 10 s against a
    black-holed DynamoDB. Within a request, one attempt is cut so that a connect at its
    timeout would still end in time, with no room for a second. Cut short, its timeout says
    the request ran out of time, not that DynamoDB is down: the circuit stays closed."""
    breaker = CircuitBreaker("DynamoDB", cooldown_s=30, probe_timeout_s=30)
    took = _call_within_a_request(hung_client(silent_server, breaker, read_timeout=5.0))
    assert took < deadline.REQUEST_DEADLINE_S
    assert not breaker.is_open


def test_with_the_default_timeouts_the_deadline_cuts_nothing(silent_server, connection_attempts):
    breaker = CircuitBreaker("DynamoDB", cooldown_s=30, probe_timeout_s=30)
    took = _call_within_a_request(hung_client(silent_server, breaker, read_timeout=0.6))
    # Both attempts, each to its own timeout (2 x 0.6 s and a backoff): DynamoDB did not answer.
    assert len(connection_attempts) == 2 and took >= 1.2
    assert breaker.is_open


def test_a_call_with_no_time_left_is_not_sent(connection_attempts):
    breaker = CircuitBreaker("DynamoDB", cooldown_s=30, probe_timeout_s=30)
    client = hung_client("http://127.0.0.1:9", breaker, read_timeout=5.0)
    deadline.start(0.3)  # less than the connect timeout: no attempt could end in time
    try:
        with pytest.raises(DeadlineExceeded) as raised:
            client.call("GetItem", {"TableName": "t", "Key": {}})
    finally:
        deadline.clear()
    assert is_unavailable(raised.value)
    assert connection_attempts == [] and not breaker.is_open


def test_a_transaction_conflict_is_tried_again_while_the_deadline_allows(scripted):
    server, client, _delays = scripted
    conflict = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled",
            "CancellationReasons": [{"Code": "TransactionConflict"}],
        }
    ).encode()
    server.replies += [(400, conflict, crc32)] * 6 + [(200, b"{}", crc32)]
    store = Store(types.SimpleNamespace(dynamodb=client), "t")
    check = Write("caller", "ConditionCheck", {"Key": {}, "ConditionExpression": "x"})
    deadline.start()
    try:
        store.transact([check])
    finally:
        deadline.clear()
    # Outside a request, three tries in all (as before: two retries, then 503).
    assert len(server.targets) == 7
    server.replies += [(400, conflict, crc32)] * 3
    with pytest.raises(DependencyUnavailable):
        store.transact([check])
    assert len(server.targets) == 10


# -- the connection pool, sized to the worker (issue 20, item 10) -----------------------------


class ManyAtOnce(ThreadingHTTPServer):
    request_queue_size = 128  # the standard library's 5 would refuse a burst of connections


class SlowKeepAlive(BaseHTTPRequestHandler):
    """Answers every request with `{}` after a moment, keeping the connection; counts the
    connections it was given."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(0.02)
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args):
        return


def test_a_workers_pool_keeps_a_connection_for_each_request_it_serves_at_once(caplog, monkeypatch):
    concurrency = 40
    for name, value in {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}.items():
        monkeypatch.setenv(name, value)
    server = ManyAtOnce(("127.0.0.1", 0), SlowKeepAlive)
    server.connections, server.lock = 0, threading.Lock()
    failed: list[BaseException] = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        clients = AwsClients(_settings("us-east-1", AWS_ENDPOINT_URL_DYNAMODB=url))
        clients.warm(max_connections=concurrency)  # as gunicorn's post_worker_init does
        start = threading.Barrier(concurrency)

        def calls() -> None:
            start.wait()
            try:
                for _ in range(5):
                    clients.dynamodb.call("GetItem", {"TableName": "t", "Key": {}})
            except BaseException as error:
                failed.append(error)
                raise

        caplog.set_level(logging.WARNING, logger="urllib3.connectionpool")
        workers = [threading.Thread(target=calls) for _ in range(concurrency)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        server.shutdown()
        server.server_close()
    discarded = [r for r in caplog.records if "Connection pool is full" in r.getMessage()]
    # Each connection opened is kept for the next call: none thrown away, none opened twice.
    assert failed == []
    assert discarded == []
    assert server.connections <= concurrency
