"""A faster response parser for DynamoDB, plugged in through botocore's own extension point
(the session's `response_parser_factory` component), giving exactly what botocore's gives.

botocore's JSON parser walks every attribute value of every item against the model: an
`AttributeValue` is a union of ten members, and each is looked up one by one, for a list of 25
tasks about 190 shape visits per call, 28% of the request's CPU (docs/performance.md). On the
wire an `AttributeValue` is already in its parsed form except that binary values (`B`, `BS`)
are base64: so this parser takes attribute values as they are, decodes the binary ones, and
leaves everything else (the rest of each response, errors, retries, metadata) to botocore.
Anything it does not recognise (an unknown or missing member, a null) goes to botocore's own
code, so it never answers differently from it; tests/unit/test_perf_dynamodb_parser.py checks
that on responses recorded from the emulator.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape
from botocore.parsers import JSONParser, ResponseParserFactory

_ATTRIBUTE_VALUE = "AttributeValue"
# Members whose wire form is their parsed form.
_AS_IS = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


class DynamoDBParser(JSONParser):
    """botocore's JSON parser, with a direct path for attribute values."""

    def _handle_structure(self, shape: Shape, value: Any) -> Any:
        if shape.name == _ATTRIBUTE_VALUE and value is not None:
            return self._attribute_value(shape, value)
        return super()._handle_structure(shape, value)

    def _handle_map(self, shape: Shape, value: Any) -> Any:
        value_shape = shape.value
        if value_shape.name == _ATTRIBUTE_VALUE and shape.key.type_name == "string":
            convert = self._attribute_value
            return {name: convert(value_shape, item) for name, item in value.items()}
        return super()._handle_map(shape, value)

    def _attribute_value(self, shape: Shape, value: Any) -> Any:
        if not isinstance(value, dict) or len(value) != 1:
            return super()._handle_structure(shape, value)
        ((tag, inner),) = value.items()
        if inner is None:
            return super()._handle_structure(shape, value)
        if tag in _AS_IS:
            return {tag: inner}
        if tag == "M" and isinstance(inner, dict):
            return {"M": {name: self._attribute_value(shape, item) for name, item in inner.items()}}
        if tag == "L" and isinstance(inner, list):
            return {"L": [None if i is None else self._attribute_value(shape, i) for i in inner]}
        if tag == "B":
            return {"B": self._blob_parser(inner)}
        if tag == "BS" and isinstance(inner, list):
            return {"BS": [None if i is None else self._blob_parser(i) for i in inner]}
        # Unknown to us: botocore decides (an unknown union member, a malformed value).
        return super()._handle_structure(shape, value)


class DynamoDBParserFactory(ResponseParserFactory):
    """Makes botocore's parsers, except DynamoDBParser for the JSON protocol."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            # The same defaults (blob and timestamp parsers) botocore's factory would pass.
            return DynamoDBParser(**self._defaults)
        return super().create_parser(protocol_name)
