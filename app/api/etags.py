"""Versions as strong ETags ("<version>"), If-Match for writes and If-None-Match for reads."""

from __future__ import annotations

import re

from flask import Response, request

from app.api.problems import ApiProblem

# RFC 9110 section 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E /
# obs-text; If-Match = "*" / #entity-tag, where a list may hold empty elements (section 5.6.1).
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_LIST_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")
# A version is a positive integer that fits DynamoDB's number type comfortably.
_VERSION = re.compile(r"[1-9][0-9]{0,17}")

MALFORMED_IF_MATCH = 'If-Match must be * or a list of quoted entity tags, e.g. "3"'


def etag(version: int) -> str:
    return f'"{version}"'


def _strong_tags(header: str) -> list[str]:
    """The opaque values of the strong tags in an If-Match list (400 if it is not one)."""
    tags = []
    for element in _LIST_SEPARATOR.split(header.strip(" \t")):
        if not element:
            continue
        match = _ENTITY_TAG.fullmatch(element)
        if match is None:
            raise ApiProblem(400, MALFORMED_IF_MATCH)
        if match.group(1) is None:
            # If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches.
            tags.append(match.group(2))
    return tags


def required_if_match() -> frozenset[int] | None:
    """The versions a write's If-Match names, or None for `*` (any current version).

    428 without the header, 400 when it is not `*` or a list of quoted entity tags. A list that
    names no version we could ever have (weak tags, `""`, non-numbers) can never match: 412 at
    once, before anything is read.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip(" \t"):
        raise ApiProblem(428, "This request needs If-Match with the ETag you last read")
    if header.strip(" \t") == "*":
        return None
    versions = frozenset(int(tag) for tag in _strong_tags(header) if _VERSION.fullmatch(tag))
    if not versions:
        raise ApiProblem(412, "If-Match names no current version of this resource")
    return versions


def not_modified(version: int) -> Response | None:
    """A 304 when If-None-Match already names this version (weak comparison, as RFC 9110 says)."""
    tags = request.if_none_match
    if tags and (tags.star_tag or tags.contains_weak(str(version))):
        response = Response(status=304)
        response.headers["ETag"] = etag(version)
        return response
    return None
