"""The notifier (lambdas/notifier) against moto in-process, with the records the table's stream
really holds after the service's own domain code made the changes, delivered as its event
source mapping delivers them (the template's filter and batch): what it writes, what it sends,
replays, partial failures, SES's refusals, the digest running out of time, SES's events; and
the pieces it must agree on with the service (keys, roles, unsubscribe tokens)."""

from __future__ import annotations

import importlib
import json
import secrets
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from app.auth import unsubscribe
from app.aws.clients import AwsClients
from app.aws.directory import CognitoDirectory
from app.config import Settings
from app.domain import roles
from app.domain.audit import AuditRecorder
from app.domain.comments import Comments
from app.domain.invitations import Invitations
from app.domain.limits import Limits
from app.domain.members import Members
from app.domain.tasks import Tasks
from app.domain.workspaces import Workspaces
from app.storage import keys
from app.storage.table import Store
from devstack import users
from devstack.templates import ROOT
from tests.support.mail import emails_to
from tests.unit.test_stream_purge import REGION, Function, function, local_stack, partition

PASSWORD = "Unit-Passw0rd!"


@pytest.fixture(scope="module")
def local():
    with local_stack() as stack:
        yield stack


@pytest.fixture
def service(local):
    """The service's domain code, with the user pool of the local stack as its directory (the
    notifier reads the same pool for recipients' emails)."""
    settings_ = Settings.from_env({**local.provisioned.service_environment, "AWS_REGION": REGION})
    clients = AwsClients(settings_)
    store = Store(clients, settings_.tasks_table_name)
    directory = CognitoDirectory(clients, settings_.user_pool_id)
    audit = AuditRecorder(retention_days=30)
    limits = Limits(100, 500, 10_000)
    return SimpleNamespace(
        table=settings_.tasks_table_name,
        pool=settings_.user_pool_id,
        dynamodb=local.session.client("dynamodb"),
        cognito=local.session.client("cognito-idp"),
        workspaces=Workspaces(store, directory, audit, limits),
        members=Members(store, audit, limits),
        invitations=Invitations(store, directory, audit, limits),
        tasks=Tasks(store, audit, limits),
        comments=Comments(store, audit, limits),
    )


def person(service, name: str) -> SimpleNamespace:
    email = f"{name}-{secrets.token_hex(3)}@example.com"
    sub = users.ensure_confirmed_user(service.cognito, service.pool, email, PASSWORD)
    return SimpleNamespace(id=sub, email=email)


def join(service, inviter, workspace_id: str, who, role: str) -> None:
    invitation = service.invitations.create(inviter.id, workspace_id, email=who.email, role=role)
    service.invitations.accept(who.id, invitation.id)


@pytest.fixture
def notifier(local, tmp_path) -> Function:
    found = function(local, "NotifierEventSourceMapping")
    found.runtime = found.module.from_environment(
        {**found.mapping.environment, "AWS_REGION": REGION, "OUTBOX_DIR": str(tmp_path)},
        local.session,
    )
    return found


@pytest.fixture
def team(service, notifier):
    """An owner, a member and a viewer in a workspace; the stream read from after it."""
    owner, ann, bob = person(service, "owner"), person(service, "ann"), person(service, "bob")
    workspace_id = service.workspaces.create(owner.id, "Plans").workspace.id
    join(service, owner, workspace_id, ann, "member")
    join(service, owner, workspace_id, bob, "viewer")
    notifier.read_from_now_on()
    return SimpleNamespace(workspace_id=workspace_id, owner=owner, ann=ann, bob=bob)


def outbox(notifier: Function) -> Path:
    return Path(notifier.runtime.settings.outbox_dir)


def notifications_of(service, user_id: str) -> list[dict[str, Any]]:
    return partition(service, keys.notifications_pk(user_id))


# -- what the notifier must agree on with the service --------------------------------------


def test_the_key_layout_and_the_invitation_rights_are_the_services(notifier):
    module = notifier.module
    assert keys.workspace_key("W") == {
        "PK": module.WORKSPACE_PREFIX + "W",
        "SK": module.WORKSPACE_SK,
    }
    assert keys.membership_key("W", "u") == {"PK": "WS#W", "SK": module.MEMBER_PREFIX + "u"}
    assert keys.task_key("W", "T")["SK"] == module.TASK_PREFIX + "T"
    assert keys.invitation_key("W", "I")["SK"] == module.INVITE_PREFIX + "I"
    assert keys.invited_key("W", "a@b")["SK"] == module.INVITED_PREFIX + "a@b"
    assert keys.invitee_pk("a@b") == module.INVITEE_PREFIX + "a@b"
    assert keys.comment_prefix("T") == f"{module.COMMENT_PREFIX}T#"
    assert keys.notifications_pk("u") == module.NOTIFY_PREFIX + "u"
    assert keys.preferences_key("u") == {
        "PK": module.USER_PREFIX + "u",
        "SK": module.PREFERENCES_SK,
    }
    for inviter in [*roles.Role, None]:
        for role in roles.Role:
            allowed = role in notifier.module.MAY_INVITE.get(inviter or "", frozenset())
            assert allowed == roles.may_invite(inviter, role)


def lambda_module(name: str) -> Any:
    """A module of the notifier's code folder, imported as the Lambda runtime does."""
    folder = str(ROOT / "lambdas" / "notifier")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


@settings(max_examples=50)
@given(secret=st.binary(min_size=1, max_size=80), user_id=st.text(min_size=1, max_size=40))
def test_its_unsubscribe_tokens_are_the_ones_the_service_verifies(secret, user_id):
    tokens = lambda_module("tokens")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=tokens.KEY_INFO).derive(
        secret
    )
    assert tokens.hkdf_sha256(secret, tokens.KEY_INFO) == derived
    signed = tokens.sign(secret, user_id)
    assert signed == unsubscribe.sign(secret, user_id)
    assert unsubscribe.user_of(signed, (secret,)) == user_id
    assert unsubscribe.user_of(signed, (secret + b"x",)) is None


# -- the filter ------------------------------------------------------------------------------


def test_the_mapping_lets_through_only_the_audit_events_that_notify_or_tidy(
    service, notifier, team
):
    task = service.tasks.create(team.owner.id, team.workspace_id, {"title": "t"})
    service.tasks.update(
        team.owner.id, team.workspace_id, task.id, {"assignee_id": team.ann.id}, if_match=None
    )
    service.workspaces.rename(team.owner.id, team.workspace_id, name="Renamed", if_match=None)
    records = notifier.records()
    assert [r["dynamodb"]["NewImage"]["action"]["S"] for r in records] == [
        "task.created",
        "task.updated",
    ]
    assert notifier.invoke(records) == {"batchItemFailures": []}
    # What the notifier wrote (a notification, its email mark) is on the stream too, and the
    # filter keeps it from the notifier.
    assert notifier.records() == []


# -- notifications and emails ----------------------------------------------------------------


def test_an_assignment_is_one_notification_and_one_email_even_delivered_twice(
    service, notifier, team
):
    task = service.tasks.create(
        team.owner.id, team.workspace_id, {"title": "Brief", "assignee_id": team.ann.id}
    )
    records = notifier.records()
    for _ in range(2):
        assert notifier.invoke(records) == {"batchItemFailures": []}
    (item,) = notifications_of(service, team.ann.id)
    assert item["notification_type"]["S"] == "task.assigned"
    assert (item["target_id"]["S"], item["target_label"]["S"]) == (task.id, "Brief")
    assert "emailed_at" in item
    expires = int(item["expires_at"]["N"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90)).timestamp()) < 60
    (sent,) = emails_to(outbox(notifier), team.ann.email)
    assert "Brief" in sent.subject
    assert sent.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert notifications_of(service, team.owner.id) == []


def test_an_invitation_is_emailed_once_and_not_at_all_once_revoked(service, notifier, team):
    first = service.invitations.create(
        team.owner.id, team.workspace_id, email="first@example.com", role="member"
    )
    second = service.invitations.create(
        team.owner.id, team.workspace_id, email="second@example.com", role="member"
    )
    service.invitations.revoke(team.owner.id, team.workspace_id, second.id)
    records = notifier.records()
    assert notifier.invoke(records) == {"batchItemFailures": []}
    assert notifier.invoke(records) == {"batchItemFailures": []}
    assert len(emails_to(outbox(notifier), "first@example.com")) == 1
    assert emails_to(outbox(notifier), "second@example.com") == []
    stored = partition(service, keys.workspace_pk(team.workspace_id))
    (invitation,) = [i for i in stored if i["SK"]["S"] == keys.INVITE_PREFIX + first.id]
    assert "emailed_at" in invitation


class SesFailingFor:
    """SES that throttles every email to one address (beyond the SDK's retries)."""

    def __init__(self, client, address: str, code: str = "TooManyRequestsException"):
        self._client = client
        self._address = address
        self._code = code
        self.attempts = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def send_email(self, **arguments):
        if arguments["Destination"]["ToAddresses"] == [self._address]:
            self.attempts += 1
            raise ClientError({"Error": {"Code": self._code, "Message": "no"}}, "SendEmail")
        return self._client.send_email(**arguments)


def test_a_record_whose_email_fails_is_reported_alone_and_its_retry_sends_once(
    service, notifier, team
):
    carl = person(service, "carl")
    join(service, team.owner, team.workspace_id, carl, "member")
    notifier.read_from_now_on()
    service.tasks.create(
        team.owner.id, team.workspace_id, {"title": "A", "assignee_id": team.ann.id}
    )
    service.tasks.create(team.owner.id, team.workspace_id, {"title": "B", "assignee_id": carl.id})
    records = notifier.records()
    healthy_ses = notifier.runtime.ses
    notifier.runtime.ses = SesFailingFor(healthy_ses, team.ann.email)
    response = notifier.invoke(records)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    }
    # The notification is written; its email is not marked sent.
    (item,) = notifications_of(service, team.ann.id)
    assert "emailed_at" not in item
    assert len(emails_to(outbox(notifier), carl.email)) == 1
    # Lambda retries from the failed record (the one after it too): each sent exactly once.
    notifier.runtime.ses = healthy_ses
    assert notifier.invoke(records) == {"batchItemFailures": []}
    assert len(emails_to(outbox(notifier), team.ann.email)) == 1
    assert len(emails_to(outbox(notifier), carl.email)) == 1


def test_an_address_ses_refuses_is_logged_not_retried_forever(service, notifier, team):
    service.tasks.create(
        team.owner.id, team.workspace_id, {"title": "A", "assignee_id": team.ann.id}
    )
    notifier.runtime.ses = SesFailingFor(
        notifier.runtime.ses, team.ann.email, "BadRequestException"
    )
    assert notifier.invoke(notifier.records()) == {"batchItemFailures": []}
    assert notifier.runtime.ses.attempts == 1
    assert len(notifications_of(service, team.ann.id)) == 1


def test_when_every_record_fails_the_invocation_fails_so_lambda_bisects(service, notifier, team):
    service.tasks.create(
        team.owner.id, team.workspace_id, {"title": "A", "assignee_id": team.ann.id}
    )
    notifier.runtime.ses = SesFailingFor(
        notifier.runtime.ses, team.ann.email, "ThrottlingException"
    )
    with pytest.raises(BatchProcessingError, match="All records failed"):
        notifier.invoke(notifier.records())


def test_comment_recipients_and_never_the_author(service, notifier, team):
    task = service.tasks.create(
        team.owner.id, team.workspace_id, {"title": "Talk", "assignee_id": team.ann.id}
    )
    service.comments.create(
        team.owner.id, team.workspace_id, task.id, body="ping", mentions=[team.bob.id]
    )
    service.comments.create(team.ann.id, team.workspace_id, task.id, body="pong")
    assert notifier.invoke(notifier.records()) == {"batchItemFailures": []}
    kinds = {
        who: sorted(i["notification_type"]["S"] for i in notifications_of(service, p.id))
        for who, p in (("owner", team.owner), ("ann", team.ann), ("bob", team.bob))
    }
    # ann: assigned, then the owner's comment; bob: mentioned; the owner: ann's reply (as the
    # task's creator and a commenter); nobody of their own comment.
    assert kinds == {
        "owner": ["comment.created"],
        "ann": ["comment.created", "task.assigned"],
        "bob": ["comment.mentioned"],
    }


def test_a_former_members_notifications_of_the_workspace_are_removed(service, notifier, team):
    other = service.workspaces.create(team.owner.id, "Other").workspace.id
    join(service, team.owner, other, team.ann, "member")
    service.tasks.create(
        team.owner.id, team.workspace_id, {"title": "here", "assignee_id": team.ann.id}
    )
    service.tasks.create(team.owner.id, other, {"title": "there", "assignee_id": team.ann.id})
    assert notifier.invoke(notifier.records()) == {"batchItemFailures": []}
    assert len(notifications_of(service, team.ann.id)) == 2
    service.members.remove(team.ann.id, team.workspace_id, team.ann.id)
    assert notifier.invoke(notifier.records()) == {"batchItemFailures": []}
    (left,) = notifications_of(service, team.ann.id)
    assert left["workspace_id"]["S"] == other


# -- the digest -------------------------------------------------------------------------------


def _prefer(service, user_id: str, value: str) -> None:
    service.dynamodb.put_item(
        TableName=service.table,
        Item={
            **{k: {"S": v} for k, v in keys.preferences_key(user_id).items()},
            "type": {"S": "preferences"},
            "user_id": {"S": user_id},
            "email_notifications": {"S": value},
        },
    )


def test_a_daily_preference_marks_for_the_digest_which_sends_once(service, notifier, team):
    _prefer(service, team.ann.id, "daily")
    for title in ("one", "two"):
        service.tasks.create(
            team.owner.id, team.workspace_id, {"title": title, "assignee_id": team.ann.id}
        )
    assert notifier.invoke(notifier.records()) == {"batchItemFailures": []}
    assert emails_to(outbox(notifier), team.ann.email) == []
    day = notifier.module.digest_day(datetime.now(UTC))
    marks = partition(service, f"DIGEST#{day.isoformat()}")
    assert [m["SK"]["S"] for m in marks] == [team.ann.id]
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 600_000)
    assert notifier.runtime.digest(context.get_remaining_time_in_millis, through=day) == 1
    (digest,) = emails_to(outbox(notifier), team.ann.email)
    assert "2 unread notifications" in digest.subject
    assert partition(service, f"DIGEST#{day.isoformat()}") == []
    assert notifier.runtime.digest(context.get_remaining_time_in_millis, through=day) == 0


def test_a_digest_out_of_time_stops_and_its_retry_carries_on(service, notifier, team):
    _prefer(service, team.ann.id, "daily")
    _prefer(service, team.bob.id, "daily")
    service.tasks.create(
        team.owner.id, team.workspace_id, {"title": "a", "assignee_id": team.ann.id}
    )
    service.tasks.create(
        team.owner.id, team.workspace_id, {"title": "b", "assignee_id": team.bob.id}
    )
    assert notifier.invoke(notifier.records()) == {"batchItemFailures": []}
    day = notifier.module.digest_day(datetime.now(UTC))
    left = iter([600_000, 0, 0])
    with pytest.raises(notifier.module.DigestIncomplete):
        notifier.runtime.digest(lambda: next(left), through=day)
    sent_first = len(emails_to(outbox(notifier), team.ann.email)) + len(
        emails_to(outbox(notifier), team.bob.email)
    )
    assert sent_first == 1
    assert notifier.runtime.digest(lambda: 600_000, through=day) == 1
    assert len(emails_to(outbox(notifier), team.ann.email)) == 1
    assert len(emails_to(outbox(notifier), team.bob.email)) == 1


def test_the_handler_runs_the_digest_from_the_schedules_event(service, notifier, team):
    context = SimpleNamespace(
        function_name="notifier",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:notifier",
        aws_request_id="r",
        get_remaining_time_in_millis=lambda: 600_000,
    )
    assert notifier.handler({"digest": "daily"}, context, runtime=notifier.runtime) == {
        "digests": 0
    }
    with pytest.raises(ValueError, match="does not know"):
        notifier.handler({"something": "else"}, context, runtime=notifier.runtime)


# -- SES's events --------------------------------------------------------------------------------


def ses_event(kind: str, tags: dict[str, str]) -> dict[str, Any]:
    """An SES event as EventBridge delivers it (detail: SES's event publishing format)."""
    detail_type = {"Bounce": "Email Bounced", "Complaint": "Email Complaint Received"}[kind]
    detail = {
        "eventType": kind,
        "mail": {
            "timestamp": "2026-12-06T08:00:00.000Z",
            "source": "notifications@teamtasks.test",
            "destination": ["someone@example.com"],
            "tags": {name: [value] for name, value in tags.items()},
        },
    }
    if kind == "Bounce":
        detail["bounce"] = {"bounceType": "Permanent", "bounceSubType": "General"}
    else:
        detail["complaint"] = {"complaintFeedbackType": "abuse"}
    return {"version": "0", "source": "aws.ses", "detail-type": detail_type, "detail": detail}


def test_a_complaint_about_a_notification_turns_that_users_emails_off(service, notifier, team):
    context = SimpleNamespace(
        function_name="notifier",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:notifier",
        aws_request_id="r",
        get_remaining_time_in_millis=lambda: 60_000,
    )
    invoke = lambda event: notifier.handler(event, context, runtime=notifier.runtime)  # noqa: E731
    invoke(ses_event("Bounce", {"kind": "notification", "user": team.bob.id}))
    invoke(ses_event("Complaint", {"kind": "invitation", "invitation": "01X"}))
    assert partition(service, keys.user_key(team.bob.id)) == []
    invoke(ses_event("Complaint", {"kind": "notification", "user": team.ann.id}))
    (prefs,) = [
        p for p in partition(service, keys.user_key(team.ann.id)) if p["SK"]["S"] == "PREFS"
    ]
    assert prefs["email_notifications"]["S"] == "off"


# -- the emails themselves -----------------------------------------------------------------------


def test_user_text_cannot_add_a_header_or_markup():
    emails = lambda_module("emails")
    links = emails.Links("https://app.example.com")
    notice = emails.Notice(
        type="comment.mentioned",
        actor="Eve <eve@example.com>\r\nBcc: victim@example.com",
        workspace_id="W",
        workspace_name="<img src=x onerror=alert(1)>",
        target_id="T",
        target_label="Title\r\nX-Injected: yes",
        detail='<a href="https://evil.example">click</a>',
    )
    sent = emails.notification(
        links, to="ann@example.com", user_id="u", notice=notice, unsubscribe_token="tok.en"
    )
    message = message_from_bytes(
        sent.mime("Team Tasks <notifications@example.com>"), policy=email_policy.default
    )
    assert set(message.keys()) == {
        "From",
        "To",
        "Subject",
        "Auto-Submitted",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "MIME-Version",
        "Content-Type",
    }
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert "<img" not in sent.html and "&lt;img" in sent.html
    assert 'href="https://evil.example"' not in sent.html
    assert sent.html.count("<a ") == 2  # the task, and the unsubscribe page
    assert "https://app.example.com/unsubscribe?token=tok.en" in sent.text


def test_stream_images_come_out_as_plain_values(notifier):
    """Stream images of sets and numbers come out plain (the notifier stores ints only)."""
    module = notifier.module
    item = module.item_of({"n": {"N": "3"}, "l": {"L": [{"N": "1"}]}, "s": {"S": "x"}})
    assert json.dumps(item, sort_keys=True) == '{"l": [1], "n": 3, "s": "x"}'
