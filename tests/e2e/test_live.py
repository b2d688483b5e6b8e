"""Live changes: two people in one workspace, each in their own browser. What one changes shows in
the other's list, board, task page and comments without a reload, from the workspace's changes
feed (polled every 3 s while the page is visible, 304 while nothing changed); an edit in
progress is never overwritten; a hidden page does not poll.

How long each change took to appear in the other browser is written to
test-artifacts/live-changes.json and printed (pytest -s): the contract's 5 s is a figure to
report, not a timed assertion (docs/testing.md); the assertions wait as long as any other."""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    add_task,
    choose_status,
    expect_titles,
    sign_in,
    task_links,
    toasts,
)
from tests.support.http import ApiClient
from tests.support.stack import ARTIFACTS

DELAYS: dict[str, list[float]] = {}


@pytest.fixture(scope="module", autouse=True)
def report_delays():
    yield
    if not DELAYS:
        return
    every = [d for delays in DELAYS.values() for d in delays]
    summary = {
        "changes": len(every),
        "median_s": round(statistics.median(every), 2),
        "worst_s": round(max(every), 2),
        "by_change": DELAYS,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "live-changes.json").write_text(json.dumps(summary, indent=2))
    print(f"\nlive changes seen in the other browser: {json.dumps(summary)}")


def seen_after(what: str, started: float, page: Page, condition) -> None:
    """Waits until `condition` (an expect) holds in the other browser; records how long the
    change took to appear there since `started`."""
    condition()
    DELAYS.setdefault(what, []).append(round(time.monotonic() - started, 2))


def set_visibility(page: Page, state: str) -> None:
    """What the Page Visibility API says, as when the user switches tabs (headless pages are
    always visible otherwise)."""
    page.evaluate(
        """state => {
            const property = { value: state, configurable: true };
            Object.defineProperty(document, "visibilityState", property);
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


@pytest.fixture
def pair(app_stack, new_tab):
    owner = app_stack.new_user("owner")
    mate = app_stack.new_user("mate")
    api = ApiClient(app_stack.api, owner.access_token)
    workspace = api.create_workspace("Launch plan")
    api.add_member(workspace["id"], mate, "member")
    return owner, mate, api, workspace


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_other_persons_list_and_board_follow_without_a_reload(new_tab, pair, width):
    owner, mate, _, workspace = pair
    base = f"/workspaces/{workspace['id']}"
    mine = sign_in(new_tab(width), owner.email, owner.password, base)
    theirs = sign_in(new_tab(width), mate.email, mate.password, base)
    expect(theirs.get_by_text("No tasks yet.")).to_be_visible()

    # A task added in one browser shows in the other's list.
    add_task(mine, "Book the venue")
    started = time.monotonic()
    seen_after(
        "task added (list)", started, theirs, lambda: expect_titles(theirs, ["Book the venue"])
    )
    add_task(mine, "Write the brief")
    started = time.monotonic()
    seen_after(
        "task added (list)",
        started,
        theirs,
        lambda: expect_titles(theirs, ["Write the brief", "Book the venue"]),
    )

    # A status change, both ways.
    choose_status(mine, "Book the venue", "In progress")
    expect(toasts(mine)).to_contain_text("“Book the venue” is now In progress.")
    started = time.monotonic()
    status = theirs.get_by_role("button", name=re.compile("^Status of Book the venue: "))
    seen_after(
        "status changed (list)",
        started,
        theirs,
        lambda: expect(status).to_have_accessible_name("Status of Book the venue: In progress"),
    )
    choose_status(theirs, "Write the brief", "Done")
    expect(toasts(theirs)).to_contain_text("“Write the brief” is now Done.")
    started = time.monotonic()
    seen_after(
        "status changed (list)",
        started,
        mine,
        lambda: expect(
            mine.get_by_role("button", name=re.compile("^Status of Write the brief: "))
        ).to_have_accessible_name("Status of Write the brief: Done"),
    )

    # The board follows too: a card moved in one browser moves in the other.
    mine.get_by_role("link", name="Board").click()
    theirs.get_by_role("link", name="Board").click()
    done = theirs.get_by_role("region", name="Done")
    expect(done.get_by_role("link", name="Write the brief")).to_be_visible()
    mine.get_by_role("button", name="Move Book the venue to Done").click()
    expect(toasts(mine)).to_contain_text("Moved “Book the venue” to Done.")
    started = time.monotonic()
    seen_after(
        "card moved (board)",
        started,
        theirs,
        lambda: expect(done.get_by_role("link", name="Book the venue")).to_be_visible(),
    )

    # A delete (sent when its Undo has passed) leaves the other list too.
    theirs.get_by_role("link", name="Tasks", exact=True).click()
    mine.get_by_role("link", name="Tasks", exact=True).click()
    expect(task_links(theirs)).to_have_count(2)
    with mine.expect_request(lambda r: r.method == "DELETE", timeout=15_000):
        mine.get_by_role("button", name="Delete Write the brief").click()
    started = time.monotonic()
    seen_after(
        "task deleted (list)",
        started,
        theirs,
        lambda: expect_titles(theirs, ["Book the venue"]),
    )


def test_an_edit_in_progress_is_kept_when_someone_else_saves(new_tab, pair):
    owner, mate, api, workspace = pair
    task = api.create_task(workspace["id"], title="Write the brief", description="Short.")
    path = f"/workspaces/{workspace['id']}/tasks/{task['id']}"
    mine = sign_in(new_tab(), owner.email, owner.password, path)
    theirs = sign_in(new_tab(), mate.email, mate.password, path)
    expect(theirs.get_by_label("Title")).to_have_value("Write the brief")

    # Nothing being edited: their page shows my save as it happens.
    mine.get_by_label("Description").fill("Two pages.")
    mine.get_by_role("button", name="Save changes").click()
    expect(toasts(mine)).to_contain_text("Saved.")
    started = time.monotonic()
    seen_after(
        "task saved (task page)",
        started,
        theirs,
        lambda: expect(theirs.get_by_label("Description")).to_have_value("Two pages."),
    )

    # They start editing; I save another change: their text stays, and they are told.
    theirs.get_by_label("Title").fill("Write the brief, with numbers")
    mine.get_by_label("Status", exact=True).select_option(label="In progress")
    mine.get_by_role("button", name="Save changes").click()
    expect(toasts(mine)).to_contain_text("Saved.")
    started = time.monotonic()
    notice = theirs.get_by_role("main").get_by_role("status").filter(has_text="newer version")
    seen_after(
        "newer version announced (edit in progress)",
        started,
        theirs,
        lambda: expect(notice).to_be_visible(),
    )
    expect(theirs.get_by_label("Title")).to_have_value("Write the brief, with numbers")
    expect(theirs.get_by_label("Status", exact=True)).to_have_value("todo")
    # Saving merges: my status is kept, their title is added on top.
    theirs.get_by_role("button", name="Save changes").click()
    panel = theirs.get_by_role("region", name="Someone else changed this task")
    expect(panel).to_contain_text("Their changes to Status are kept.")
    panel.get_by_role("button", name="Save my changes on their version").click()
    expect(toasts(theirs)).to_contain_text("Saved.")
    saved = api.get(f"/workspaces/{workspace['id']}/tasks/{task['id']}").json()
    assert (saved["title"], saved["status"], saved["description"]) == (
        "Write the brief, with numbers",
        "in_progress",
        "Two pages.",
    )
    # And my page, with nothing being edited, shows their save.
    expect(mine.get_by_label("Title")).to_have_value("Write the brief, with numbers")


def test_comments_appear_in_the_other_browser(new_tab, pair):
    owner, mate, api, workspace = pair
    task = api.create_task(workspace["id"], title="Write the brief")
    path = f"/workspaces/{workspace['id']}/tasks/{task['id']}"
    mine = sign_in(new_tab(), owner.email, owner.password, path)
    theirs = sign_in(new_tab(), mate.email, mate.password, path)
    thread = theirs.get_by_role("list", name="Comments, oldest first")
    expect(theirs.get_by_text("No comments yet.")).to_be_visible()
    # They are writing a comment of their own meanwhile: it stays in its box.
    theirs.get_by_label("Add a comment").fill("Half a thought")

    mine.get_by_label("Add a comment").fill("Two pages at most.")
    mine.get_by_role("button", name="Comment", exact=True).click()
    expect(toasts(mine)).to_contain_text("Comment added.")
    started = time.monotonic()
    seen_after(
        "comment added (task page)",
        started,
        theirs,
        lambda: expect(thread.get_by_role("listitem")).to_have_count(1),
    )
    expect(thread).to_contain_text("Two pages at most.")
    expect(theirs.get_by_label("Add a comment")).to_have_value("Half a thought")
    # The count on the list row follows too.
    theirs.get_by_role("link", name="Launch plan").click()
    row = theirs.get_by_role("row").filter(has_text="Write the brief")
    expect(row).to_contain_text("1 comment")


def test_a_hidden_page_does_not_poll_and_catches_up_when_shown(tab, pair):
    owner, _, api, workspace = pair
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}")
    # The polls after the first (which takes the feed's place, unconditionally).
    feed: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: (
            feed.append((r.request.headers.get("if-none-match") or "", r.status))
            if "/changes?after=" in r.url
            else None
        ),
    )
    # While nothing changes, every poll is a 304 that names what it has.
    page.wait_for_timeout(7000)
    assert len(feed) >= 2, feed
    assert all(status == 304 and etag for etag, status in feed), feed

    # The tab is hidden (as when the user switches tabs): no polls at all.
    set_visibility(page, "hidden")
    feed.clear()
    api.create_task(workspace["id"], title="Added while hidden")
    page.wait_for_timeout(7000)
    assert feed == []
    expect(page.get_by_text("No tasks yet.")).to_be_visible()

    # Shown again: at once, the change and a fresh list.
    set_visibility(page, "visible")
    expect_titles(page, ["Added while hidden"])
    assert feed[0][1] == 200, feed


def test_a_role_changed_elsewhere_shows_at_once(new_tab, pair):
    """The caller's role is in the workspace's representation but not in its version (ETag):
    the page reads the workspace in full when the feed reports a change to the caller."""
    _, mate, api, workspace = pair
    base = f"/workspaces/{workspace['id']}"
    theirs = sign_in(new_tab(), mate.email, mate.password, base)
    expect(theirs.get_by_text("Your role Member")).to_be_visible()
    expect(theirs.get_by_role("form", name="Add a task")).to_be_visible()
    changed = api.patch(f"{base}/members/{mate.user_id}", json={"role": "viewer"})
    assert changed.status_code == 200, changed.text
    expect(theirs.get_by_text("Your role Viewer")).to_be_visible()
    expect(theirs.get_by_role("form", name="Add a task")).to_have_count(0)
    expect(theirs.get_by_text("as a viewer you cannot change them")).to_be_visible()


def test_a_change_reported_while_mine_is_on_its_way_is_not_lost(tab, pair):
    """A refresh the feed asks for while an optimistic change of mine is still on its way
    waits for it, then happens: it is not dropped (nothing else would bring that change)."""
    owner, mate, api, workspace = pair
    api.create_task(workspace["id"], title="Mine")
    page = sign_in(tab, owner.email, owner.password, f"/workspaces/{workspace['id']}")
    expect_titles(page, ["Mine"])
    held: list = []
    page.route(
        re.compile(r".*/tasks/[^/?]+$"),
        lambda route: held.append(route) if route.request.method == "PATCH" else route.continue_(),
    )
    choose_status(page, "Mine", "Done")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    # Meanwhile someone else adds a task; the feed reports it while my change is held.
    ApiClient(api.base_url, mate.access_token).create_task(workspace["id"], title="Theirs")
    with page.expect_response(lambda r: "/changes?after=" in r.url and r.status == 200):
        pass
    page.wait_for_timeout(1000)
    expect_titles(page, ["Mine"])
    # My change fails (nothing changes on the server, so the feed has nothing more to say).
    held[0].fulfill(
        status=503,
        headers={"Retry-After": "1"},
        content_type="application/problem+json",
        body='{"title": "Service Unavailable", "status": 503, "detail": "Try again."}',
    )
    expect(toasts(page).get_by_role("alert")).to_contain_text("The status change was not saved")
    expect_titles(page, ["Theirs", "Mine"])
