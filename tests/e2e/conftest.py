"""Browser tests: Playwright drives Debian's Chromium against the local stack (moto, the
provisioned resources, gunicorn) serving the built app from frontend/dist."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.support.stack import ARTIFACTS, RunningStack, running_stack

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
SCREENSHOTS = ARTIFACTS / "screenshots"
# axe-core from the frontend's own lock file (a dev dependency): evaluated in the page over the
# DevTools protocol, which the page's CSP does not govern, so no policy is loosened for it.
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# The widths the issue names: a laptop, a phone, and WCAG's 320 CSS px reflow; and a tablet.
DESKTOP, PHONE, REFLOW, TABLET = 1440, 390, 320, 820
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The emulator accepts any confirmation or TOTP code; the UI cannot tell.
ANY_CODE = "123456"

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def app_stack() -> Iterator[RunningStack]:
    if not (DIST / "index.html").is_file():
        pytest.fail("frontend/dist is missing: run `make frontend-build` first")
    # Screenshots are of this run only.
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    # The emulator can take longer than the service's 0.6 s read timeout on a busy machine, and
    # a retried TransactWriteItems whose first attempt succeeded then fails its conditions (a 500:
    # reported to the API's owner). The browser tests are about the browser: give the emulator time.
    with running_stack(frontend_dir=DIST, extra_environment={"AWS_READ_TIMEOUT": "5"}) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROME_PATH)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Tab:
    """A browser tab with its own session (a fresh context: its own sessionStorage) that
    records what the console said, so a test can assert that nothing broke the CSP."""

    def __init__(self, context: BrowserContext, base_url: str, width: int, scheme: str):
        self.context = context
        self.page: Page = context.new_page()
        self.base_url = base_url
        self.width = width
        self.scheme = scheme
        self.console: list[str] = []
        self.page.on("console", self._record)
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _record(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def goto(self, path: str = "/") -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def follow(self, path: str) -> Page:
        """Opens `path` as a click on a link to it would: in the app, without reloading it."""
        self.page.evaluate(
            "path => { history.pushState(null, '', path);"
            " dispatchEvent(new Event('teamtasks:navigate')); }",
            path,
        )
        return self.page

    def theme(self, scheme: str) -> None:
        """The system's colour scheme (the app follows it unless the user chose one)."""
        self.scheme = scheme
        self.page.emulate_media(color_scheme=scheme)

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if re.search(r"Content.Security.Policy", line, re.I)]

    def script_errors(self) -> list[str]:
        return [line for line in self.console if line.startswith("pageerror")]

    def screenshot(self, name: str) -> Path:
        """test-artifacts/screenshots/<name>-<width>-<light|dark>.png, the whole page."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.width}-{self.scheme}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def settled(self) -> Page:
        """Waits until nothing on the page is loading."""
        expect(self.page.locator(".loading-sign, p.loading")).to_have_count(0)
        return self.page

    def axe(self, what: str) -> None:
        """axe-core's rules (WCAG 2.2 A and AA, and its best practices) on what is on screen."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(AXE.read_text())
        violations = self.page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
                .map(v => `${v.id} (${v.impact}): ${v.help}\\n    ` +
                          v.nodes.slice(0, 5).map(n => n.target.join(" ")).join("\\n    "))"""
        )
        assert not violations, f"axe on {what} at {self.width} px, {self.scheme}:\n" + "\n".join(
            violations
        )

    def sideways_overflow(self) -> int:
        """How far the page scrolls sideways (0: not at all)."""
        return self.page.evaluate(
            "() => Math.max(0, document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth)"
        )

    def resize(self, width: int) -> None:
        self.width = width
        self.page.set_viewport_size({"width": width, "height": 900})


@pytest.fixture
def new_tab(browser: Browser, app_stack: RunningStack) -> Iterator:
    tabs: list[Tab] = []

    def make(width: int = DESKTOP, scheme: str = "light") -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            locale="en-GB",
            color_scheme=scheme,
            has_touch=width < 600,
        )
        tab = Tab(context, app_stack.base_url, width, scheme)
        tabs.append(tab)
        return tab

    yield make
    problems = []
    for tab in tabs:
        problems += tab.csp_violations() + tab.script_errors()
        tab.context.close()
    assert not problems, "the app broke its CSP or threw:\n" + "\n".join(problems)


@pytest.fixture
def tab(new_tab) -> Tab:
    return new_tab()


def sign_in(tab: Tab, email: str, password: str, path: str | None = None) -> Page:
    """Signs in on the sign-in page; lands on My tasks, or on `path` (a deep link) if given."""
    page = tab.goto(path or "/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if path is None:
        expect(page.get_by_role("heading", level=1, name="My tasks")).to_be_visible()
    else:
        expect(page.get_by_role("heading", level=1, name="Sign in")).to_have_count(0)
    return page


def wait_for(page: Page, condition, timeout_ms: int = 10_000) -> None:
    """Lets the page run until `condition()` holds (route handlers run meanwhile)."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("timed out")


def refuse_changes(page: Page, detail: str) -> None:
    """The service refuses every task change (PATCH) with a 503, as it does when DynamoDB is down
    (which the emulator cannot be made to do for one request): reads still work."""
    body = json.dumps({"title": "Service Unavailable", "status": 503, "detail": detail})
    page.route(
        re.compile(r".*/tasks/.*"),
        lambda route: (
            route.fulfill(
                status=503,
                headers={"Retry-After": "1"},
                content_type="application/problem+json",
                body=body,
            )
            if route.request.method == "PATCH"
            else route.continue_()
        ),
    )


def toasts(page: Page):
    """The notifications region (successes, Undo, errors that belong to no form)."""
    return page.get_by_role("region", name="Notifications")


def sign_up(tab: Tab, email: str, password: str) -> Page:
    """Create an account through the UI, confirm it with the emailed code, and sign in."""
    page = tab.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email")
    page.get_by_label("Confirmation code").fill(ANY_CODE)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Your email is confirmed. Sign in.")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="My tasks")).to_be_visible()
    return page


# -- tasks -------------------------------------------------------------------------------------


def add_task(
    page: Page,
    title: str,
    *,
    status: str | None = None,
    due: str | None = None,
    assignee: str | None = None,
    description: str | None = None,
) -> None:
    """Quick add: the title, and the other fields behind "More fields" when given."""
    form = page.get_by_role("form", name="Add a task")
    form.get_by_label("New task").fill(title)
    if status or due or assignee or description:
        more = form.get_by_role("button", name="More fields")
        if more.count():
            more.click()
        if description:
            form.get_by_label("Description").fill(description)
        if status:
            form.get_by_label("Status").select_option(label=status)
        if due:
            form.get_by_label("Due date").fill(due)
        if assignee:
            form.get_by_label("Assignee").select_option(label=assignee)
    form.get_by_role("button", name="Add task").click()
    # Quick adds in a row share one toast: "Added 2 tasks, the last “…”."
    added = re.escape(f"“{title}”.")
    expect(toasts(page)).to_contain_text(
        re.compile(f"Added ({added}|\\d+ tasks, the last {added})")
    )


def task_links(page: Page, table: str = "Tasks"):
    return page.get_by_role("table", name=table).get_by_role("link")


def expect_titles(page: Page, titles: list[str], table: str = "Tasks") -> None:
    """The task list shows exactly these tasks, in this order (waits for it to settle)."""
    expect(task_links(page, table)).to_have_text(titles)


def status_button(page: Page, title: str):
    # Playwright's selector engine needs "/" escaped inside a regular expression.
    name = re.escape(title).replace("/", "\\/")
    return page.get_by_role("button", name=re.compile(f"^Status of {name}: "))


def choose_status(page: Page, title: str, status: str) -> None:
    status_button(page, title).click()
    page.get_by_role("menuitemradio", name=status).click()


def set_filter(page: Page, legend: str, chosen: list[str]) -> None:
    """A set filter of a task list (Status, Priority): ticks exactly `chosen` ([] for any)."""
    filters = page.get_by_role("search", name="Filter tasks")
    filters.get_by_role("button", name=re.compile(f"^{legend} ")).click()
    group = filters.get_by_role("group", name=legend)
    for box in group.get_by_role("checkbox").all():
        name = box.evaluate("b => b.parentElement.textContent.trim()")
        box.set_checked(name in chosen)
    page.keyboard.press("Escape")
    expect(group).to_have_count(0)


def filter_summary(page: Page, legend: str):
    """The button of a set filter, which reads what is chosen ("Any status", "To do, Done")."""
    return page.get_by_role("search", name="Filter tasks").get_by_role(
        "button", name=re.compile(f"^{legend} ")
    )
