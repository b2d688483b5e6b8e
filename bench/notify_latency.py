"""How long after a change its email is sent and its notification written, on the local stack:
the notifier on the emulator's stream (devstack/stream_poller.py), as `make dev` runs it.

Twenty times each, one after the other: an invitation to a new address (from the API's 201 to
the email written to the outbox, whose file name is the time it was sent), and an assignment to
a member (from the API's 201 to the notification served by GET /me/notifications, polled every
50 ms). Prints the median and the worst of each; docs/stream-processing.md has the figures and
what bounds them in AWS.

    python -m bench.notify_latency [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from tests.support.http import ApiClient
from tests.support.stack import running_emulator, running_stack

POLL_S = 0.05
TIMEOUT_S = 30


def _wait(found, timeout_s: float = TIMEOUT_S) -> float:
    """Polls `found()` until it returns a time (epoch seconds)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        at = found()
        if at is not None:
            return at
        time.sleep(POLL_S)
    raise TimeoutError("nothing arrived")


def invitation_email_delays(stack, owner: ApiClient, workspace_id: str, runs: int) -> list[float]:
    delays = []
    for run in range(runs):
        address = f"latency-{run}-{time.time_ns()}@example.com"
        owner.invite(workspace_id, address, "viewer")
        answered = time.time()

        def sent(address=address):
            emails = stack.emails_to(address)
            return emails[0].sent_at if emails else None

        delays.append(_wait(sent) - answered)
    return delays


def notification_delays(
    owner: ApiClient, member: ApiClient, workspace_id: str, member_id: str, runs: int
) -> list[float]:
    delays = []
    for run in range(runs):
        task = owner.create_task(workspace_id, title=f"Latency {run}", assignee_id=member_id)
        answered = time.time()

        def written(task_id=task["id"]):
            items = member.get("/me/notifications?limit=5").json()["items"]
            return time.time() if any(n["target"]["id"] == task_id for n in items) else None

        delays.append(_wait(written) - answered)
    return delays


def summary(name: str, delays: list[float]) -> str:
    return (
        f"  {name:38s} median {statistics.median(delays):5.2f} s   worst {max(delays):5.2f} s"
        f"   ({len(delays)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    with running_emulator(), running_stack() as stack:
        owner_user, member_user = stack.new_user("owner"), stack.new_user("member")
        owner = ApiClient(stack.api, owner_user.access_token)
        member = ApiClient(stack.api, member_user.access_token)
        workspace_id = owner.create_workspace("Latency")["id"]
        owner.add_member(workspace_id, member_user, "member")
        member.request("PUT", "/me/preferences", json={"email_notifications": "off"})
        emails = invitation_email_delays(stack, owner, workspace_id, runs)
        notifications = notification_delays(owner, member, workspace_id, member_user.user_id, runs)
    print("From the API's answer to the notifier's work, on the local stack (moto emulator):")
    print(summary("invitation email sent", emails))
    print(summary("notification written and served", notifications))


if __name__ == "__main__":
    main()
