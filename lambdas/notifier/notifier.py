"""Notifier: notifications and email, from the table's stream, the daily digest's schedule and
SES's bounce and complaint events (docs/stream-processing.md, "The notifier").

1. The stream: its event source mapping delivers only the inserts of the audit events that
   notify or tidy something (addons/environment/stream-notify.yml). For each:

   - `invitation.created`: the invitation email to the address (always, whatever anyone's
     preference), if the invitation is still pending; and `invitation.received` to the account
     that holds the address, if there is one;
   - `task.created`, `task.updated` that set an assignee: `task.assigned` to the assignee;
   - `comment.created`: `comment.mentioned` to those it mentions, `comment.created` to the
     task's creator, its assignee and those who commented on it before; `comment.updated`:
     `comment.mentioned` to those newly mentioned;
   - `member.role_changed`: `member.role_changed` to that member; the invitations they may no
     longer send are withdrawn (deleted);
   - `member.removed`: that person's notifications of the workspace are deleted, and their
     invitations withdrawn;
   - `task.deleted`: the task's comments are deleted.

   Nobody is notified of their own action, nor of a workspace they are no longer a member of.
   A notification is one item, `NOTIFY#<recipient>` / `<audit event id>`, written on condition
   that it is new: a record delivered again writes nothing twice. Then, by the recipient's
   preference: `immediate`, the email (once: the item remembers it was sent); `daily`, a mark
   under `DIGEST#<day of the next digest>`; `off`, nothing.

2. The schedule (EventBridge Scheduler, 08:00 UTC): `{"digest": "daily"}` sends each user marked
   for the day one email of their notifications still unread and not in an earlier digest.

3. SES's events (EventBridge, the configuration set's bounces and complaints): a complaint about
   a notification or a digest turns that user's notification emails off. SES itself suppresses
   the address (the configuration set's suppression list).

Every step is safe to repeat: conditional writes, and flags for what was emailed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import emails
import tokens
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

# The table's key layout (app/storage/keys.py; tests/unit/test_notifier.py keeps the two equal:
# this code is zipped on its own and cannot import the service's package).
WORKSPACE_PREFIX = "WS#"
WORKSPACE_SK = "META"
MEMBER_PREFIX = "MEMBER#"
TASK_PREFIX = "TASK#"
INVITE_PREFIX = "INVITE#"
INVITED_PREFIX = "INVITED#"
INVITEE_PREFIX = "INVITEE#"
COMMENT_PREFIX = "COMMENT#"
NOTIFY_PREFIX = "NOTIFY#"
USER_PREFIX = "USER#"
PREFERENCES_SK = "PREFS"
DIGEST_PREFIX = "DIGEST#"
# Who may invite (and so, still stand behind an invitation) as which role: app/domain/roles.py.
MAY_INVITE = {
    "owner": frozenset({"owner", "admin", "member", "viewer"}),
    "admin": frozenset({"member", "viewer"}),
}

NOTIFYING_ACTIONS = (
    "invitation.created",
    "task.created",
    "task.updated",
    "comment.created",
    "comment.updated",
    "member.role_changed",
    "member.removed",
    "task.deleted",
)
KEEP_DAYS = 90
DIGEST_HOUR_UTC = 8
# Markers are kept a few days past their digest (a digest that could not run catches up).
DIGEST_MARK_DAYS = 3
DIGEST_READ = 100
BATCH_WRITE_LIMIT = 25
# A digest run stops this long before the invocation's deadline (Lambda retries it: what was
# sent is marked, the rest goes out on the retry).
DEADLINE_MARGIN_MS = 20_000
# SES refuses an address or a message for good: logged and counted, never retried forever.
_REFUSED = frozenset({"BadRequestException", "MessageRejected"})

SERVICE = "notifier"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
# Ephemeral: not shared with other Metrics objects of the process (the local stack runs every
# stream function in one process; in Lambda each has its own).
metrics = EphemeralMetrics(namespace="TeamTasks", service=SERVICE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_deserializer = TypeDeserializer()
_serializer = TypeSerializer()


class DigestIncomplete(Exception):
    """The digest ran out of time; Lambda retries the invocation, which carries on."""


@dataclass(frozen=True)
class Settings:
    table: str
    user_pool_id: str
    app_base_url: str
    mail_from: str
    configuration_set: str
    unsubscribe_secret_arn: str
    # Local only: every email sent is also written here, as a .eml file.
    outbox_dir: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            table=environ["TABLE_NAME"],
            user_pool_id=environ["USER_POOL_ID"],
            app_base_url=environ["APP_BASE_URL"].rstrip("/"),
            mail_from=environ["MAIL_FROM"],
            configuration_set=environ["SES_CONFIGURATION_SET"],
            unsubscribe_secret_arn=environ["UNSUBSCRIBE_SECRET_ARN"],
            outbox_dir=environ.get("OUTBOX_DIR") or None,
        )


def _plain(value: Any) -> Any:
    """Numbers as int (the table holds integers only)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    if hasattr(value, "as_integer_ratio") and not isinstance(value, bool | float):
        return int(value)
    return value


def item_of(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    return {name: _plain(_deserializer.deserialize(value)) for name, value in raw.items()}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def digest_day(moment: datetime) -> date:
    """The day of the digest that takes a notification made at `moment`: the next 08:00 UTC."""
    moment = moment.astimezone(UTC)
    return moment.date() if moment.hour < DIGEST_HOUR_UTC else moment.date() + timedelta(days=1)


@dataclass
class Notifier:
    settings: Settings
    dynamodb: Any
    cognito: Any
    ses: Any
    secrets: Any
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _users: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _secret: tuple[float, bytes] | None = None

    @property
    def links(self) -> emails.Links:
        return emails.Links(self.settings.app_base_url)

    # -- one audit event ----------------------------------------------------------------------

    @tracer.capture_method
    def handle(self, event: dict[str, Any]) -> None:
        action = event["action"]
        self._users.clear()
        handler = {
            "invitation.created": self._invitation_created,
            "task.created": self._task_assigned,
            "task.updated": self._task_assigned,
            "comment.created": self._comment,
            "comment.updated": self._comment,
            "member.role_changed": self._role_changed,
            "member.removed": self._member_removed,
            "task.deleted": self._task_deleted,
        }.get(action)
        if handler is not None:
            handler(event)

    def _invitation_created(self, event: dict[str, Any]) -> None:
        workspace_id, invitation_id = event["workspace_id"], event["target_id"]
        invitation = self._get(WORKSPACE_PREFIX + workspace_id, INVITE_PREFIX + invitation_id)
        workspace = self._workspace(workspace_id)
        if invitation is None or workspace is None:
            return  # accepted, declined or revoked already, or the workspace is gone
        if "emailed_at" not in invitation:
            inviter = self._email_of(event["actor_id"]) or "A Team Tasks user"
            self._send(
                emails.invitation(
                    self.links,
                    to=invitation["email"],
                    inviter=inviter,
                    workspace_name=workspace["name"],
                    role=invitation["role"],
                    expires_on=invitation["expiry"][:10],
                    invitation_id=invitation_id,
                )
            )
            self._mark_emailed(_key(WORKSPACE_PREFIX + workspace_id, INVITE_PREFIX + invitation_id))
            metrics.add_metric(name="InvitationsEmailed", unit=MetricUnit.Count, value=1)
        holder = self._account_of(invitation["email"])
        if holder is not None and holder != event["actor_id"]:
            self._notify(
                holder,
                event,
                "invitation.received",
                target=("invitation", invitation_id, workspace["name"]),
                workspace=workspace,
            )

    def _task_assigned(self, event: dict[str, Any]) -> None:
        assignee = (event.get("changes") or {}).get("assignee_id", [None, None])[1]
        if not assignee or assignee == event["actor_id"]:
            return
        workspace = self._workspace(event["workspace_id"])
        if workspace is None or self._role(event["workspace_id"], assignee) is None:
            return
        self._notify(
            assignee,
            event,
            "task.assigned",
            target=("task", event["target_id"], event.get("target_label")),
            workspace=workspace,
        )

    def _comment(self, event: dict[str, Any]) -> None:
        workspace_id, task_id, actor = (
            event["workspace_id"],
            event.get("task_id"),
            event["actor_id"],
        )
        workspace = self._workspace(workspace_id)
        task = (
            self._get(WORKSPACE_PREFIX + workspace_id, TASK_PREFIX + task_id) if task_id else None
        )
        if workspace is None or task is None:
            return
        changes = event.get("changes") or {}
        old_mentions, new_mentions = changes.get("mentions", [[], []])
        mentioned = set(new_mentions or []) - set(old_mentions or []) - {actor}
        body = changes.get("body", [None, None])[1] or self._comment_body(
            workspace_id, task_id, event["target_id"]
        )
        target = ("task", task_id, task.get("title"))
        others: set[str] = set()
        if event["action"] == "comment.created":
            others = {task.get("created_by"), task.get("assignee_id")}
            others |= self._commenters(workspace_id, task_id)
            others -= {None, actor, *mentioned}
        for user_id, kind in [
            *((m, "comment.mentioned") for m in sorted(mentioned)),
            *((o, "comment.created") for o in sorted(others)),
        ]:
            if self._role(workspace_id, user_id) is not None:
                self._notify(user_id, event, kind, target=target, workspace=workspace, detail=body)

    def _role_changed(self, event: dict[str, Any]) -> None:
        workspace_id, member = event["workspace_id"], event["target_id"]
        new_role = (event.get("changes") or {}).get("role", [None, None])[1]
        self._withdraw_invitations(workspace_id, member)
        workspace = self._workspace(workspace_id)
        if member == event["actor_id"] or workspace is None:
            return
        if self._role(workspace_id, member) is None:
            return
        self._notify(
            member,
            event,
            "member.role_changed",
            target=("workspace", workspace_id, workspace["name"]),
            workspace=workspace,
            detail=new_role or "",
        )

    def _member_removed(self, event: dict[str, Any]) -> None:
        workspace_id, former = event["workspace_id"], event["target_id"]
        self._withdraw_invitations(workspace_id, former)
        # The notifications of the workspace made before the removal: they are never served
        # again, and they would take room in the unread count.
        doomed = [
            item
            for item in self._query(NOTIFY_PREFIX + former, projection="PK, SK, workspace_id")
            if item.get("workspace_id") == workspace_id and item["SK"] < event["id"]
        ]
        self._delete_keys([_key(i["PK"], i["SK"]) for i in doomed])

    def _task_deleted(self, event: dict[str, Any]) -> None:
        """The deleted task's comments (they answer 404 since the deletion)."""
        workspace_id, task_id = event["workspace_id"], event["target_id"]
        comments = self._query(
            WORKSPACE_PREFIX + workspace_id,
            begins_with=f"{COMMENT_PREFIX}{task_id}#",
            projection="PK, SK",
        )
        self._delete_keys([_key(c["PK"], c["SK"]) for c in comments])
        if comments:
            metrics.add_metric(name="CommentsRemoved", unit=MetricUnit.Count, value=len(comments))

    # -- notifications and their email ----------------------------------------------------

    def _notify(
        self,
        recipient: str,
        event: dict[str, Any],
        kind: str,
        *,
        target: tuple[str, str, str | None],
        workspace: dict[str, Any],
        detail: str = "",
    ) -> None:
        target_type, target_id, label = target
        now = self.clock()
        item = {
            "PK": NOTIFY_PREFIX + recipient,
            "SK": event["id"],
            "type": "notification",
            "id": event["id"],
            "user_id": recipient,
            "notification_type": kind,
            "at": event["at"],
            "workspace_id": event["workspace_id"],
            "workspace_name": workspace["name"],
            "actor_id": event["actor_id"],
            "target_type": target_type,
            "target_id": target_id,
            "target_label": label,
            "detail": emails.excerpt(detail or ""),
            "expires_at": int((now + timedelta(days=KEEP_DAYS)).timestamp()),
        }
        stored = self._put_new(item)
        if stored is not item:
            item = stored  # written before: what remains is what it did not finish
        else:
            metrics.add_metric(name="NotificationsWritten", unit=MetricUnit.Count, value=1)
        if kind == "invitation.received" or "emailed_at" in item:
            return  # the invitation email says it already; or sent before
        preference = self._preferences(recipient).get("email_notifications", "immediate")
        if preference == "daily":
            self._mark_for_digest(recipient, _utc(event["at"]))
        elif preference == "immediate":
            address = self._email_of(recipient)
            if address is None:
                return
            notice = self._notice(item)
            self._send(
                emails.notification(
                    self.links,
                    to=address,
                    user_id=recipient,
                    notice=notice,
                    unsubscribe_token=tokens.sign(self._unsubscribe_secret(), recipient),
                )
            )
            self._mark_emailed(_key(item["PK"], item["SK"]))

    def _notice(self, item: Mapping[str, Any]) -> emails.Notice:
        return emails.Notice(
            type=item["notification_type"],
            actor=self._email_of(item["actor_id"]) or "Someone",
            workspace_id=item["workspace_id"],
            workspace_name=item.get("workspace_name", ""),
            target_id=item["target_id"],
            target_label=item.get("target_label") or "",
            detail=item.get("detail", ""),
        )

    def _mark_for_digest(self, recipient: str, at: datetime) -> None:
        day = digest_day(at)
        expires = datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=DIGEST_MARK_DAYS)
        self.dynamodb.put_item(
            TableName=self.settings.table,
            Item=_serialized(
                {
                    "PK": DIGEST_PREFIX + day.isoformat(),
                    "SK": recipient,
                    "type": "digest_due",
                    "user_id": recipient,
                    "expires_at": int(expires.timestamp()),
                }
            ),
        )

    # -- the daily digest --------------------------------------------------------------------

    @tracer.capture_method
    def digest(self, remaining_ms: Callable[[], int], *, through: date | None = None) -> int:
        """Every user marked for a digest due by `through` (default: today) gets one. Returns
        how many were sent."""
        today = self.clock().date()
        through = through or today
        sent = 0
        for day in (through - timedelta(days=2), through - timedelta(days=1), through):
            for mark in self._query(DIGEST_PREFIX + day.isoformat(), projection="PK, SK"):
                if remaining_ms() < DEADLINE_MARGIN_MS:
                    raise DigestIncomplete(f"stopped after {sent} digests to leave in time")
                self._users.clear()
                sent += self._digest_for(mark["SK"])
                self._delete_keys([_key(mark["PK"], mark["SK"])])
        metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=sent)
        return sent

    def _digest_for(self, user_id: str) -> int:
        preferences = self._preferences(user_id)
        if preferences.get("email_notifications", "immediate") != "daily":
            return 0
        address = self._email_of(user_id)
        if address is None:
            return 0
        since = max(preferences.get("read_up_to") or "", preferences.get("digested_up_to") or "")
        still_member: dict[str, bool] = {}

        def member(workspace_id: str) -> bool:
            if workspace_id not in still_member:
                still_member[workspace_id] = (
                    self._role(workspace_id, user_id) is not None
                    and self._workspace(workspace_id) is not None
                )
            return still_member[workspace_id]

        unread = [
            item
            for item in self._query(
                NOTIFY_PREFIX + user_id, after=since or None, newest_first=True, limit=DIGEST_READ
            )
            if item.get("notification_type") != "invitation.received"
            and member(item["workspace_id"])
        ]
        if not unread:
            return 0
        shown = unread[: emails.DIGEST_ITEMS]
        self._send(
            emails.digest(
                self.links,
                to=address,
                user_id=user_id,
                notices=[self._notice(item) for item in shown],
                more=len(unread) - len(shown),
                unsubscribe_token=tokens.sign(self._unsubscribe_secret(), user_id),
            )
        )
        self._update_preferences(
            user_id,
            "SET digested_up_to = :id",
            {":id": unread[0]["id"]},
            condition="attribute_not_exists(digested_up_to) OR digested_up_to < :id",
        )
        return 1

    # -- SES's bounces and complaints --------------------------------------------------------

    def ses_event(self, event: Mapping[str, Any]) -> None:
        detail = event.get("detail") or {}
        kind = detail.get("eventType")
        tags = (detail.get("mail") or {}).get("tags") or {}
        user_id = (tags.get("user") or [None])[0]
        email_kind = (tags.get("kind") or [None])[0]
        if kind == "Bounce":
            bounce = detail.get("bounce") or {}
            metrics.add_metric(name="EmailsBounced", unit=MetricUnit.Count, value=1)
            logger.info(
                "an email bounced",
                extra={"bounce_type": bounce.get("bounceType"), "kind": email_kind},
            )
        elif kind == "Complaint":
            metrics.add_metric(name="EmailsComplainedOf", unit=MetricUnit.Count, value=1)
            logger.info("a recipient complained", extra={"kind": email_kind})
            if user_id and email_kind in ("notification", "digest"):
                # They marked it as spam: no more notification emails to them, as if they had
                # unsubscribed (SES suppresses the address too).
                self._update_preferences(user_id, "SET email_notifications = :off", {":off": "off"})

    # -- invitations withdrawn -------------------------------------------------------------------

    def _withdraw_invitations(self, workspace_id: str, inviter: str) -> None:
        """Delete the invitations `inviter` sent in the workspace that their role (now) may no
        longer send; accepting them is refused already (app/domain/invitations.py)."""
        role = self._role(workspace_id, inviter)
        allowed = MAY_INVITE.get(role or "", frozenset())
        invitations = self._query(WORKSPACE_PREFIX + workspace_id, begins_with=INVITE_PREFIX)
        withdrawn = [
            i for i in invitations if i.get("invited_by") == inviter and i["role"] not in allowed
        ]
        for invitation in withdrawn:
            self._delete_invitation(invitation)
        if withdrawn:
            metrics.add_metric(
                name="InvitationsWithdrawn", unit=MetricUnit.Count, value=len(withdrawn)
            )

    def _delete_invitation(self, invitation: Mapping[str, Any]) -> None:
        workspace_pk = WORKSPACE_PREFIX + invitation["workspace_id"]
        parts = [
            {
                "Delete": {
                    "TableName": self.settings.table,
                    "Key": _key(workspace_pk, INVITE_PREFIX + invitation["id"]),
                }
            },
            {
                "Delete": {
                    "TableName": self.settings.table,
                    "Key": _key(INVITEE_PREFIX + invitation["email"], invitation["id"]),
                }
            },
        ]
        marker = {
            "Delete": {
                "TableName": self.settings.table,
                "Key": _key(workspace_pk, INVITED_PREFIX + invitation["email"]),
                # The address's marker, unless it names a newer invitation already.
                "ConditionExpression": "invitation_id = :id",
                "ExpressionAttributeValues": {":id": {"S": invitation["id"]}},
            }
        }
        try:
            self.dynamodb.transact_write_items(TransactItems=[*parts, marker])
        except ClientError as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons[2:3] != ["ConditionalCheckFailed"]:
                raise
            self.dynamodb.transact_write_items(TransactItems=parts)

    # -- reads and writes ---------------------------------------------------------------------

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.settings.table, Key=_key(pk, sk), ConsistentRead=True
        )
        return item_of(response.get("Item"))

    def _workspace(self, workspace_id: str) -> dict[str, Any] | None:
        workspace = self._get(WORKSPACE_PREFIX + workspace_id, WORKSPACE_SK)
        if workspace is None or workspace.get("deleted"):
            return None
        return workspace

    def _role(self, workspace_id: str, user_id: str) -> str | None:
        membership = self._get(WORKSPACE_PREFIX + workspace_id, MEMBER_PREFIX + user_id)
        return membership.get("role") if membership else None

    def _preferences(self, user_id: str) -> dict[str, Any]:
        return self._get(USER_PREFIX + user_id, PREFERENCES_SK) or {}

    def _update_preferences(
        self,
        user_id: str,
        update: str,
        values: dict[str, Any],
        *,
        condition: str | None = None,
    ) -> None:
        arguments: dict[str, Any] = {
            "TableName": self.settings.table,
            "Key": _key(USER_PREFIX + user_id, PREFERENCES_SK),
            "UpdateExpression": update + ", #type = :type, user_id = :user",
            "ExpressionAttributeNames": {"#type": "type"},
            "ExpressionAttributeValues": _serialized(
                {**values, ":type": "preferences", ":user": user_id}
            ),
        }
        if condition:
            arguments["ConditionExpression"] = condition
        try:
            self.dynamodb.update_item(**arguments)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def _comment_body(self, workspace_id: str, task_id: str, comment_id: str) -> str:
        comment = self._get(
            WORKSPACE_PREFIX + workspace_id, f"{COMMENT_PREFIX}{task_id}#{comment_id}"
        )
        return (comment or {}).get("body", "")

    def _commenters(self, workspace_id: str, task_id: str) -> set[str]:
        return {
            c["author_id"]
            for c in self._query(
                WORKSPACE_PREFIX + workspace_id,
                begins_with=f"{COMMENT_PREFIX}{task_id}#",
                projection="author_id",
            )
        }

    def _query(
        self,
        pk: str,
        *,
        begins_with: str | None = None,
        after: str | None = None,
        projection: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        condition, values = "PK = :pk", {":pk": {"S": pk}}
        if begins_with is not None:
            condition += " AND begins_with(SK, :prefix)"
            values[":prefix"] = {"S": begins_with}
        elif after is not None:
            condition += " AND SK > :after"
            values[":after"] = {"S": after}
        arguments: dict[str, Any] = {
            "TableName": self.settings.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
            "ScanIndexForward": not newest_first,
        }
        if projection:
            arguments["ProjectionExpression"] = projection
        found: list[dict[str, Any]] = []
        while True:
            if limit is not None:
                arguments["Limit"] = limit - len(found)
            page = self.dynamodb.query(**arguments)
            found += [item_of(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page or (limit is not None and len(found) >= limit):
                return found
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        """Writes the item if it is new; returns it, or the one that was there."""
        try:
            self.dynamodb.put_item(
                TableName=self.settings.table,
                Item=_serialized(item),
                ConditionExpression="attribute_not_exists(PK)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return item_of(error.response.get("Item")) or self._get(item["PK"], item["SK"]) or item
        return item

    def _mark_emailed(self, key: dict[str, Any]) -> None:
        try:
            self.dynamodb.update_item(
                TableName=self.settings.table,
                Key=key,
                UpdateExpression="SET emailed_at = :now",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":now": {"S": self.clock().isoformat()}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def _delete_keys(self, keys: list[dict[str, Any]]) -> None:
        for start in range(0, len(keys), BATCH_WRITE_LIMIT):
            pending = [
                {"DeleteRequest": {"Key": k}} for k in keys[start : start + BATCH_WRITE_LIMIT]
            ]
            for attempt in range(8):
                response = self.dynamodb.batch_write_item(
                    RequestItems={self.settings.table: pending}
                )
                pending = (response.get("UnprocessedItems") or {}).get(self.settings.table, [])
                if not pending:
                    break
                time.sleep(min(2.0, 0.05 * 2**attempt))
            else:
                raise RuntimeError(f"{len(pending)} deletes stayed unprocessed")

    # -- the user pool -------------------------------------------------------------------------

    def _user(self, username: str) -> dict[str, Any] | None:
        if username not in self._users:
            try:
                user = self.cognito.admin_get_user(
                    UserPoolId=self.settings.user_pool_id, Username=username
                )
            except ClientError as error:
                if error.response["Error"]["Code"] not in (
                    "UserNotFoundException",
                    "InvalidParameterException",
                ):
                    raise
                user = None
            self._users[username] = user
        return self._users[username]

    def _email_of(self, user_id: str) -> str | None:
        """The user's verified email, if they have one and are enabled."""
        user = self._user(user_id)
        if user is None or user.get("Enabled") is False:
            return None
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        if attributes.get("email_verified") != "true":
            return None
        return attributes.get("email")

    def _account_of(self, email: str) -> str | None:
        """The confirmed account whose verified email this is (the pool's usernames are emails)."""
        user = self._user(email)
        if user is None or user.get("UserStatus") != "CONFIRMED" or user.get("Enabled") is False:
            return None
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        verified = attributes.get("email_verified") == "true"
        if not verified or (attributes.get("email") or "").lower() != email.lower():
            return None
        return attributes.get("sub")

    # -- sending -------------------------------------------------------------------------------

    def _unsubscribe_secret(self) -> bytes:
        now = time.monotonic()
        if self._secret is None or now - self._secret[0] > 300:
            value = self.secrets.get_secret_value(
                SecretId=self.settings.unsubscribe_secret_arn, VersionStage="AWSCURRENT"
            )
            self._secret = (now, value["SecretString"].encode())
        return self._secret[1]

    def _send(self, email: emails.Email) -> None:
        raw = email.mime(self.settings.mail_from)
        try:
            self.ses.send_email(
                FromEmailAddress=emails.address_of(self.settings.mail_from),
                Destination={"ToAddresses": [email.to]},
                Content={"Raw": {"Data": raw}},
                ConfigurationSetName=self.settings.configuration_set,
                EmailTags=[{"Name": k, "Value": v} for k, v in sorted(email.tags.items())],
            )
        except ClientError as error:
            if error.response["Error"]["Code"] not in _REFUSED:
                raise
            metrics.add_metric(name="EmailsRefused", unit=MetricUnit.Count, value=1)
            logger.warning("SES refused an email", extra={"kind": email.tags.get("kind")})
            return
        metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)
        if self.settings.outbox_dir:
            _write_to_outbox(Path(self.settings.outbox_dir), email, raw)


_OUTBOX_SEQUENCE = iter(range(10**9))


def _write_to_outbox(folder: Path, email: emails.Email, raw: bytes) -> None:
    """Local runs: the email as a file a developer (or a test) can read."""
    folder.mkdir(parents=True, exist_ok=True)
    safe_to = "".join(c if c.isalnum() or c in "@.-_+" else "_" for c in email.to)
    name = f"{time.time_ns()}-{next(_OUTBOX_SEQUENCE):06d}-{email.tags.get('kind')}-{safe_to}.eml"
    partial = folder / f".{name}"
    partial.write_bytes(raw)
    partial.rename(folder / name)


def _serialized(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: _serializer.serialize(value) for name, value in values.items() if value is not None
    }


def from_environment(environ: Mapping[str, str], session: Any = None) -> Notifier:
    """The notifier as the function's settings describe it."""
    session = session or boto3.session.Session()
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    region = environ.get("AWS_REGION")

    def client(name: str) -> Any:
        return session.client(name, region_name=region, config=config)

    return Notifier(
        settings=Settings.from_environment(environ),
        dynamodb=client("dynamodb"),
        cognito=client("cognito-idp"),
        ses=client("sesv2"),
        secrets=client("secretsmanager"),
    )


_default: Notifier | None = None


def _default_notifier() -> Notifier:
    global _default  # noqa: PLW0603 -- one set of clients per execution environment
    if _default is None:
        _default = from_environment(os.environ)
    return _default


def audit_event_of(record: DynamoDBRecord) -> dict[str, Any]:
    image = record.raw_event["dynamodb"]["NewImage"]
    return item_of(image) or {}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any, runtime: Notifier | None = None) -> dict:
    """The table's stream (partial batch response: a record that fails is retried on its own),
    the digest's schedule, or SES's events through EventBridge."""
    notifier = runtime or _default_notifier()
    if "Records" in event:
        return _stream(event, context, notifier)
    if event.get("source") == "aws.ses":
        notifier.ses_event(event)
        return {}
    if event.get("digest"):
        through = date.fromisoformat(event["through"]) if event.get("through") else None
        sent = notifier.digest(context.get_remaining_time_in_millis, through=through)
        logger.info("daily digest sent", extra={"digests": sent})
        return {"digests": sent}
    raise ValueError(f"an event the notifier does not know: {sorted(event)}")


def _stream(event: dict[str, Any], context: Any, notifier: Notifier) -> dict:
    received = len(event.get("Records", []))
    metrics.add_metric(name="StreamRecordsReceived", unit=MetricUnit.Count, value=received)

    def handle_record(record: DynamoDBRecord) -> None:
        audit_event = audit_event_of(record)
        logger.append_keys(
            workspace_id=audit_event.get("workspace_id"), action=audit_event.get("action")
        )
        try:
            notifier.handle(audit_event)
        except Exception:
            # Reported as a failed record (retried by Lambda); counted for the errors alarm.
            metrics.add_metric(name="NotifyFailures", unit=MetricUnit.Count, value=1)
            logger.exception("could not notify for an audit event")
            raise
        finally:
            logger.remove_keys(["workspace_id", "action"])

    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
