"""The notifier's emails: what they say, and their MIME form (multipart/alternative: a text part
and an HTML part, UTF-8).

Everything users typed (workspace names, task titles, comment bodies, email addresses) is
escaped in the HTML part (html.escape, quotes included) and kept out of every header but the
Subject, where it is one line (control characters and line breaks replaced) encoded by the
email package (RFC 2047); the package refuses a header that would hold a line break, so nothing
typed can add a header. Links are built here only, from APP_BASE_URL and ids or tokens,
URL-encoded: nothing a user typed becomes a link.

Invitation emails carry no secret: their link says only which address to sign up or sign in
with. Notification and digest emails carry an unsubscribe link that works without signing in,
and the RFC 8058 headers (List-Unsubscribe with the API's one-click URL,
List-Unsubscribe-Post: List-Unsubscribe=One-Click).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from urllib.parse import quote, urlencode

PRODUCT = "Team Tasks"
EXCERPT_CHARS = 500
DIGEST_ITEMS = 50
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    # Headers besides From, To and Subject (List-Unsubscribe, ...).
    headers: dict[str, str] = field(default_factory=dict)
    # SES message tags: which kind of email, and for whom (the complaint handling reads them).
    tags: dict[str, str] = field(default_factory=dict)

    def mime(self, sender: str) -> bytes:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Auto-Submitted"] = "auto-generated"
        for name, value in self.headers.items():
            message[name] = value
        message.set_content(self.text, charset="utf-8")
        message.add_alternative(self.html, subtype="html", charset="utf-8")
        return message.as_bytes()


def one_line(text: str, limit: int = 120) -> str:
    """User text made fit for a subject line: no control characters or line breaks, at most
    `limit` characters (an ellipsis says it was cut)."""
    flat = _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quoted(text: str) -> str:
    return f"“{text}”"


class Links:
    """Every URL an email holds, from the app's base URL."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")

    def invitations(self, email: str) -> str:
        return f"{self.base}/invitations?{urlencode({'email': email})}"

    def task(self, workspace_id: str, task_id: str) -> str:
        return f"{self.base}/workspaces/{quote(workspace_id)}/tasks/{quote(task_id)}"

    def workspace(self, workspace_id: str) -> str:
        return f"{self.base}/workspaces/{quote(workspace_id)}"

    def notifications(self) -> str:
        return f"{self.base}/notifications"

    def unsubscribe_page(self, token: str) -> str:
        return f"{self.base}/unsubscribe?{urlencode({'token': token})}"

    def one_click(self, token: str) -> str:
        return f"{self.base}/api/v1/unsubscribe?{urlencode({'token': token})}"


def _page(title: str, paragraphs: list[str], action: tuple[str, str] | None, foot: str) -> str:
    """A small, plain HTML email (inline styles only: mail clients drop style sheets). Every
    argument is HTML already: callers escape what users typed."""
    button = ""
    if action is not None:
        label, url = action
        button = (
            f'<p><a href="{html.escape(url, quote=True)}" style="display:inline-block;'
            "padding:10px 16px;background:#1d4ed8;color:#ffffff;text-decoration:none;"
            f'border-radius:6px">{label}</a></p>'
        )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>"
        '<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;'
        'color:#111827;line-height:1.5;max-width:560px;margin:0 auto;padding:16px">'
        f"{body}{button}"
        f'<hr style="border:none;border-top:1px solid #e5e7eb"><p style="font-size:12px;'
        f'color:#6b7280">{foot}</p></body></html>'
    )


def invitation(
    links: Links,
    *,
    to: str,
    inviter: str,
    workspace_name: str,
    role: str,
    expires_on: str,
    invitation_id: str,
) -> Email:
    """To an address, with or without an account: the link says which address to use, and
    nothing else (no token)."""
    name = one_line(workspace_name)
    url = links.invitations(to)
    subject = f"{one_line(inviter)} invited you to {name} on {PRODUCT}"
    text = (
        f"{inviter} invited you to join the workspace {_quoted(workspace_name)} on {PRODUCT} "
        f"as {role}.\n\n"
        f"Open {url}\n"
        f"to accept or decline. Sign up with this address ({to}) if you have no account yet, "
        "or sign in with it.\n\n"
        f"The invitation expires on {expires_on}. If you did not expect it, ignore this email.\n"
    )
    page = _page(
        html.escape(subject),
        [
            f"<strong>{html.escape(inviter)}</strong> invited you to join the workspace "
            f"<strong>{html.escape(_quoted(workspace_name))}</strong> on {PRODUCT} as "
            f"{html.escape(role)}.",
            f"Sign up with this address ({html.escape(to)}) if you have no account yet, or sign "
            "in with it, to accept or decline.",
        ],
        ("Open the invitation", url),
        f"The invitation expires on {html.escape(expires_on)}. If you did not expect it, "
        "ignore this email.",
    )
    return Email(
        to=to,
        subject=subject,
        text=text,
        html=page,
        tags={"kind": "invitation", "invitation": invitation_id},
    )


@dataclass(frozen=True)
class Notice:
    """One notification as an email shows it."""

    type: str
    actor: str
    workspace_id: str
    workspace_name: str
    target_id: str
    target_label: str
    detail: str = ""

    def headline(self) -> str:
        label = _quoted(one_line(self.target_label))
        actor = one_line(self.actor)
        if self.type == "task.assigned":
            return f"{actor} assigned you {label}"
        if self.type == "comment.created":
            return f"{actor} commented on {label}"
        if self.type == "comment.mentioned":
            return f"{actor} mentioned you on {label}"
        if self.type == "member.role_changed":
            return f"{actor} made you {one_line(self.detail)} in {label}"
        return f"{actor}: {label}"

    def link(self, links: Links) -> str:
        if self.type == "member.role_changed":
            return links.workspace(self.workspace_id)
        return links.task(self.workspace_id, self.target_id)


def _unsubscribe(links: Links, token: str) -> tuple[dict[str, str], str, str]:
    one_click = links.one_click(token)
    page = links.unsubscribe_page(token)
    headers = {
        "List-Unsubscribe": f"<{one_click}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    text = f"Stop these emails: {page}\n"
    foot = (
        f'<a href="{html.escape(page, quote=True)}" style="color:#6b7280">Stop these emails</a>'
        " (no sign-in needed)."
    )
    return headers, text, foot


def notification(
    links: Links, *, to: str, user_id: str, notice: Notice, unsubscribe_token: str
) -> Email:
    headers, unsubscribe_text, unsubscribe_foot = _unsubscribe(links, unsubscribe_token)
    headline = notice.headline()
    subject = f"{headline} · {one_line(notice.workspace_name, 60)}"
    url = notice.link(links)
    quoted = excerpt(notice.detail) if notice.type.startswith("comment.") else ""
    text = f"{headline} in {notice.workspace_name}.\n\n"
    paragraphs = [
        f"{html.escape(headline)} in <strong>{html.escape(notice.workspace_name)}</strong>."
    ]
    if quoted:
        text += "".join(f"> {line}\n" for line in quoted.splitlines()) + "\n"
        paragraphs.append(
            '<blockquote style="margin:0;padding:8px 12px;border-left:3px solid #e5e7eb;'
            'white-space:pre-wrap">' + html.escape(quoted) + "</blockquote>"
        )
    text += f"Open {url}\n\n-- \n{unsubscribe_text}"
    page = _page(html.escape(subject), paragraphs, ("Open in Team Tasks", url), unsubscribe_foot)
    return Email(
        to=to,
        subject=subject,
        text=text,
        html=page,
        headers=headers,
        tags={"kind": "notification", "user": user_id},
    )


def digest(
    links: Links, *, to: str, user_id: str, notices: list[Notice], more: int, unsubscribe_token: str
) -> Email:
    headers, unsubscribe_text, unsubscribe_foot = _unsubscribe(links, unsubscribe_token)
    count = len(notices) + more
    subject = f"Your {PRODUCT} digest: {count} unread notification{'s' if count != 1 else ''}"
    lines, items = [], []
    for notice in notices:
        headline = f"{notice.headline()} in {notice.workspace_name}"
        url = notice.link(links)
        lines.append(f"- {headline}\n  {url}")
        items.append(
            f'<li><a href="{html.escape(url, quote=True)}">{html.escape(headline)}</a></li>'
        )
    rest = f"\n...and {more} more: {links.notifications()}\n" if more else "\n"
    text = (
        "What happened since your last digest, still unread:\n\n"
        + "\n".join(lines)
        + rest
        + f"\n-- \n{unsubscribe_text}"
    )
    paragraphs = [
        "What happened since your last digest, still unread:",
        "<ul>" + "".join(items) + "</ul>",
    ]
    if more:
        paragraphs.append(f"…and {more} more.")
    page = _page(
        html.escape(subject),
        paragraphs,
        ("All notifications", links.notifications()),
        unsubscribe_foot,
    )
    return Email(
        to=to,
        subject=subject,
        text=text,
        html=page,
        headers=headers,
        tags={"kind": "digest", "user": user_id},
    )


def address_of(sender: str) -> str:
    """The bare address of a From value such as `Team Tasks <notifications@example.com>`."""
    return parseaddr(sender)[1]


def sender(name: str, address: str) -> str:
    return formataddr((name, address))
