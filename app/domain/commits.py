"""Committing a change and its audit event in the order of the workspace's log.

Every change to a workspace, or to what is in it, is one transaction that also sets the
workspace item's `last_event` to its own event's id, on condition that the id is greater
(storage.writes.advance_workspace). DynamoDB commits transactions on one item one after the
other, so the ids of committed events rise in commit order. An id minted just before sending
can still lose to one minted a moment later elsewhere that commits first (another process, a
clock a few milliseconds ahead); the condition then fails, and the change is sent again with an
id after the one it lost to. So the log, newest first by id, is the order of the commits.

A change that keeps losing is sent again, after a short pause drawn at random (so that changes
that lost together do not collide again together), for as long as the request's deadline
allows (app/aws/deadline.py): 40 creators at once in one workspace lost some changes ten times
in a row, the old cap, and answered 409 (issue 20, item 10).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from app.aws import deadline
from app.domain.audit import AuditRecorder
from app.domain.clock import new_id, new_id_after
from app.domain.errors import Conflict, LostRace
from app.storage.records import Workspace
from app.storage.table import Store, WriteRejected
from app.storage.writes import Caller, Write, advance_workspace, on_behalf_of

# Under contention a change loses the race now and then (measured with 8 writers at once on
# one workspace: 22% of changes lost once, 5% twice, 0.6% three times); it is sent again with
# an id after the winner's, after a pause of up to 5 ms x 2^(losses - 1), at most 50 ms.
_RETRY_PAUSE_S = 0.005
_RETRY_PAUSE_CAP_S = 0.05
# A try is started only with this much of the request's deadline left (a transaction under
# load); outside a request, at most this many tries.
_TIME_FOR_A_TRY_S = 0.1
_ATTEMPTS_OUTSIDE_A_REQUEST = 10
TOO_BUSY = "The workspace is changing faster than this change could be ordered; try again"
# With If-Match: *, a change that lost a race is read again and applied this often at most:
# enough for as many writers at once on one resource as a team produces.
ANY_VERSION_ATTEMPTS = 8
_ANY_VERSION_BACKOFF_S = 0.01

T = TypeVar("T")


def commit_in_order(
    store: Store, build: Callable[[str], Sequence[Write | None]], *, caller: Caller | None
) -> str:
    """Send the transaction `build(event_id)` until it commits or fails for a reason other than
    order; returns the id its event was committed with.

    `caller` is who makes the change: their membership and role become conditions of the same
    transaction (writes.on_behalf_of), whatever the change does, to whom; None only for a change
    whose caller is no member and uses no member's rights: creating a workspace (its caller
    becomes the owner in it), accepting an invitation (the inviter's membership and role are its
    condition instead) or declining one."""
    event_id = new_id()
    for tries in itertools.count(1):
        parts = [part for part in build(event_id) if part is not None]
        try:
            store.transact(parts if caller is None else on_behalf_of(caller, parts))
            return event_id
        except WriteRejected as rejected:
            overtaken_by = _later_event(rejected, event_id)
            if overtaken_by is None:
                raise
            if not deadline.wait_for_another_try(
                tries=tries,
                base_s=_RETRY_PAUSE_S,
                cap_s=_RETRY_PAUSE_CAP_S,
                needs_s=_TIME_FOR_A_TRY_S,
                tries_outside=_ATTEMPTS_OUTSIDE_A_REQUEST,
            ):
                raise Conflict(TOO_BUSY) from rejected
            event_id = new_id_after(overtaken_by)
    raise AssertionError("the loop returns or raises")


def commit_audited(
    store: Store,
    audit: AuditRecorder,
    *,
    actor_id: str,
    workspace_id: str,
    allowed: frozenset[str],
    action: str,
    target: tuple[str, str],
    label: str,
    changes: dict[str, list[Any]],
    at: datetime,
    parts: Sequence[Write | None],
    counts: Mapping[str, int] | None = None,
) -> str:
    """A change to what is in a workspace, as one transaction in the log's order: the caller
    is a member with one of the `allowed` roles at commit time (writes.on_behalf_of), the
    workspace is live (and its `counts` move within their limits: advance_workspace's
    keywords), the change's own `parts`, and its audit event. Returns the event's id; a
    cancelled transaction raises WriteRejected for the caller to explain in its own terms."""

    def change(event_id: str) -> list[Write | None]:
        return [
            advance_workspace(workspace_id, event_id=event_id, **(counts or {})),
            *parts,
            audit.event(
                event_id=event_id,
                workspace_id=workspace_id,
                actor_id=actor_id,
                action=action,
                target=target,
                label=label,
                changes=changes,
                at=at,
            ),
        ]

    return commit_in_order(store, change, caller=Caller(workspace_id, actor_id, allowed))


def _later_event(rejected: WriteRejected, event_id: str) -> str | None:
    workspace = rejected.failures.get("workspace")
    live = isinstance(workspace, Workspace) and not workspace.deleted
    if live and workspace.last_event is not None and workspace.last_event >= event_id:
        return workspace.last_event
    return None


def against_any_version(if_match: frozenset[int] | None, attempt: Callable[[], T], what: str) -> T:
    """Run `attempt` (read, check If-Match, then write pinned to the version read). A write that
    lost a race to another change (LostRace) is no precondition failure: it is read again, and
    applied to the version now current if If-Match still names it (`*` always does); if not,
    the read's own check is the 412. Past the attempts, 409."""
    for tries in range(ANY_VERSION_ATTEMPTS):
        try:
            return attempt()
        except LostRace:
            time.sleep(random.uniform(0, _ANY_VERSION_BACKOFF_S * (tries + 1)))  # noqa: S311
    raise Conflict(f"The {what} is being changed by others faster than this change applies")
