"""The wired services the endpoints use, kept on the Flask app by create_app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g

from app.api.pagination import CursorCodec
from app.api.positions import PositionCodec
from app.auth.unsubscribe import UnsubscribeTokens
from app.auth.verifier import Principal, TokenVerifier
from app.aws.clients import AwsClients
from app.config import Settings
from app.domain.audit import AuditLog
from app.domain.changes import ChangesFeed
from app.domain.comments import Comments
from app.domain.emails import MemberEmails
from app.domain.invitations import Invitations
from app.domain.labels import Labels
from app.domain.members import Members
from app.domain.notifications import Notifications
from app.domain.tasks import Tasks
from app.domain.workspaces import Workspaces
from app.storage.table import Store

EXTENSION = "teamtasks"


@dataclass(frozen=True)
class Services:
    settings: Settings
    clients: AwsClients
    verifier: TokenVerifier
    cursors: CursorCodec
    store: Store
    workspaces: Workspaces
    members: Members
    tasks: Tasks
    audit: AuditLog
    emails: MemberEmails
    invitations: Invitations
    comments: Comments
    notifications: Notifications
    changes: ChangesFeed
    positions: PositionCodec
    unsubscribe_tokens: UnsubscribeTokens
    labels: Labels


def services() -> Services:
    return current_app.extensions[EXTENSION]


def principal() -> Principal:
    return g.principal
