"""The emails the local stack sent, as a test reads them: the notifier writes each one it sends
through the emulator's SES to the stack's outbox folder too (OUTBOX_DIR, one .eml file each,
named by the time it was sent). Parsed: subject, text and HTML parts, links, headers."""

from __future__ import annotations

import email
import email.policy
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

_URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True)
class SentEmail:
    path: Path
    to: str
    sender: str
    subject: str
    text: str
    html: str
    # Every href of the HTML part, in order.
    links: list[str]
    # Every URL written out in the text part, in order.
    text_links: list[str]
    headers: dict[str, str]
    # When the notifier wrote it (epoch seconds, from the file's name).
    sent_at: float


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.found += [value for name, value in attrs if name == "href" and value]


def read(path: Path) -> SentEmail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    text_content = text.get_content() if text is not None else ""
    html_content = html.get_content() if html is not None else ""
    parser = _Links()
    parser.feed(html_content)
    return SentEmail(
        path=path,
        to=str(message["To"]),
        sender=str(message["From"]),
        subject=str(message["Subject"]),
        text=text_content,
        html=html_content,
        links=parser.found,
        text_links=_URL.findall(text_content),
        headers={name: str(value) for name, value in message.items()},
        sent_at=int(path.name.split("-", 1)[0]) / 1e9,
    )


def emails_to(outbox: Path, address: str) -> list[SentEmail]:
    """Every email sent to `address` so far, oldest first."""
    if not outbox.is_dir():
        return []
    sent = [read(p) for p in sorted(outbox.glob("*.eml"))]
    return [e for e in sent if e.to.lower() == address.lower()]


def wait_for_emails(
    outbox: Path, address: str, count: int = 1, timeout_s: float = 15
) -> list[SentEmail]:
    """The first `count` emails to `address`, waiting for them to be sent (the notifier runs
    on the table's stream, within seconds of the change)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = emails_to(outbox, address)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{len(found)} of {count} emails to {address} after {timeout_s} s: "
                + ", ".join(e.subject for e in found)
            )
        time.sleep(0.1)
