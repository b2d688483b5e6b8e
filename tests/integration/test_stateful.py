"""A stateful property test (issue 9, item 19): random sequences of operations by four users,
run against the real service over HTTP and against a model of the contract (docs/api.md: roles,
memberships and the invitations people join by, versions, tasks, the audit log), checking every
response's status and the state and the log after every step.

The stream functions are paused throughout: the notifier deletes withdrawn invitations in the
background (seconds later), which the model leaves out; what the contract guarantees at once
(a withdrawn invitation cannot be accepted) is what it checks.

The model is written from the contract, not from the code: it imports nothing from `app`.

In `make test` it runs a fixed number of examples, derandomized, so every run is the same.
More on demand: `make stateful` runs 200 examples from a fresh seed that it prints (repeat one
with `make stateful SEED=<n>`); STATEFUL_EXAMPLES and STATEFUL_STEPS set the numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.support.http import ApiClient
from tests.support.stack import running_stack

EXAMPLES = int(os.environ.get("STATEFUL_EXAMPLES", "8"))
STEPS = int(os.environ.get("STATEFUL_STEPS", "25"))
# Set by `make stateful`, which passes its seed to pytest (--hypothesis-seed).
RANDOM = os.environ.get("STATEFUL_RANDOM") == "1"
NAMES = st.text(alphabet="abcXYZ019 éß漢字", min_size=1, max_size=8).filter(str.strip)

ROLES = ("owner", "admin", "member", "viewer")
RANK = {role: rank for rank, role in enumerate(reversed(ROLES))}  # viewer 0 .. owner 3
STATUSES = ("todo", "in_progress", "done")
PEOPLE = ("ana", "ben", "cho", "dev")
STATS = {}


# -- the contract's rules, as docs/api.md states them ---------------------------------------


def may_edit_tasks(role: str | None) -> bool:
    return role in ("owner", "admin", "member")


def may_manage(role: str | None, old: str | None, new: str | None) -> bool:
    """Admins add, remove and change between member and viewer; owners do anything."""
    ordinary = {r for r in (old, new) if r is not None} <= {"member", "viewer"}
    return role == "owner" or (role == "admin" and ordinary)


@dataclass
class Task:
    id: str
    title: str
    status: str = "todo"
    assignee: str | None = None
    version: int = 1


@dataclass
class Invitation:
    id: str
    email: str
    role: str
    inviter: str


@dataclass
class Workspace:
    id: str
    name: str
    members: dict[str, str]  # user id -> role
    version: int = 1
    # email -> the pending invitation to it (withdrawn ones too: their removal is background)
    invitations: dict[str, Invitation] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    # (action, target id), oldest first
    events: list[tuple[str, str]] = field(default_factory=list)
    deleted: bool = False

    def role_of(self, user_id: str) -> str | None:
        return None if self.deleted else self.members.get(user_id)

    def owners(self) -> int:
        return sum(role == "owner" for role in self.members.values())

    def stands_behind(self, invitation: Invitation) -> bool:
        """Whether the inviter may still send it: else it is withdrawn."""
        return may_manage(self.role_of(invitation.inviter), None, invitation.role)


@pytest.fixture(scope="module")
def people(emulator):
    # Users own many workspaces over all the examples; the owned-workspaces limit is not what
    # this test is about (tests/integration/test_limits.py is).
    limits = {"MAX_OWNED_WORKSPACES": "10000", "MAX_INVITATIONS_PER_DAY": "10000"}
    with running_stack(extra_environment=limits) as stack, stack.stack.streams.paused():
        users = [stack.user(f"{name}-{os.getpid()}@example.com") for name in PEOPLE]
        yield [(u.user_id, u.email, ApiClient(stack.api, u.access_token)) for u in users]


def _status(response) -> int:
    assert response.status_code < 500, (response.status_code, response.text)
    return response.status_code


class Contract(RuleBasedStateMachine):
    people: list[tuple[str, str, ApiClient]] = []

    def __init__(self):
        super().__init__()
        self.workspaces: list[Workspace] = []
        self.touched: Workspace | None = None

    # -- helpers ----------------------------------------------------------------------------

    def _who(self, data, label: str = "actor", among: Workspace | None = None):
        """Anyone; or, when `among` is given, most often one of its members (strangers are
        tried too, but most rules are about what members may do)."""
        if among is None or among.deleted:
            return data.draw(st.sampled_from(self.people), label=label)
        members = [p for p in self.people if p[0] in among.members]
        return data.draw(st.sampled_from(members * 3 + self.people), label=label)

    def _live(self) -> list[Workspace]:
        return [w for w in self.workspaces if not w.deleted]

    def _workspace(self, data) -> Workspace:
        """Most often a live workspace; now and then a deleted one (all of it is 404)."""
        choices = self._live() * 4 + self.workspaces
        workspace = data.draw(st.sampled_from(choices), label="workspace")
        self.touched = workspace
        return workspace

    def _expect(self, response, expected: int, what: str) -> None:
        STATS[what] = STATS.get(what, 0) + 1
        assert _status(response) == expected, (what, expected, response.status_code, response.text)

    # -- workspaces -------------------------------------------------------------------------

    @initialize(roles=st.lists(st.sampled_from((*ROLES, None)), min_size=3, max_size=3))
    def a_team(self, roles):
        """Each example starts with a workspace of the first person, the others in it with
        roles drawn at random (or not in it), so that the rules meet every role at once."""
        owner_id, _, owner = self.people[0]
        response = owner.post("/workspaces", json={"name": "Team"})
        self._expect(response, 201, "create the team")
        workspace = Workspace(response.json()["id"], "Team", {owner_id: "owner"})
        workspace.events.append(("workspace.created", workspace.id))
        for (user_id, email, client), role in zip(self.people[1:], roles, strict=True):
            if role is not None:
                invited = owner.post(
                    f"/workspaces/{workspace.id}/invitations", json={"email": email, "role": role}
                )
                self._expect(invited, 201, "invite to the team")
                accepted = client.post(f"/me/invitations/{invited.json()['id']}/accept")
                self._expect(accepted, 201, "join the team")
                workspace.members[user_id] = role
                workspace.events.append(("invitation.created", invited.json()["id"]))
                workspace.events.append(("member.added", user_id))
        self.workspaces.append(workspace)
        self.touched = workspace

    @precondition(lambda self: len(self._live()) < 2)
    @rule(data=st.data(), name=NAMES)
    def create_workspace(self, data, name):
        user_id, _, client = self._who(data)
        response = client.post("/workspaces", json={"name": name})
        self._expect(response, 201, "create workspace")
        body = response.json()
        assert (body["name"], body["role"], body["version"]) == (name, "owner", 1)
        workspace = Workspace(body["id"], name, {user_id: "owner"})
        workspace.events.append(("workspace.created", workspace.id))
        self.workspaces.append(workspace)
        self.touched = workspace

    @precondition(lambda self: self.workspaces)
    @rule(data=st.data(), stale=st.booleans())
    def rename_workspace(self, data, stale):
        workspace = self._workspace(data)
        user_id, _, client = self._who(data, among=workspace)
        role = workspace.role_of(user_id)
        name = f"{workspace.name}+"
        version = workspace.version - 1 if stale else workspace.version
        response = client.patch(
            f"/workspaces/{workspace.id}", json={"name": name}, headers={"If-Match": f'"{version}"'}
        )
        if version == 0:
            return self._expect(response, 412, "a version no workspace has, before any read")
        if role is None:
            return self._expect(response, 404, "rename by a non-member")
        if role not in ("owner", "admin"):
            return self._expect(response, 403, "rename by a member or viewer")
        if stale:
            return self._expect(response, 412, "rename with a stale version")
        self._expect(response, 200, "rename")
        workspace.name, workspace.version = name, workspace.version + 1
        assert response.json()["version"] == workspace.version
        workspace.events.append(("workspace.updated", workspace.id))

    # Deleting ends a workspace's story; only once it has had one (a few changes) is it tried.
    @precondition(lambda self: any(len(w.events) >= 6 for w in self._live()))
    @rule(data=st.data())
    def delete_workspace(self, data):
        workspace = self._workspace(data)
        user_id, _, client = self._who(data, among=workspace)
        role = workspace.role_of(user_id)
        response = client.delete(f"/workspaces/{workspace.id}", headers={"If-Match": "*"})
        if role is None:
            return self._expect(response, 404, "delete by a non-member")
        if role != "owner":
            return self._expect(response, 403, "delete by a non-owner")
        self._expect(response, 204, "delete workspace")
        workspace.events.append(("workspace.deleted", workspace.id))
        workspace.deleted = True

    # -- members ----------------------------------------------------------------------------

    @precondition(lambda self: self.workspaces)
    @rule(data=st.data(), role=st.sampled_from(ROLES))
    def invite(self, data, role):
        workspace = self._workspace(data)
        user_id, _, client = self._who(data, among=workspace)
        target_id, target_email, _ = self._who(data, "target")
        actor_role = workspace.role_of(user_id)
        response = client.post(
            f"/workspaces/{workspace.id}/invitations", json={"email": target_email, "role": role}
        )
        if actor_role is None:
            return self._expect(response, 404, "invite by a non-member")
        if not may_manage(actor_role, None, role):
            return self._expect(response, 403, "invite beyond the caller's role")
        if target_id in workspace.members:
            return self._expect(response, 409, "invite a member")
        if target_email in workspace.invitations:
            return self._expect(response, 409, "invite an address with a pending invitation")
        self._expect(response, 201, "invite")
        invitation = Invitation(response.json()["id"], target_email, role, user_id)
        workspace.invitations[target_email] = invitation
        workspace.events.append(("invitation.created", invitation.id))

    def _invitation(self, data) -> tuple[Workspace, Invitation]:
        candidates = [(w, i) for w in self.workspaces for i in w.invitations.values()]
        workspace, invitation = data.draw(st.sampled_from(candidates), label="invitation")
        self.touched = workspace
        return workspace, invitation

    @precondition(lambda self: any(w.invitations for w in self.workspaces))
    @rule(data=st.data(), decline=st.booleans())
    def answer(self, data, decline):
        """The invited person accepts or declines; now and then someone else tries."""
        workspace, invitation = self._invitation(data)
        holder = next(p for p in self.people if p[1] == invitation.email)
        user_id, _, client = data.draw(st.sampled_from([holder] * 3 + self.people), label="who")
        verb = "decline" if decline else "accept"
        response = client.post(f"/me/invitations/{invitation.id}/{verb}")
        if user_id != holder[0] or workspace.deleted:
            return self._expect(response, 404, f"{verb} someone else's or a deleted one's")
        if decline:
            self._expect(response, 204, "decline")
            del workspace.invitations[invitation.email]
            workspace.events.append(("invitation.declined", invitation.id))
            return None
        if not workspace.stands_behind(invitation):
            return self._expect(response, 404, "accept a withdrawn invitation")
        if user_id in workspace.members:
            return self._expect(response, 409, "accept as a member already")
        self._expect(response, 201, "accept")
        del workspace.invitations[invitation.email]
        workspace.members[user_id] = invitation.role
        workspace.events.append(("member.added", user_id))
        return None

    @precondition(lambda self: any(w.invitations for w in self.workspaces))
    @rule(data=st.data())
    def revoke(self, data):
        workspace, invitation = self._invitation(data)
        user_id, _, client = self._who(data, among=workspace)
        actor_role = workspace.role_of(user_id)
        response = client.delete(f"/workspaces/{workspace.id}/invitations/{invitation.id}")
        if actor_role is None:
            return self._expect(response, 404, "revoke by a non-member")
        if not may_manage(actor_role, None, invitation.role):
            return self._expect(response, 403, "revoke beyond the caller's role")
        self._expect(response, 204, "revoke")
        del workspace.invitations[invitation.email]
        workspace.events.append(("invitation.revoked", invitation.id))
        return None

    @precondition(lambda self: self.workspaces)
    @rule(data=st.data(), role=st.sampled_from(ROLES))
    def change_role(self, data, role):
        workspace = self._workspace(data)
        user_id, _, client = self._who(data, among=workspace)
        target_id, _, _ = self._who(data, "target", among=workspace)
        actor_role, old = workspace.role_of(user_id), workspace.members.get(target_id)
        response = client.patch(
            f"/workspaces/{workspace.id}/members/{target_id}", json={"role": role}
        )
        if actor_role is None or old is None:
            return self._expect(response, 404, "change the role of a non-member")
        if not may_manage(actor_role, old, role):
            return self._expect(response, 403, "change beyond the caller's role")
        if old == role:
            return self._expect(response, 200, "change to the same role")
        if old == "owner" and workspace.owners() == 1:
            return self._expect(response, 409, "demote the last owner")
        self._expect(response, 200, "change role")
        workspace.members[target_id] = role
        workspace.events.append(("member.role_changed", target_id))

    @precondition(lambda self: self.workspaces)
    @rule(data=st.data())
    def remove_member(self, data):
        workspace = self._workspace(data)
        user_id, _, client = self._who(data, among=workspace)
        target_id, _, _ = self._who(data, "target", among=workspace)
        actor_role, old = workspace.role_of(user_id), workspace.members.get(target_id)
        response = client.delete(f"/workspaces/{workspace.id}/members/{target_id}")
        if actor_role is None or old is None:
            return self._expect(response, 404, "remove a non-member")
        leaving = target_id == user_id
        if not leaving and not may_manage(actor_role, old, None):
            return self._expect(response, 403, "remove beyond the caller's role")
        if old == "owner" and workspace.owners() == 1:
            return self._expect(response, 409, "remove the last owner")
        self._expect(response, 204, "remove member")
        del workspace.members[target_id]
        workspace.events.append(("member.removed", target_id))

    # -- tasks ------------------------------------------------------------------------------

    @precondition(lambda self: self.workspaces)
    @rule(data=st.data(), assign=st.booleans())
    def create_task(self, data, assign):
        workspace = self._workspace(data)
        user_id, _, client = self._who(data, among=workspace)
        assignee = self._who(data, "assignee")[0] if assign else None
        role = workspace.role_of(user_id)
        response = client.post(
            f"/workspaces/{workspace.id}/tasks", json={"title": "T", "assignee_id": assignee}
        )
        if role is None:
            return self._expect(response, 404, "task by a non-member")
        if not may_edit_tasks(role):
            return self._expect(response, 403, "task by a viewer")
        if assignee is not None and assignee not in workspace.members:
            return self._expect(response, 422, "task for a non-member")
        self._expect(response, 201, "create task")
        task = Task(response.json()["id"], "T", assignee=assignee)
        workspace.tasks[task.id] = task
        workspace.events.append(("task.created", task.id))

    def _task(self, data) -> tuple[Workspace, Task]:
        candidates = [(w, t) for w in self.workspaces for t in w.tasks.values()]
        candidates = [(w, t) for w, t in candidates if not w.deleted] * 4 + candidates
        workspace, task = data.draw(st.sampled_from(candidates), label="task")
        self.touched = workspace
        return workspace, task

    @precondition(lambda self: any(w.tasks for w in self.workspaces))
    @rule(
        data=st.data(),
        status=st.sampled_from(STATUSES),
        reassign=st.sampled_from(["keep", "nobody", "someone"]),
        stale=st.booleans(),
    )
    def update_task(self, data, status, reassign, stale):
        workspace, task = self._task(data)
        user_id, _, client = self._who(data, among=workspace)
        change: dict[str, Any] = {"status": status}
        assignee = task.assignee
        if reassign == "nobody":
            change["assignee_id"] = assignee = None
        elif reassign == "someone":
            change["assignee_id"] = assignee = self._who(data, "assignee")[0]
        version = task.version - 1 if stale else task.version
        response = client.patch(
            f"/workspaces/{workspace.id}/tasks/{task.id}",
            json=change,
            headers={"If-Match": f'"{version}"'},
        )
        role = workspace.role_of(user_id)
        if version == 0:
            return self._expect(response, 412, "a version no task has, before any read")
        if role is None:
            return self._expect(response, 404, "update by a non-member")
        if not may_edit_tasks(role):
            return self._expect(response, 403, "update by a viewer")
        if stale:
            return self._expect(response, 412, "update with a stale version")
        if assignee is not None and assignee not in workspace.members:
            return self._expect(response, 422, "update leaving a non-member assigned")
        self._expect(response, 200, "update task")
        if (status, assignee) != (task.status, task.assignee):
            task.status, task.assignee, task.version = status, assignee, task.version + 1
            workspace.events.append(("task.updated", task.id))
        assert response.json()["version"] == task.version

    @precondition(lambda self: any(w.tasks for w in self.workspaces))
    @rule(data=st.data())
    def delete_task(self, data):
        workspace, task = self._task(data)
        user_id, _, client = self._who(data, among=workspace)
        response = client.delete(
            f"/workspaces/{workspace.id}/tasks/{task.id}", headers={"If-Match": f'"{task.version}"'}
        )
        role = workspace.role_of(user_id)
        if role is None:
            return self._expect(response, 404, "delete by a non-member")
        if not may_edit_tasks(role):
            return self._expect(response, 403, "delete by a viewer")
        self._expect(response, 204, "delete task")
        del workspace.tasks[task.id]
        workspace.events.append(("task.deleted", task.id))

    # -- the state and the log, after every step ---------------------------------------------

    @invariant()
    def the_service_holds_what_the_model_holds(self):
        workspace = self.touched
        if workspace is None:
            return
        clients = {user_id: client for user_id, _, client in self.people}
        if workspace.deleted:
            for client in clients.values():
                assert client.get(f"/workspaces/{workspace.id}").status_code == 404
            return
        owner = clients[next(u for u, r in workspace.members.items() if r == "owner")]
        members = owner.all_items(f"/workspaces/{workspace.id}/members")
        assert {m["user_id"]: m["role"] for m in members} == workspace.members
        pending = owner.all_items(f"/workspaces/{workspace.id}/invitations")
        assert {i["email"]: (i["id"], i["role"]) for i in pending} == {
            email: (i.id, i.role) for email, i in workspace.invitations.items()
        }
        tasks = owner.all_items(f"/workspaces/{workspace.id}/tasks")
        assert {t["id"]: (t["status"], t["assignee_id"], t["version"]) for t in tasks} == {
            t.id: (t.status, t.assignee, t.version) for t in workspace.tasks.values()
        }
        events = owner.all_items(f"/workspaces/{workspace.id}/audit")
        assert [(e["action"], e["target"]["id"]) for e in reversed(events)] == workspace.events
        for user_id, client in clients.items():
            if user_id not in workspace.members:
                assert client.get(f"/workspaces/{workspace.id}").status_code == 404


def test_random_multi_user_sequences_keep_the_contract(people):
    Contract.people = people
    run_state_machine_as_test(
        Contract,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            derandomize=not RANDOM,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    print(sorted(STATS.items()))
