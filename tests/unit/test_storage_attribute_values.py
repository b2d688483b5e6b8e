"""The storage layer's conversions between Python values and DynamoDB's attribute values
(app/storage/records.py) give exactly what boto3's TypeSerializer and TypeDeserializer give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from app.storage.records import _plain, deserialize, serialize
from tests.unit.test_aws_dynamodb import EVERY_KIND, wire_form


def boto3_serialize(value: dict[str, Any]) -> dict[str, Any]:
    return {name: TypeSerializer().serialize(v) for name, v in value.items() if v is not None}


def boto3_deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain(TypeDeserializer().deserialize(v)) for name, v in item.items()}


PYTHON_VALUES: dict[str, Any] = {
    "text": "zß水🙂",
    "empty_text": "",
    "zero": 0,
    "integer": 10**38 - 1,
    "negative": -(10**38) + 1,
    "true": True,
    "false": False,
    "skipped": None,
    "decimal": Decimal("1.25"),
    "binary": b"\x00\xff",
    "wrapped_binary": Binary(b"\x01"),
    "strings": {"a", "b"},
    "numbers": {1, 2},
    "empty_list": [],
    "empty_map": {},
    "tuple": ("a", 1),
    "nested": {"list": [1, "two", None, {"three": [True, {"four": b"\x04"}]}], "none": None},
}


def test_serialize_is_boto3s():
    assert serialize(PYTHON_VALUES) == boto3_serialize(PYTHON_VALUES)


@pytest.mark.parametrize("value", [1.5, 10**38, -(10**38), {"nested": 10**39}, [float("nan")]])
def test_what_boto3_refuses_is_refused(value):
    with pytest.raises(Exception) as theirs:
        boto3_serialize({"v": value})
    with pytest.raises(type(theirs.value)):
        serialize({"v": value})


def test_deserialize_is_boto3s_for_every_kind():
    assert deserialize(EVERY_KIND) == boto3_deserialize(EVERY_KIND)


def test_the_wire_form_reads_back_as_botocores_parsed_form():
    assert deserialize(wire_form(EVERY_KIND)) == boto3_deserialize(EVERY_KIND)


@pytest.mark.parametrize(
    "number",
    ["0", "-0", "007", "12345678901234567890123456789012345678", "1E+3", "2.9", "-2.9", "1e-130"],
)
def test_numbers_read_back_as_boto3_and_the_integer_rule_read_them(number):
    ours = deserialize({"n": {"N": number}})
    assert ours == boto3_deserialize({"n": {"N": number}})
    assert type(ours["n"]) is int


def test_a_round_trip_gives_back_the_values():
    item = serialize(PYTHON_VALUES)
    assert deserialize(item) == boto3_deserialize(item)
