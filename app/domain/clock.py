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


def id_at(moment: datetime) -> str:
    """A new ULID whose time is `moment` (to the millisecond): an item whose id says when it
    was made, so that a range of ids is a range of time."""
    return str(ULID.from_datetime(moment))


def first_id_at(moment: datetime) -> str:
    """The smallest ULID of `moment`'s millisecond: every id made at or after it sorts after."""
    return str(ULID.from_int(int(moment.timestamp() * 1000) << 80))


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def seconds_until_next_day(moment: datetime) -> int:
    """Whole seconds (at least 1) from `moment` to the next 00:00 UTC."""
    utc = moment.astimezone(UTC)
    midnight = (utc + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - utc).total_seconds() + 0.999))
