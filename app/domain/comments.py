"""Comments on a task: list (oldest first), create, edit (the author only), delete (the author,
or an admin or owner).

A comment lives in its workspace's partition under its task (`COMMENT#<task>#<comment>`), so the
task's comments are one key range and a workspace's purge removes them with the rest. Every
comment request reads the task too, so a deleted task's comments answer 404 at once; the
notifier function removes them in the background. Creating and deleting a comment also move the
task's `comment_count` (and its due entry's copy), in the same transaction, pinned to the task's
version so that the due entry is the one the task names: a task that changes meanwhile is read
again, and the comment is not refused for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from app.domain.access import (
    Access,
    authorize,
    check_version,
    explain_rejected_access,
    load,
)
from app.domain.audit import AuditRecorder, changes_between
from app.domain.clock import new_id, rfc3339, utc_now
from app.domain.commits import against_any_version, commit_in_order
from app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LimitReached,
    LostRace,
    NotFound,
)
from app.domain.limits import Limits
from app.domain.roles import Action, Role, allowed_roles, may
from app.storage import keys, writes
from app.storage.records import COMMENT_ATTRIBUTES, Comment, Membership, Task
from app.storage.table import Page, Store, WriteRejected
from app.storage.writes import Caller, Write

COMMENT_NOT_FOUND = "Comment not found"
TASK_NOT_FOUND = "Task not found"
EDITABLE_FIELDS = ("body", "mentions")
_NOT_MEMBERS = "Every mention must be the user_id of a member of this workspace"
_ANY_ROLE = frozenset(Role)
# A comment pins the task's version; a task edited meanwhile is read again this often at most.
_TASK_MOVED_ATTEMPTS = 5


class _TaskMoved(Exception):
    """The task changed between the read and the write: read it again and retry."""


class Comments:
    def __init__(self, store: Store, audit: AuditRecorder, limits: Limits):
        self._store = store
        self._audit = audit
        self._limits = limits

    def page(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        *,
        limit: int,
        start_key: dict | None,
    ) -> Page:
        self._load(actor_id, workspace_id, task_id)
        return self._store.query(
            partition=("PK", keys.workspace_pk(workspace_id)),
            sort_prefix=keys.comment_prefix(task_id),
            limit=limit,
            start_key=start_key,
            only=COMMENT_ATTRIBUTES,
        )

    def create(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        *,
        body: str,
        mentions: Sequence[str] = (),
    ) -> Comment:
        mentions = tuple(mentions)

        def attempt() -> Comment:
            access, task = self._load(actor_id, workspace_id, task_id, mentions)
            authorize(access, Action.COMMENT)
            _refuse_non_members(access, workspace_id, mentions)
            now = utc_now()
            comment = Comment(
                id=new_id(),
                workspace_id=workspace_id,
                task_id=task_id,
                author_id=actor_id,
                body=body,
                mentions=mentions,
                version=1,
                created_at=rfc3339(now),
                updated_at=rfc3339(now),
            )
            created: dict[str, list[Any]] = {"body": [None, body]}
            if mentions:
                created["mentions"] = [None, list(mentions)]
            self._commit(
                actor_id,
                task,
                comment,
                action="comment.created",
                changes=created,
                roles=allowed_roles(Action.COMMENT),
                parts=[
                    *writes.count_task_comments(task, 1, limit=self._limits.comments_per_task),
                    writes.put_comment(comment),
                ],
                now=now,
            )
            return comment

        return _again_if_the_task_moved(attempt)

    def update(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        comment_id: str,
        changes: dict[str, Any],
        *,
        if_match: frozenset[int] | None,
    ) -> Comment:
        """The author edits their comment (while their role may comment). With `If-Match: *`,
        an edit that lost a race is applied to the comment as it now is."""

        def attempt() -> Comment:
            mentions = tuple(changes.get("mentions", ()))
            access, task, current = self._load_comment(
                actor_id, workspace_id, task_id, comment_id, mentions
            )
            authorize(access, Action.COMMENT)
            if current.author_id != actor_id:
                raise Forbidden("Only its author may edit a comment")
            check_version(current.version, if_match, "comment")
            now = utc_now()
            updated = dataclasses.replace(
                current,
                **{
                    name: tuple(value) if name == "mentions" else value
                    for name, value in changes.items()
                    if name in EDITABLE_FIELDS
                },
                version=current.version + 1,
                updated_at=rfc3339(now),
            )
            diff = changes_between(current, updated, EDITABLE_FIELDS)
            if not diff:
                return current
            if "mentions" in diff:
                _refuse_non_members(access, workspace_id, updated.mentions)
                diff["mentions"] = [list(current.mentions), list(updated.mentions)]
            self._commit(
                actor_id,
                task,
                updated,
                action="comment.updated",
                changes=diff,
                roles=allowed_roles(Action.COMMENT),
                parts=[
                    writes.require_task(task),
                    writes.replace_comment(updated, expected_version=current.version),
                ],
                now=now,
                mentions=updated.mentions if "mentions" in diff else (),
            )
            return updated

        return against_any_version(if_match, attempt, "comment")

    def delete(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        comment_id: str,
        *,
        if_match: frozenset[int] | None,
    ) -> None:
        """Its author (while their role may comment) or an admin or owner deletes a comment."""

        def attempt() -> None:
            access, task, current = self._load_comment(actor_id, workspace_id, task_id, comment_id)
            own = current.author_id == actor_id and may(access.role, Action.COMMENT)
            action = Action.COMMENT if own else Action.MODERATE_COMMENTS
            authorize(access, action)
            check_version(current.version, if_match, "comment")
            self._commit(
                actor_id,
                task,
                current,
                action="comment.deleted",
                changes={},
                roles=allowed_roles(action),
                parts=[
                    *writes.count_task_comments(task, -1, limit=self._limits.comments_per_task),
                    writes.delete_comment(current),
                ],
                now=utc_now(),
            )

        against_any_version(if_match, lambda: _again_if_the_task_moved(attempt), "comment")

    def mention_errors(
        self, actor_id: str, workspace_id: str, mentions: Sequence[str]
    ) -> dict[str, list[str]]:
        """For a request whose other fields are invalid too: whether `mentions` would be
        refused as well (one 422 names every offending field). Only a member may ask."""
        wanted = [keys.membership_key(workspace_id, user_id) for user_id in mentions]
        try:
            access = load(self._store, workspace_id, actor_id, *wanted)
        except NotFound:
            return {}
        try:
            _refuse_non_members(access, workspace_id, tuple(mentions))
        except InvalidInput as invalid:
            return invalid.errors
        return {}

    # -- shared ------------------------------------------------------------------------------

    def _load(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        mentions: Sequence[str] = (),
        comment_id: str | None = None,
    ) -> tuple[Access, Task]:
        """The caller's access with the task (404 if gone), the mentioned members' memberships
        and the comment, in one BatchGetItem."""
        task_key = keys.task_key(workspace_id, task_id)
        extra = [keys.membership_key(workspace_id, user_id) for user_id in mentions]
        if comment_id is not None:
            extra.append(keys.comment_key(workspace_id, task_id, comment_id))
        access = load(self._store, workspace_id, actor_id, task_key, *extra)
        task = access.get(task_key)
        if not isinstance(task, Task):
            raise NotFound(TASK_NOT_FOUND)
        return access, task

    def _load_comment(
        self,
        actor_id: str,
        workspace_id: str,
        task_id: str,
        comment_id: str,
        mentions: Sequence[str] = (),
    ) -> tuple[Access, Task, Comment]:
        access, task = self._load(actor_id, workspace_id, task_id, mentions, comment_id)
        comment = access.get(keys.comment_key(workspace_id, task_id, comment_id))
        if not isinstance(comment, Comment):
            raise NotFound(COMMENT_NOT_FOUND)
        return access, task, comment

    def _commit(
        self,
        actor_id: str,
        task: Task,
        comment: Comment,
        *,
        action: str,
        changes: dict[str, list[Any]],
        roles: frozenset[str],
        parts: list[Write],
        now,
        mentions: Sequence[str] | None = None,
    ) -> None:
        """One transaction: the caller's role, the live workspace (its log in order), the
        comment's own parts, the mentioned are members, and the audit event."""
        workspace_id = task.workspace_id
        mentioned = comment.mentions if mentions is None else mentions

        def change(event_id: str) -> list[Write | None]:
            return [
                writes.advance_workspace(workspace_id, event_id=event_id),
                *parts,
                *(
                    writes.require_member(workspace_id, user_id, _ANY_ROLE, f"mention:{user_id}")
                    for user_id in dict.fromkeys(mentioned)
                    # The caller's own membership is the caller's condition already (one
                    # transaction cannot name an item twice).
                    if user_id != actor_id
                ),
                self._audit.event(
                    event_id=event_id,
                    workspace_id=workspace_id,
                    actor_id=actor_id,
                    action=action,
                    target=("comment", comment.id),
                    label=task.title,
                    changes=changes,
                    at=now,
                    task_id=task.id,
                ),
            ]

        try:
            commit_in_order(self._store, change, caller=Caller(workspace_id, actor_id, roles))
        except WriteRejected as rejected:
            self._explain(rejected, task)

    def _explain(self, rejected: WriteRejected, task: Task) -> None:
        failures = rejected.failures
        explain_rejected_access(failures)
        if any(tag.startswith("mention:") for tag in failures):
            raise InvalidInput({"mentions": [_NOT_MEMBERS]}) from rejected
        if "task" in failures:
            found = failures["task"]
            if not isinstance(found, Task):
                raise NotFound(TASK_NOT_FOUND) from rejected
            if found.version != task.version:
                raise _TaskMoved from rejected
            raise LimitReached(
                f"This task has {self._limits.comments_per_task} comments, the most it may "
                "have; delete some to add more"
            ) from rejected
        if "due_entry" in failures:
            raise _TaskMoved from rejected
        if "comment" in failures:
            found = failures["comment"]
            if not isinstance(found, Comment):
                raise NotFound(COMMENT_NOT_FOUND) from rejected
            raise LostRace("The comment was changed by someone else") from rejected
        raise rejected


def _refuse_non_members(access: Access, workspace_id: str, mentions: Sequence[str]) -> None:
    for user_id in mentions:
        found = access.get(keys.membership_key(workspace_id, user_id))
        if not isinstance(found, Membership):
            raise InvalidInput({"mentions": [_NOT_MEMBERS]})


def _again_if_the_task_moved(attempt: Callable[[], Any]) -> Any:
    for _ in range(_TASK_MOVED_ATTEMPTS):
        try:
            return attempt()
        except _TaskMoved:
            continue
    raise Conflict("The task is changing faster than the comment could be written; try again")
