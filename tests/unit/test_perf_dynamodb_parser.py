"""The DynamoDB response parser (app/aws/dynamodb_parser.py) gives exactly what botocore's own
gives, on responses recorded from the emulator: successes, modeled errors with items in them,
and the values that differ on the wire (binary) or are easy to get wrong (sets, nesting,
empties, numbers with many digits)."""

from __future__ import annotations

import base64
import copy
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import JSONParser

from app.aws.dynamodb_parser import DynamoDBParser

DYNAMODB = botocore.session.get_session().get_service_model("dynamodb")

# Every kind of attribute value, nested and empty, as DynamoDB's low-level API takes it.
EVERY_KIND: dict[str, Any] = {
    "text": {"S": "zß水🙂"},
    "empty_text": {"S": ""},
    "integer": {"N": "12345678901234567890123456789012345678"},
    "negative": {"N": "-98765432109876543210987654321098765432"},
    "fraction": {"N": "0.00000000000000000000000000000000000001"},
    "binary": {"B": bytes(range(256))},
    "empty_binary_set_member": {"BS": [b"\x00", b"\xff\xfe", b"plain"]},
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


class Recorder:
    """botocore's own `before-parse` event hands over every response before it is parsed."""

    def __init__(self) -> None:
        self.responses: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, *, operation_model, response_dict, **_kwargs) -> None:
        self.responses.append((operation_model, copy.deepcopy(response_dict)))


def parse_as_the_endpoint_does(parser, operation_model, response_dict) -> dict[str, Any]:
    """What botocore's Endpoint returns: the output shape, then the modeled error fields."""
    parsed = parser.parse(copy.deepcopy(response_dict), operation_model.output_shape)
    if response_dict["status_code"] >= 300:
        code = parsed.get("Error", {}).get("Code")
        error_shape = operation_model.service_model.shape_for_error_code(code)
        if error_shape is not None:
            parsed.update(parser.parse(copy.deepcopy(response_dict), error_shape))
    return parsed


@pytest.fixture
def recorded(clients, settings) -> list[tuple[Any, dict[str, Any]]]:
    """One real exchange of each kind the service makes, with the emulator."""
    client = clients.dynamodb
    recorder = Recorder()
    client.meta.events.register("before-parse.dynamodb", recorder)
    table = settings.tasks_table_name
    item = {"PK": {"S": "WS#parser"}, "SK": {"S": "TASK#1"}, **EVERY_KIND}
    key = {"PK": item["PK"], "SK": item["SK"]}
    client.put_item(TableName=table, Item=item)
    client.put_item(TableName=table, Item={**item, "SK": {"S": "TASK#2"}}, ReturnValues="ALL_OLD")
    client.put_item(TableName=table, Item=item, ReturnValues="ALL_OLD")
    client.get_item(TableName=table, Key=key, ConsistentRead=True)
    client.get_item(TableName=table, Key={"PK": {"S": "WS#none"}, "SK": {"S": "META"}})
    client.batch_get_item(RequestItems={table: {"Keys": [key], "ConsistentRead": True}})
    client.query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": item["PK"]},
        Limit=1,
    )
    client.query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "WS#empty"}},
    )
    failing_condition = {
        "TableName": table,
        "Key": key,
        "ConditionExpression": "attribute_not_exists(PK)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        client.transact_write_items(
            TransactItems=[
                {"ConditionCheck": failing_condition},
                {"Put": {"TableName": table, "Item": {**item, "SK": {"S": "TASK#3"}}}},
            ]
        )
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists(PK)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    with pytest.raises(ClientError, match="ResourceNotFound"):
        client.get_item(TableName="no-such-table", Key=key)
    with pytest.raises(ClientError, match="ValidationException"):
        client.get_item(TableName=table, Key={"PK": {"S": "only half a key"}})
    return recorder.responses


def test_every_recorded_response_parses_exactly_as_botocore_parses_it(recorded):
    operations = {model.name for model, _ in recorded}
    assert {"PutItem", "GetItem", "BatchGetItem", "Query", "TransactWriteItems"} <= operations
    for operation_model, response_dict in recorded:
        ours = parse_as_the_endpoint_does(DynamoDBParser(), operation_model, response_dict)
        theirs = parse_as_the_endpoint_does(JSONParser(), operation_model, response_dict)
        assert ours == theirs, operation_model.name


def test_the_values_come_back_as_they_were_written(recorded, clients, settings):
    got = clients.dynamodb.get_item(
        TableName=settings.tasks_table_name,
        Key={"PK": {"S": "WS#parser"}, "SK": {"S": "TASK#1"}},
        ConsistentRead=True,
    )["Item"]
    for name, value in EVERY_KIND.items():
        written, read = dict(value), dict(got[name])
        for kind in ("SS", "NS", "BS"):  # sets come back in any order
            if kind in written:
                written[kind], read[kind] = sorted(written[kind]), sorted(read[kind])
        assert read == written, name


def test_the_items_in_a_cancelled_transaction_are_parsed_too(recorded):
    (operation_model, response_dict), *_ = [
        (model, response) for model, response in recorded if model.name == "TransactWriteItems"
    ]
    parsed = parse_as_the_endpoint_does(DynamoDBParser(), operation_model, response_dict)
    reasons = parsed["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["ConditionalCheckFailed", "None"]
    assert reasons[0]["Item"]["binary"] == {"B": bytes(range(256))}
    assert reasons[0]["Item"]["nested"]["M"]["list"]["L"][2] == {"B": b"\x01\x02"}


def test_the_service_client_uses_it(clients, settings, monkeypatch):
    calls = []
    original = DynamoDBParser._attribute_value

    def counted(self, shape, value):
        calls.append(value)
        return original(self, shape, value)

    monkeypatch.setattr(DynamoDBParser, "_attribute_value", counted)
    clients.dynamodb.get_item(
        TableName=settings.tasks_table_name, Key={"PK": {"S": "a"}, "SK": {"S": "b"}}
    )
    clients.dynamodb.put_item(
        TableName=settings.tasks_table_name,
        Item={"PK": {"S": "a"}, "SK": {"S": "b"}},
        ReturnValues="ALL_OLD",
    )
    clients.dynamodb.put_item(
        TableName=settings.tasks_table_name,
        Item={"PK": {"S": "a"}, "SK": {"S": "b"}},
        ReturnValues="ALL_OLD",
    )
    assert {"S": "a"} in calls


def _wire(body: str, status: int = 200) -> dict[str, Any]:
    return {"status_code": status, "headers": {}, "body": body.encode()}


@pytest.mark.parametrize(
    "body",
    [
        # A member this botocore does not know (a newer DynamoDB type): botocore's own answer.
        '{"Item": {"a": {"XYZ": "new"}}}',
        # A null member, two members, a null value, a null in a list: all left to botocore.
        '{"Item": {"a": {"S": null}}}',
        '{"Item": {"a": {"S": "x", "N": "1"}}}',
        '{"Item": {"a": {"L": [null, {"S": "x"}]}, "b": null}}',
        # Binary in every place it can be.
        '{"Item": {"b": {"B": "'
        + base64.b64encode(b"\x00\xff").decode()
        + '"}, "m": {"M": {"x": {"BS": ["AA==", "/w=="]}}}}}',
    ],
)
def test_odd_values_are_parsed_as_botocore_parses_them(body):
    operation_model = DYNAMODB.operation_model("GetItem")
    ours = parse_as_the_endpoint_does(DynamoDBParser(), operation_model, _wire(body))
    theirs = parse_as_the_endpoint_does(JSONParser(), operation_model, _wire(body))
    assert ours == theirs


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("RequestLimitExceeded", 400),
        ("InternalServerError", 500),
    ],
)
def test_throttling_and_outages_parse_as_botocore_parses_them(code, status):
    """The emulator never throttles, so these are DynamoDB's documented error bodies."""
    operation_model = DYNAMODB.operation_model("Query")
    body = _wire(
        '{"__type": "com.amazonaws.dynamodb.v20120810#' + code + '", "message": "slow down"}',
        status,
    )
    ours = parse_as_the_endpoint_does(DynamoDBParser(), operation_model, body)
    assert ours == parse_as_the_endpoint_does(JSONParser(), operation_model, body)
    assert ours["Error"]["Code"] == code
