"""A member's email as the member lists show it, kept to the user pool's.

A membership stores the member's email as it was when they were added, so that a list of
members needs no call to the pool per member. When a user changes their email (the pool applies
it only once it is verified), their memberships went on showing the old address, and two
members could show the same one (issue 20, item 11). So when a user calls the API, if that
process has not checked them in the last five minutes, it asks the pool for their email once
the response is sent, and brings every membership of theirs that shows another one up to date.
A changed email therefore shows in every member list within five minutes of the change, from
the member's first request after it.

The update is no change to a workspace (nobody in it made it): it writes no audit event.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.domain.ports import UserDirectory
from app.storage import keys, writes
from app.storage.records import Membership
from app.storage.table import Store, WriteRejected

REFRESH_INTERVAL_S = 300
# Users checked recently, per process; past it the record starts over (one entry is bytes).
_USERS_REMEMBERED = 100_000
_PAGE = 100


class MemberEmails:
    def __init__(
        self,
        store: Store,
        directory: UserDirectory,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._directory = directory
        self._clock = clock
        self._lock = threading.Lock()
        self._checked: dict[str, float] = {}

    def due(self, user_id: str) -> bool:
        """Whether the user's email is due for a check here; if so, it counts as checked now."""
        now = self._clock()
        with self._lock:
            last = self._checked.get(user_id)
            if last is not None and now - last < REFRESH_INTERVAL_S:
                return False
            if len(self._checked) >= _USERS_REMEMBERED:
                self._checked.clear()
            self._checked[user_id] = now
            return True

    def refresh(self, user_id: str) -> int:
        """Every membership of the user shows the pool's email for them; returns how many
        changed. One call to the pool, one query per 100 memberships, one write per change."""
        email = self._directory.current_email(user_id)
        if not email:
            return 0
        changed = 0
        start_key = None
        while True:
            page = self._store.query(
                partition=("UserKey", keys.user_key(user_id)),
                index=keys.BY_USER,
                limit=_PAGE,
                start_key=start_key,
            )
            for membership in page.records:
                if isinstance(membership, Membership) and membership.email != email:
                    changed += self._change(membership, email)
            if page.next_key is None:
                return changed
            start_key = page.next_key

    def _change(self, membership: Membership, email: str) -> int:
        update = writes.change_member_email(
            membership.workspace_id, membership.user_id, old=membership.email, new=email
        )
        try:
            self._store.transact([update])
        except WriteRejected:
            return 0  # left, or changed by another process, meanwhile
        return 1
