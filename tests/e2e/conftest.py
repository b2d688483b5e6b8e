"""Browser tests: Playwright drives Debian's Chromium against the local stack (moto, the
provisioned resources, gunicorn) serving the built app from frontend/dist."""

from __future__ import annotations

import os
import re
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

    def __init__(self, context: BrowserContext, base_url: str):
        self.context = context
        self.page: Page = context.new_page()
        self.base_url = base_url
        self.console: list[str] = []
        self.page.on("console", self._record)
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _record(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def goto(self, path: str = "/") -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if re.search(r"Content.Security.Policy", line, re.I)]

    def script_errors(self) -> list[str]:
        return [line for line in self.console if line.startswith("pageerror")]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def new_tab(browser: Browser, app_stack: RunningStack) -> Iterator:
    tabs: list[Tab] = []

    def make() -> Tab:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        tab = Tab(context, app_stack.base_url)
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


def sign_in(tab: Tab, email: str, password: str) -> Page:
    page = tab.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Workspaces")).to_be_visible()
    return page


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
    expect(page.get_by_role("heading", level=1, name="Workspaces")).to_be_visible()
    return page
