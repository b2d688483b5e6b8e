"""The caller's notifications and preferences (docs/api.md, "Notifications").

The notifier function (lambdas/notifier) writes notifications, one item per recipient and
audit event (`NOTIFY#<user>` / `<event id>`); the service reads them, newest first. What is read
is one mark per user (`read_up_to` on `USER#<user>` / `PREFS`, beside the email preference):
every notification up to it is read, so "unread" is a key range and marking many read is one
write.

A notification is served only while its recipient is a member of its live workspace (an
`invitation.received` one, while its invitation is pending): the notifier also deletes a
former member's notifications in the background, but the read is the guarantee. Like
/me/tasks, a page reads up to SKIP_ALLOWANCE notifications more than it needs and checks them
in at most two BatchGetItem calls, so it is full unless more than that many had to be left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.errors import NotFound
from app.storage import keys, writes
from app.storage.records import Invitation, Membership, Notification, Preferences, Workspace
from app.storage.table import Store, WriteRejected

EMAIL_PREFERENCES = ("immediate", "daily", "off")
SKIP_ALLOWANCE = 100
SUMMARY_CAP = 1000
_KEYS_PER_READ = 100
_READS_PER_PAGE = 2


@dataclass(frozen=True)
class NotificationView:
    notification: Notification
    read: bool

    @property
    def target(self) -> dict[str, str | None]:
        return {
            "type": self.notification.target_type,
            "id": self.notification.target_id,
            "label": self.notification.target_label,
        }


@dataclass(frozen=True)
class NotificationPage:
    records: list[NotificationView]
    next_key: dict | None


class Notifications:
    def __init__(self, store: Store):
        self._store = store

    # -- preferences ---------------------------------------------------------------------------

    def preferences(self, actor_id: str) -> Preferences:
        key = keys.preferences_key(actor_id)
        found = self._store.get_many([key]).get((key["PK"], key["SK"]))
        return found if isinstance(found, Preferences) else Preferences(actor_id)

    def set_email_preference(self, actor_id: str, value: str) -> Preferences:
        """Immediate, daily or off (the API validated it). Personal, not a workspace's change:
        no audit event."""
        self._store.transact([writes.set_email_preference(actor_id, value)])
        return Preferences(actor_id, email_notifications=value)

    # -- notifications ---------------------------------------------------------------------

    def page(
        self, actor_id: str, *, unread: bool, limit: int, start_key: dict | None
    ) -> NotificationPage:
        read_up_to = self.preferences(actor_id).read_up_to
        found = self._store.query(
            partition=("PK", keys.notifications_pk(actor_id)),
            sort_after=read_up_to if unread else None,
            limit=limit + SKIP_ALLOWANCE,
            start_key=start_key,
            newest_first=True,
        )
        notifications = [n for n in found.records if isinstance(n, Notification)]
        if not notifications:
            return NotificationPage([], found.next_key)
        visibility = _Visibility(self._store, actor_id, notifications, reads=_READS_PER_PAGE)
        items: list[NotificationView] = []
        last_seen = -1
        for position, notification in enumerate(notifications):
            visible = visibility.of(notification)
            if visible is None:
                break  # finding out would take more reads than a page may make
            last_seen = position
            if visible:
                read = read_up_to is not None and notification.id <= read_up_to
                items.append(NotificationView(notification, read))
                if len(items) == limit:
                    break
        more = last_seen < len(notifications) - 1 or found.next_key is not None
        if not more:
            return NotificationPage(items, None)
        # The first notification always gets its read, so last_seen is a real position.
        last = notifications[last_seen]
        return NotificationPage(items, keys.notification_key(actor_id, last.id))

    def unread_count(self, actor_id: str) -> int:
        """How many unread notifications would be served, at most SUMMARY_CAP."""
        read_up_to = self.preferences(actor_id).read_up_to
        unread: list[Notification] = []
        start_key = None
        while len(unread) < SUMMARY_CAP:
            page = self._store.query(
                partition=("PK", keys.notifications_pk(actor_id)),
                sort_after=read_up_to,
                limit=SUMMARY_CAP - len(unread),
                start_key=start_key,
                newest_first=True,
            )
            unread += [n for n in page.records if isinstance(n, Notification)]
            start_key = page.next_key
            if start_key is None:
                break
        visibility = _Visibility(self._store, actor_id, unread, reads=None)
        return sum(1 for n in unread if visibility.of(n))

    def mark_read(self, actor_id: str, up_to: str) -> None:
        """That notification and every older one are read; the mark never moves back."""
        try:
            self._store.transact(
                [
                    writes.require_notification(actor_id, up_to),
                    writes.mark_read_up_to(actor_id, up_to),
                ]
            )
        except WriteRejected as rejected:
            if "notification" in rejected.failures:
                raise NotFound("Notification not found") from rejected
            # The mark is already past it: nothing to do.


class _Visibility:
    """Whether the caller may see a notification now: a member of its live workspace, or the
    invitee of its pending invitation. Read in batches, in list order, within a budget."""

    def __init__(
        self, store: Store, actor_id: str, notifications: Iterable[Notification], reads: int | None
    ):
        self._store = store
        self._actor_id = actor_id
        self._order = list(dict.fromkeys(key for n in notifications for key in self._keys_of(n)))
        self._found: dict[tuple[str, str], object] = {}
        self._read: set[tuple[str, str]] = set()
        self._reads_left = reads

    def _keys_of(self, notification: Notification) -> list[tuple[str, str]]:
        wanted = [keys.workspace_key(notification.workspace_id)]
        if notification.type == "invitation.received":
            wanted.append(keys.invitation_key(notification.workspace_id, notification.target_id))
        else:
            wanted.append(keys.membership_key(notification.workspace_id, self._actor_id))
        return [(k["PK"], k["SK"]) for k in wanted]

    def of(self, notification: Notification) -> bool | None:
        wanted = self._keys_of(notification)
        missing = [key for key in wanted if key not in self._read]
        if missing:
            if self._reads_left == 0:
                return None
            self._read_for(missing)
        workspace, other = (self._found.get(key) for key in wanted)
        live = isinstance(workspace, Workspace) and not workspace.deleted
        if notification.type == "invitation.received":
            return live and isinstance(other, Invitation)
        return live and isinstance(other, Membership)

    def _read_for(self, missing: list[tuple[str, str]]) -> None:
        """These keys, and as many of the following notifications' as one call takes."""
        start = self._order.index(missing[0])
        following = [k for k in self._order[start:] if k not in self._read and k not in missing]
        batch = [*missing, *following][:_KEYS_PER_READ]
        self._found.update(self._store.get_many([{"PK": pk, "SK": sk} for pk, sk in batch]))
        self._read.update(batch)
        if self._reads_left is not None:
            self._reads_left -= 1
