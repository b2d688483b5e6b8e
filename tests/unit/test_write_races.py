"""Writes racing a revocation of their caller's access (issue 20, item 2), against the table
(moto in-process): no write may commit after the removal (or demotion) of the member making it,
whatever it writes, to whom, themself included.

A member read their membership, then the owner removed them, then their write arrived: before,
a write that targeted the caller's own membership (adding themself back, changing their own
role) carried no condition on the caller, so it went through. Here the revocation is put exactly
in that window (or before the read), for every kind of write the domain has and every role that
may make it, each combination once (the space is small: every run is the same and complete).
Direct adds are withdrawn (issue 21): people join by accepting an invitation, which is the
invitee's write on the inviter's authority, so "have their invitation accepted" is raced as the
inviter's. Invitations, comments, labels and a task's priority and labels (issues 21 and 22) are
raced as the rest.

A new kind of write is one more function decorated with `@write_kind(...)`: it gets the scene (a
workspace with an owner, the member being revoked, a bystander member, an outsider, a task and
a label, and what the kind's `prepare` made before the race) and the revoked member's services,
and makes the write.

`make test` races every kind of write by the least role that may make it, removed (and demoted
to viewer where that takes the right away) just before its commit, and the writes that name the
caller's own membership by every role (53 races); `make races` (RACES_ALL=1) runs every
combination, both revocations at both moments (236 races).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from app.aws.clients import AwsClients
from app.aws.directory import DirectoryUser
from app.config import Settings
from app.domain import errors
from app.domain.audit import AuditRecorder
from app.domain.comments import Comments
from app.domain.invitations import Invitations
from app.domain.labels import Labels
from app.domain.limits import Limits
from app.domain.members import Members
from app.domain.roles import Role
from app.domain.tasks import Tasks
from app.domain.workspaces import Workspaces
from app.storage import keys
from app.storage.records import AuditEvent, Membership
from app.storage.table import Store
from devstack import moto_server
from devstack.provision import LocalProvisioner
from tests.support.domain import email_of, join

REGION = "us-east-1"

WRITERS = (Role.OWNER, Role.ADMIN, Role.MEMBER)
ADMINS = (Role.OWNER, Role.ADMIN)
EVERYONE = tuple(Role)


class Directory:
    """Every user id is a confirmed user with the verified address <id>@example.com."""

    def email_of(self, user_id: str) -> str:
        return email_of(user_id)

    def find_confirmed(self, email: str) -> DirectoryUser | None:
        return DirectoryUser(user_id=email.split("@", maxsplit=1)[0], email=email)

    def verified_email_of(self, user_id: str) -> str:
        return email_of(user_id)


@dataclass(frozen=True)
class Services:
    workspaces: Workspaces
    members: Members
    invitations: Invitations
    tasks: Tasks
    comments: Comments
    labels: Labels


def services(store: Any) -> Services:
    limits = Limits(owned_workspaces=10_000, members_per_workspace=500, tasks_per_workspace=10_000)
    recorder = AuditRecorder(retention_days=30)
    return Services(
        Workspaces(store, Directory(), recorder, limits),
        Members(store, recorder, limits),
        Invitations(store, Directory(), recorder, limits),
        Tasks(store, recorder, limits),
        Comments(store, recorder, limits),
        Labels(store, recorder, limits),
    )


@dataclass(frozen=True)
class Scene:
    workspace_id: str
    owner: str
    member: str  # the one whose access is revoked
    role: str  # theirs, before
    bystander: str  # a plain member
    outsider: str  # not a member
    task_id: str
    label_id: str
    # What a kind prepares before the race, if anything (WriteKind.prepare).
    prepared: str = ""


@dataclass(frozen=True)
class WriteKind:
    name: str
    roles: tuple[str, ...]  # the roles that may make it
    write: Callable[[Services, Scene], object]
    # Run before the race, with nobody's access revoked yet; returns what `write` needs.
    prepare: Callable[[Services, Scene], str] | None = None
    # Raced for every role in `make test` too (the writes that name the caller's own membership).
    every_role: bool = False


WRITE_KINDS: list[WriteKind] = []


def write_kind(
    name: str,
    roles: tuple[str, ...],
    prepare: Callable[[Services, Scene], str] | None = None,
    *,
    every_role: bool = False,
):
    def register(write: Callable[[Services, Scene], object]):
        WRITE_KINDS.append(WriteKind(name, roles, write, prepare, every_role))
        return write

    return register


@write_kind("create a task", WRITERS)
def _create_task(done: Services, scene: Scene):
    return done.tasks.create(scene.member, scene.workspace_id, {"title": "late"})


@write_kind("update a task", WRITERS)
def _update_task(done: Services, scene: Scene):
    return done.tasks.update(
        scene.member, scene.workspace_id, scene.task_id, {"title": "late"}, if_match=None
    )


@write_kind("assign a task to themself", WRITERS)
def _assign_to_self(done: Services, scene: Scene):
    return done.tasks.update(
        scene.member,
        scene.workspace_id,
        scene.task_id,
        {"assignee_id": scene.member},
        if_match=None,
    )


@write_kind("delete a task", WRITERS)
def _delete_task(done: Services, scene: Scene):
    return done.tasks.delete(scene.member, scene.workspace_id, scene.task_id, if_match=None)


@write_kind("set a task's priority", WRITERS)
def _prioritise(done: Services, scene: Scene):
    return done.tasks.update(
        scene.member, scene.workspace_id, scene.task_id, {"priority": "urgent"}, if_match=None
    )


@write_kind("label a task", WRITERS)
def _label_task(done: Services, scene: Scene):
    return done.tasks.update(
        scene.member, scene.workspace_id, scene.task_id, {"labels": [scene.label_id]}, if_match=None
    )


@write_kind("create a label", WRITERS)
def _create_label(done: Services, scene: Scene):
    return done.labels.create(scene.member, scene.workspace_id, "late", "red")


@write_kind("rename a label", WRITERS)
def _rename_label(done: Services, scene: Scene):
    return done.labels.update(
        scene.member, scene.workspace_id, scene.label_id, {"name": "late"}, if_match=None
    )


@write_kind("delete a label", WRITERS)
def _delete_label(done: Services, scene: Scene):
    return done.labels.delete(scene.member, scene.workspace_id, scene.label_id, if_match=None)


@write_kind("comment on a task", WRITERS)
def _comment(done: Services, scene: Scene):
    return done.comments.create(scene.member, scene.workspace_id, scene.task_id, body="late")


@write_kind("mention themself in a comment", WRITERS, every_role=True)
def _mention_themself(done: Services, scene: Scene):
    # The caller's own membership is both their condition and a mention's: one part.
    return done.comments.create(
        scene.member, scene.workspace_id, scene.task_id, body="late", mentions=[scene.member]
    )


def _their_comment(done: Services, scene: Scene) -> str:
    return done.comments.create(scene.member, scene.workspace_id, scene.task_id, body="mine").id


def _someone_elses_comment(done: Services, scene: Scene) -> str:
    return done.comments.create(scene.bystander, scene.workspace_id, scene.task_id, body="x").id


@write_kind("edit their comment", WRITERS, prepare=_their_comment)
def _edit_comment(done: Services, scene: Scene):
    return done.comments.update(
        scene.member,
        scene.workspace_id,
        scene.task_id,
        scene.prepared,
        {"body": "late"},
        if_match=None,
    )


@write_kind("delete their comment", WRITERS, prepare=_their_comment)
def _delete_own_comment(done: Services, scene: Scene):
    return done.comments.delete(
        scene.member, scene.workspace_id, scene.task_id, scene.prepared, if_match=None
    )


@write_kind("delete someone's comment", ADMINS, prepare=_someone_elses_comment)
def _delete_someones_comment(done: Services, scene: Scene):
    return done.comments.delete(
        scene.member, scene.workspace_id, scene.task_id, scene.prepared, if_match=None
    )


@write_kind("rename the workspace", ADMINS)
def _rename(done: Services, scene: Scene):
    return done.workspaces.rename(scene.member, scene.workspace_id, name="late", if_match=None)


@write_kind("invite someone", ADMINS)
def _invite_someone(done: Services, scene: Scene):
    email = email_of(scene.outsider)
    return done.invitations.create(scene.member, scene.workspace_id, email=email, role=Role.VIEWER)


@write_kind("invite themself back", ADMINS, every_role=True)
def _invite_themself(done: Services, scene: Scene):
    # The reported race was an admin or owner adding themself back while being removed; direct
    # adds are gone (issue 21), and an invitation to their own address is what replaced it.
    role = Role.OWNER if scene.role == Role.OWNER else Role.VIEWER
    email = email_of(scene.member)
    return done.invitations.create(scene.member, scene.workspace_id, email=email, role=role)


def _owners_invitation(done: Services, scene: Scene) -> str:
    email = email_of(scene.outsider)
    return done.invitations.create(
        scene.owner, scene.workspace_id, email=email, role=Role.VIEWER
    ).id


def _their_invitation(done: Services, scene: Scene) -> str:
    email = email_of(scene.outsider)
    return done.invitations.create(
        scene.member, scene.workspace_id, email=email, role=Role.VIEWER
    ).id


@write_kind("revoke an invitation", ADMINS, prepare=_owners_invitation)
def _revoke(done: Services, scene: Scene):
    return done.invitations.revoke(scene.member, scene.workspace_id, scene.prepared)


@write_kind("have their invitation accepted", ADMINS, prepare=_their_invitation)
def _accepted(done: Services, scene: Scene):
    # Made by the invitee, on the revoked member's authority: the inviter's membership and
    # role are the accept's condition.
    return done.invitations.accept(scene.outsider, scene.prepared)


@write_kind("change someone's role", ADMINS)
def _change_someone(done: Services, scene: Scene):
    return done.members.change_role(
        scene.member, scene.workspace_id, scene.bystander, role=Role.VIEWER
    )


@write_kind("change their own role", (Role.OWNER,), every_role=True)
def _change_own(done: Services, scene: Scene):
    return done.members.change_role(scene.member, scene.workspace_id, scene.member, role=Role.ADMIN)


@write_kind("remove someone", ADMINS)
def _remove_someone(done: Services, scene: Scene):
    return done.members.remove(scene.member, scene.workspace_id, scene.bystander)


@write_kind("leave", EVERYONE, every_role=True)
def _leave(done: Services, scene: Scene):
    return done.members.remove(scene.member, scene.workspace_id, scene.member)


@write_kind("delete the workspace", (Role.OWNER,))
def _delete_workspace(done: Services, scene: Scene):
    return done.workspaces.delete(scene.member, scene.workspace_id, if_match=None)


# -- the revocations, and when they land ------------------------------------------------------


def _remove(owner: Services, scene: Scene) -> None:
    owner.members.remove(scene.owner, scene.workspace_id, scene.member)


def _demote(owner: Services, scene: Scene) -> None:
    owner.members.change_role(scene.owner, scene.workspace_id, scene.member, role=Role.VIEWER)


REVOCATIONS = {"removed": _remove, "demoted to viewer": _demote}


class RacedBeforeCommit:
    """The store as one party's services see it: `race` commits just before each of their
    first `times` transactions is sent, after everything they read for it."""

    def __init__(self, store: Store, race: Callable[[], object], times: int = 1):
        self._store = store
        self._race = race
        self._times = times

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def transact(self, writes) -> None:
        if self._times > 0:
            self._times -= 1
            self._race()
        return self._store.transact(writes)


class RacedAfterRead:
    """The store as one party's services see it: `race` commits just after each of their first
    `times` reads, before whatever they write from it."""

    def __init__(self, store: Store, race: Callable[[], object], times: int):
        self._store = store
        self._race = race
        self._times = times

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def get_many(self, wanted):
        found = self._store.get_many(wanted)
        if self._times > 0:
            self._times -= 1
            self._race()
        return found


def _scene(owner: Services, role: str, number: int) -> Scene:
    name = f"race{number}"
    workspace_id = owner.workspaces.create(f"{name}-owner", "Race").workspace.id
    scene = Scene(
        workspace_id=workspace_id,
        owner=f"{name}-owner",
        member=f"{name}-member",
        role=role,
        bystander=f"{name}-bystander",
        outsider=f"{name}-outsider",
        task_id="",
        label_id="",
    )
    for user, as_role in ((scene.member, role), (scene.bystander, Role.MEMBER)):
        join(owner, scene.owner, workspace_id, user, as_role)
    task = owner.tasks.create(scene.owner, workspace_id, {"title": "shared"})
    label = owner.labels.create(scene.owner, workspace_id, "shared", "blue")
    return dataclasses.replace(scene, task_id=task.id, label_id=label.id)


def _events(store: Store, workspace_id: str) -> list[AuditEvent]:
    page = store.query(partition=("PK", keys.audit_pk(workspace_id)), limit=100)
    return [e for e in page.records if isinstance(e, AuditEvent)]


def _cases():
    for kind in WRITE_KINDS:
        for role in kind.roles:
            for revocation in REVOCATIONS:
                if revocation == "demoted to viewer" and Role.VIEWER in kind.roles:
                    continue  # a viewer may still do it: nothing to refuse
                if revocation == "demoted to viewer" and role == Role.VIEWER:
                    continue
                yield kind, role, revocation


ALL = os.environ.get("RACES_ALL") == "1"
CASES = list(_cases())
MOMENTS = ("before the read", "before the commit")


def _races() -> list[tuple[WriteKind, str, str, str]]:
    if ALL:
        return [(*case, moment) for case in CASES for moment in MOMENTS]
    chosen = []
    for kind, role, revocation in CASES:
        least = max(kind.roles, key=list(Role).index) == role
        if least or (kind.every_role and revocation == "removed"):
            chosen.append((kind, role, revocation, "before the commit"))
    return chosen


@pytest.fixture(scope="module")
def table() -> Iterator[tuple[Store, Any]]:
    """moto in-process with the addons provisioned, for the whole module (the races clean up
    after themselves): the service's store, and the table for the test's own reads."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        # Transactions as the local emulator runs them (conditions first, as DynamoDB checks
        # them; no copy of the table per part): moto's own took a second each here.
        patch.setattr(DynamoDBBackend, "transact_write_items", moto_server._conditions_first)
        with mock_aws():
            session = boto3.session.Session(region_name=REGION)
            provisioner = LocalProvisioner(session, app="unit", env="t", progress=lambda _m: None)
            environment = {**provisioner.run().service_environment, "AWS_REGION": REGION}
            settings = Settings.from_env(environment)
            yield (
                Store(AwsClients(settings), settings.tasks_table_name),
                session.resource("dynamodb").Table(settings.tasks_table_name),
            )


@pytest.fixture
def store(table) -> Store:
    return table[0]


def _race(store: Store, kind: WriteKind, role: str, revocation: str, moment: str, number: int):
    """One race; returns what went wrong, if anything."""
    owner = services(store)
    scene = _scene(owner, role, number)
    if kind.prepare is not None:
        scene = dataclasses.replace(scene, prepared=kind.prepare(owner, scene))
    revocations = []

    def revoke() -> None:
        REVOCATIONS[revocation](owner, scene)
        revocations.append(revocation)

    if moment == "before the read":
        revoke()
        revoked = services(store)
    else:
        revoked = services(RacedBeforeCommit(store, revoke))
    try:
        kind.write(revoked, scene)
    except errors.DomainError:
        pass
    else:
        return "the write succeeded"
    if not revocations:
        return "refused before it reached its commit: the race never ran"
    events = sorted(_events(store, scene.workspace_id), key=lambda e: e.id)
    revoked_at = max(
        e.id
        for e in events
        if e.target_id == scene.member and e.action in ("member.removed", "member.role_changed")
    )
    late = [e.action for e in events if e.id > revoked_at]
    if late:
        return f"committed after the revocation: {late}"
    membership_key = keys.membership_key(scene.workspace_id, scene.member)
    found = store.get_many([membership_key]).get((membership_key["PK"], membership_key["SK"]))
    if revocation == "removed" and found is not None:
        return "a member again"
    if revocation != "removed" and not (
        isinstance(found, Membership) and found.role == Role.VIEWER
    ):
        return f"no longer a viewer: {found}"
    return None


def _empty(table: Any) -> None:
    """moto copies the whole table for each transaction: kept small, a race costs the same at
    the hundredth as at the first."""
    items = table.scan(ProjectionExpression="PK, SK")["Items"]
    with table.batch_writer() as batch:
        for item in items:
            batch.delete_item(Key=item)


def test_no_write_commits_after_its_caller_lost_access(table):
    """Every kind of write, by every role that may make it, raced by the caller's removal or
    demotion to viewer, landing before the caller's read or between the read and the commit:
    the write is refused and nothing of it commits."""
    store, items = table
    failures = []
    races = _races()
    for number, (kind, role, revocation, moment) in enumerate(races):
        wrong = _race(store, kind, role, revocation, moment, number)
        if wrong:
            failures.append(f"{kind.name} by a {role} {revocation} {moment}: {wrong}")
        _empty(items)
    print(f"\n{len(races)} races, {len(failures)} failed")
    assert failures == []


# -- DELETE with If-Match: * against concurrent updates (issue 20, item 9) --------------------


def _task_events(store: Store, scene: Scene) -> list[str]:
    events = sorted(_events(store, scene.workspace_id), key=lambda e: e.id)
    return [e.action for e in events if e.target_id == scene.task_id]


def _updates_racing(store: Store, times: int, number: int = 0) -> tuple[Scene, Services]:
    """A scene whose member deletes the task while the owner updates it right after each of
    the member's first `times` reads of it."""
    owner = services(store)
    scene = _scene(owner, Role.MEMBER, number)
    edits = iter(range(times))

    def update() -> None:
        owner.tasks.update(
            scene.owner,
            scene.workspace_id,
            scene.task_id,
            {"title": f"edit {next(edits)}"},
            if_match=None,
        )

    return scene, services(RacedAfterRead(store, update, times))


def test_a_delete_of_any_version_is_applied_to_the_version_now_current(store):
    """Before, a delete read the task again at most three times and then answered 412, though
    `*` names every version (6 of 8 rounds against 19 PATCH loops)."""
    scene, deleter = _updates_racing(store, times=6)
    deleter.tasks.delete(scene.member, scene.workspace_id, scene.task_id, if_match=None)
    assert _task_events(store, scene) == ["task.created", *["task.updated"] * 6, "task.deleted"]


def test_a_delete_of_a_version_that_lost_its_race_is_412_and_past_the_tries_409(store):
    scene, deleter = _updates_racing(store, times=1)
    with pytest.raises(errors.PreconditionFailed, match="at version 2"):
        deleter.tasks.delete(
            scene.member, scene.workspace_id, scene.task_id, if_match=frozenset({1})
        )
    scene, deleter = _updates_racing(store, times=1_000, number=1)  # after every read
    with pytest.raises(errors.Conflict):
        deleter.tasks.delete(scene.member, scene.workspace_id, scene.task_id, if_match=None)
    assert _task_events(store, scene)[-1] == "task.updated"


def test_an_invitation_to_ones_own_address_is_409_and_names_the_membership_once(store):
    """The invitee's "not a member" condition and the caller's own are on one item when the
    caller invites their own address: one part carries both (writes.on_behalf_of). Two parts
    would be a transaction DynamoDB refuses as invalid (a 500), which the local emulator now
    refuses as DynamoDB does, whatever the conditions."""
    owner = services(store)
    scene = _scene(owner, Role.ADMIN, 900)
    with pytest.raises(errors.Conflict, match="A member of the workspace has this email"):
        owner.invitations.create(
            scene.member, scene.workspace_id, email=email_of(scene.member), role=Role.VIEWER
        )
