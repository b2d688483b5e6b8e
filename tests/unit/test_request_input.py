"""The HTTP layer's input rules, one by one: strict JSON bodies, If-Match, query integers,
dates, and what text may hold (docs/api.md, "Input rules")."""

from __future__ import annotations

import marshmallow as ma
import pytest
from flask import Flask

from app.api import json_body
from app.api.etags import required_if_match
from app.api.pagination import PageArgs
from app.api.problems import ApiProblem
from app.api.text import CalendarDate, block_of_text, line_of_text, not_blank


def _status(call) -> int:
    with pytest.raises(ApiProblem) as refused:
        call()
    return refused.value.status


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  \n",
        b'{"name": ',
        b'{"name": "\xff"}',
        b'{"name": NaN}',
        b'{"name": -Infinity}',
        b'{"name": 1e999}',
        b'{"name": ' + b"9" * 4400 + b"}",
        b'{"name": "a", "name": "b"}',
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 33 + b"1" + b"}" * 33,
        b"\xef\xbb\xbf{}",
    ],
)
def test_bodies_that_are_not_strict_json_are_400(body):
    assert _status(lambda: json_body.parse(body)) == 400


def test_strict_json_within_the_limits_parses():
    nested = b'{"a":' * 31 + b"1" + b"}" * 31
    assert json_body.parse(b'{"name": "x", "n": 12, "f": 1.5}') == {"name": "x", "n": 12, "f": 1.5}
    assert json_body.parse(nested)
    # A lone surrogate is valid JSON syntax; the schemas refuse it as text (422).
    assert json_body.parse(b'{"name": "\\ud800"}') == {"name": "\ud800"}


@pytest.fixture
def app() -> Flask:
    return Flask(__name__)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("*", None),
        ('"3"', frozenset({3})),
        ('"3", "4"', frozenset({3, 4})),
        (' "3" ,, W/"4" ', frozenset({3})),
    ],
)
def test_if_match_names_versions(app, header, expected):
    with app.test_request_context(headers={"If-Match": header}):
        assert required_if_match() == expected


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 428),
        ("  ", 428),
        ('""', 412),
        ('"", ""', 412),
        ('W/"3"', 412),
        ('"x"', 412),
        ('"0"', 412),
        ('"99999999999999999999"', 412),
        ("3", 400),
        ('"3" "4"', 400),
        ('"3", 4', 400),
        ('*, "3"', 400),
        ('"3', 400),
    ],
)
def test_if_match_that_cannot_match_is_412_and_malformed_is_400(app, header, status):
    headers = {} if header is None else {"If-Match": header}
    with app.test_request_context(headers=headers):
        assert _status(required_if_match) == status


FULLWIDTH_FIVE, ARABIC_INDIC_FIVE = "\uff15", "\u0665"


@pytest.mark.parametrize(
    "limit",
    [FULLWIDTH_FIVE, ARABIC_INDIC_FIVE, "+5", " 5", "5 ", "-5", "0x5", "1_0", "5.0", "9" * 20],
)
def test_limit_is_ascii_digits_only(limit):
    with pytest.raises(ma.ValidationError) as refused:
        PageArgs().load({"limit": limit})
    assert set(refused.value.messages) == {"limit"}


def test_limit_in_range_loads():
    assert PageArgs().load({"limit": "05"})["limit"] == 5


class _Dated(ma.Schema):
    due = CalendarDate()


@pytest.mark.parametrize(
    "value",
    ["20261231", "2026-W01-1", "2026-12-31T00:00", "2026-2-03", "2026-02-30", "\uff12026-01-01"],
)
def test_a_date_is_exactly_yyyy_mm_dd(value):
    with pytest.raises(ma.ValidationError):
        _Dated().load({"due": value})


def test_a_calendar_date_loads():
    assert str(_Dated().load({"due": "2026-02-28"})["due"]) == "2026-02-28"


@pytest.mark.parametrize(
    "value",
    [
        "a\x00b",
        "\x1b[31mred",
        "\x7f",
        "\x85",
        "\ud800",
        "x\udfffy",
        "\ufffe",
        "\U0010ffff",
        "\ufdd0",
        "abc\u202egpj.exe",
        "\u2066x\u2069",
        "two\nlines",
        "a\u2028b",
    ],
)
def test_a_line_of_text_refuses_what_is_not_text(value):
    with pytest.raises(ma.ValidationError):
        line_of_text(value)


def test_a_description_may_have_line_breaks_and_tabs_but_no_other_control():
    block_of_text("first\n\tsecond\r\n")
    with pytest.raises(ma.ValidationError):
        block_of_text("bell\x07")


@pytest.mark.parametrize(
    "value", ["", " ", "\u200b", "\ufeff\u200d", "\u00a0\u3000", "\u3164", "\u200e\ufe0f"]
)
def test_blank_is_nothing_visible(value):
    with pytest.raises(ma.ValidationError):
        not_blank(value)


@pytest.mark.parametrize("value", ["Team", "é", "👩\u200d💻", "ห้อง", "نام\u200c", "日本"])
def test_real_names_pass(value):
    line_of_text(value)
    not_blank(value)
