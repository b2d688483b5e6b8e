"""commit_in_order (app/domain/commits.py): a change that lost the race to a later event is
sent again with an id after the winner's, after a short random pause, for as long as the
request's deadline allows; one that keeps losing is a 409, never a wrong 404."""

from __future__ import annotations

import pytest

from app.aws import deadline
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
    assert len(store.sent) == 10  # outside a request, ten tries


@pytest.fixture
def in_a_request():
    deadline.start()
    yield
    deadline.clear()


def test_within_a_request_a_change_is_tried_again_until_its_deadline(in_a_request):
    """Issue 20, item 10: 40 creators at once in one workspace lost some changes ten times in a
    row (the old cap) and got 409; the deadline, not a count, ends the tries now."""
    store = RacingStore(losses=25)
    committed = commit_in_order(store, lambda event_id: [event_id], caller=None)
    assert len(store.sent) == 26
    assert store.sent == sorted(store.sent) and committed == store.sent[-1]


def test_a_change_that_loses_until_its_deadline_is_a_conflict_in_time(in_a_request):
    store = RacingStore(losses=100_000)
    with pytest.raises(Conflict):
        commit_in_order(store, lambda event_id: [event_id], caller=None)
    assert deadline.remaining() >= 0  # it gave up before its deadline passed
    assert len(store.sent) > 10


def test_other_refusals_pass_through_at_once():
    class Refusing:
        calls = 0

        def transact(self, parts):
            Refusing.calls += 1
            raise WriteRejected({"caller": None})

    with pytest.raises(WriteRejected):
        commit_in_order(Refusing(), lambda event_id: [event_id], caller=None)
    assert Refusing.calls == 1
