"""Versions as strong ETags ("<version>"), If-Match for writes and If-None-Match for reads."""

from __future__ import annotations

from flask import Response, request

from app.api.problems import ApiProblem


def etag(version: int) -> str:
    return f'"{version}"'


def required_if_match() -> frozenset[int] | None:
    """The versions a write's If-Match names, or None for `*`.

    428 without the header. A list that names no version we could ever have (weak tags,
    non-numbers) can never match: 412 at once, before anything is read.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise ApiProblem(428, "This request needs If-Match with the ETag you last read")
    tags = request.if_match
    if tags.star_tag:
        return None
    versions = frozenset(int(tag) for tag in tags.as_set() if tag.isdigit() and len(tag) < 19)
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
