"""When a member's email is checked against the user pool (app/domain/emails.py): at their
first request to a process, then at most every five minutes; the refresh itself is tested over
HTTP (tests/integration/test_account_takeover.py) and for its DynamoDB calls
(tests/integration/test_round_trips.py)."""

from __future__ import annotations

from app.domain.emails import REFRESH_INTERVAL_S, MemberEmails


def test_a_member_is_checked_at_their_first_request_then_every_five_minutes():
    now = [1000.0]
    emails = MemberEmails(store=None, directory=None, clock=lambda: now[0])
    assert emails.due("ana") is True
    assert emails.due("ana") is False
    assert emails.due("ben") is True  # each member on their own
    now[0] += REFRESH_INTERVAL_S - 1
    assert emails.due("ana") is False
    now[0] += 1
    assert emails.due("ana") is True
    assert emails.due("ana") is False
