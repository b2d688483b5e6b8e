"""commit_in_order (app/domain/commits.py): a change that lost the race to a later event is
sent again with an id after the winner's; one that keeps losing is a 409, never a wrong 404."""

from __future__ import annotations

import pytest

from app.domain.clock import new_id
from app.domain.commits import commit_in_order
from app.domain.errors import Conflict
from app.storage.records import Workspace
from app.storage.table import WriteRejected


class RacingStore:
    """Rejects the first `losses` transactions as if a later event had just committed."""

    def __init__(self, losses: int):
        self.losses = losses
        self.sent: list[str] = []

    def transact(self, parts):
        (event_id,) = parts
        self.sent.append(event_id)
        if len(self.sent) <= self.losses:
            winner = new_id()
            workspace = Workspace("w", "n", 1, "t", "t", 1, last_event=winner)
            raise WriteRejected({"workspace": workspace})


def test_a_lost_race_is_sent_again_after_the_winner():
    store = RacingStore(losses=3)
    committed = commit_in_order(store, lambda event_id: [event_id], caller=None)
    assert len(store.sent) == 4
    assert store.sent == sorted(store.sent)
    assert committed == store.sent[-1]


def test_a_change_that_keeps_losing_is_a_conflict():
    store = RacingStore(losses=100)
    with pytest.raises(Conflict):
        commit_in_order(store, lambda event_id: [event_id], caller=None)


def test_other_refusals_pass_through_at_once():
    class Refusing:
        calls = 0

        def transact(self, parts):
            Refusing.calls += 1
            raise WriteRejected({"caller": None})

    with pytest.raises(WriteRejected):
        commit_in_order(Refusing(), lambda event_id: [event_id], caller=None)
    assert Refusing.calls == 1
