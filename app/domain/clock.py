"""Time and identifiers, so use cases and tests agree on their formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ulid import ULID


def utc_now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, e.g. 2026-11-26T08:00:00.000Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def epoch_after(moment: datetime, days: int) -> int:
    return int((moment + timedelta(days=days)).timestamp())


def new_id() -> str:
    """A ULID: its text order is its creation order, strictly increasing within the process."""
    return str(ULID())


def new_id_after(previous: str) -> str:
    """A new id that sorts after `previous`, even if `previous` came from a clock ahead of
    ours."""
    fresh = new_id()
    return fresh if fresh > previous else str(ULID.from_int(int(ULID.from_str(previous)) + 1))
