"""The team task service. `create_app` wires everything together and does nothing else."""

from __future__ import annotations

from flask import Flask

from app.api import init_api
from app.api.context import Services
from app.api.pagination import CursorCodec
from app.api.positions import PositionCodec
from app.auth.unsubscribe import UnsubscribeTokens
from app.auth.verifier import TokenVerifier
from app.aws.clients import AwsClients
from app.aws.directory import CognitoDirectory
from app.aws.signing_keys import SigningKeys
from app.config import Settings
from app.domain.audit import AuditLog, AuditRecorder
from app.domain.changes import ChangesFeed
from app.domain.comments import Comments
from app.domain.emails import MemberEmails
from app.domain.invitations import Invitations
from app.domain.labels import Labels
from app.domain.limits import Limits
from app.domain.members import Members
from app.domain.notifications import Notifications
from app.domain.tasks import Tasks
from app.domain.workspaces import Workspaces
from app.observability.logging import configure_logging
from app.observability.requests import register_request_logging
from app.observability.tracing import configure_tracing
from app.storage.table import Store


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    configure_logging(
        settings.log_level, service=settings.service_name, environment=settings.environment
    )
    app = Flask(__name__)
    clients = AwsClients(settings)
    store = Store(clients, settings.tasks_table_name)
    directory = CognitoDirectory(clients, settings.user_pool_id)
    recorder = AuditRecorder(settings.audit_retention_days)
    limits = Limits(
        settings.max_owned_workspaces,
        settings.max_members_per_workspace,
        settings.max_tasks_per_workspace,
        pending_invitations=settings.max_pending_invitations,
        invitations_per_day=settings.max_invitations_per_day,
        comments_per_task=settings.max_comments_per_task,
        labels_per_workspace=settings.max_labels_per_workspace,
    )
    cursor_keys = SigningKeys(clients, settings.cursor_secret_arn)
    services = Services(
        settings=settings,
        clients=clients,
        verifier=TokenVerifier(settings),
        cursors=CursorCodec(cursor_keys),
        store=store,
        workspaces=Workspaces(store, directory, recorder, limits),
        members=Members(store, recorder, limits),
        tasks=Tasks(store, recorder, limits),
        labels=Labels(store, recorder, limits),
        audit=AuditLog(store),
        emails=MemberEmails(store, directory),
        invitations=Invitations(store, directory, recorder, limits),
        comments=Comments(store, recorder, limits),
        notifications=Notifications(store),
        changes=ChangesFeed(store),
        positions=PositionCodec(cursor_keys),
        unsubscribe_tokens=UnsubscribeTokens(SigningKeys(clients, settings.unsubscribe_secret_arn)),
    )
    init_api(app, services)
    register_request_logging(app, service=settings.service_name, environment=settings.environment)
    configure_tracing(
        app,
        service=settings.service_name,
        environment=settings.environment,
        otlp_endpoint=settings.otlp_endpoint,
    )
    return app
