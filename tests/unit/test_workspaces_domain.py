"""Workspace use cases against the table (moto in-process): atomic writes with their audit
event, authorisation inside the transaction, and deletion."""

from __future__ import annotations

import pytest

from app.domain import errors
from app.domain.audit import AuditRecorder
from app.domain.limits import Limits
from app.domain.workspaces import Workspaces
from app.storage import keys
from app.storage.table import Store


class FakeDirectory:
    """The user pool is not what these tests are about; the integration tests use Cognito."""

    def email_of(self, user_id: str) -> str:
        return f"{user_id}@example.com"

    def find_confirmed(self, email: str):
        return None


@pytest.fixture
def store(clients, settings) -> Store:
    return Store(clients, settings.tasks_table_name)


@pytest.fixture
def workspaces(store) -> Workspaces:
    limits = Limits(owned_workspaces=50, members_per_workspace=500, tasks_per_workspace=10_000)
    return Workspaces(store, FakeDirectory(), AuditRecorder(retention_days=30), limits)


def all_items(store, workspace_id):
    partitions = [keys.workspace_pk(workspace_id), keys.audit_pk(workspace_id)]
    found = []
    for partition in partitions:
        found.extend(store.query(partition=("PK", partition), limit=100).records)
    return found


def audit(store, workspace_id):
    return store.query(
        partition=("PK", keys.audit_pk(workspace_id)), limit=100, newest_first=True
    ).records


def test_create_writes_workspace_owner_and_event_together(workspaces, store):
    view = workspaces.create("alice", "Plans")
    items = all_items(store, view.workspace.id)
    kinds = sorted(type(i).__name__ for i in items)
    assert kinds == ["AuditEvent", "Membership", "Workspace"]
    (event,) = audit(store, view.workspace.id)
    assert (event.action, event.actor_id, event.target_type, event.target_id) == (
        "workspace.created",
        "alice",
        "workspace",
        view.workspace.id,
    )
    assert event.changes == {"name": [None, "Plans"]}
    owner = next(i for i in items if type(i).__name__ == "Membership")
    assert (owner.user_id, owner.role, owner.email) == ("alice", "owner", "alice@example.com")


def test_rename_records_old_and_new(workspaces, store):
    view = workspaces.create("alice", "Old")
    renamed = workspaces.rename("alice", view.workspace.id, name="New", if_match=frozenset({1}))
    assert renamed.workspace.version == 2
    newest = audit(store, view.workspace.id)[0]
    assert newest.action == "workspace.updated"
    assert newest.changes == {"name": ["Old", "New"]}


def test_renaming_to_the_same_name_changes_nothing(workspaces, store):
    view = workspaces.create("alice", "Same")
    again = workspaces.rename("alice", view.workspace.id, name="Same", if_match=None)
    assert again.workspace.version == 1
    assert len(audit(store, view.workspace.id)) == 1


def test_a_role_revoked_between_read_and_write_cannot_write(workspaces, store, clients, settings):
    """The read says owner; the membership changes before the transaction; the transaction's
    own condition refuses, and nothing is written."""
    view = workspaces.create("alice", "Race")
    original_get_many = store.get_many

    def read_then_demote(wanted):
        found = original_get_many(wanted)
        clients.dynamodb.call(
            "UpdateItem",
            {
                "TableName": settings.tasks_table_name,
                "Key": {"PK": {"S": f"WS#{view.workspace.id}"}, "SK": {"S": "MEMBER#alice"}},
                "UpdateExpression": "SET #r = :v",
                "ExpressionAttributeNames": {"#r": "role"},
                "ExpressionAttributeValues": {":v": {"S": "viewer"}},
            },
        )
        return found

    store.get_many = read_then_demote
    with pytest.raises(errors.Forbidden):
        workspaces.rename("alice", view.workspace.id, name="Mine", if_match=None)
    store.get_many = original_get_many
    assert workspaces.get("alice", view.workspace.id).workspace.name == "Race"
    assert len(audit(store, view.workspace.id)) == 1


def test_only_members_see_a_workspace(workspaces):
    view = workspaces.create("alice", "Private")
    with pytest.raises(errors.NotFound):
        workspaces.get("mallory", view.workspace.id)
    with pytest.raises(errors.NotFound):
        workspaces.rename("mallory", view.workspace.id, name="x", if_match=None)
    with pytest.raises(errors.NotFound):
        workspaces.delete("mallory", view.workspace.id, if_match=None)


def test_delete_is_one_call_that_checks_version_and_role(workspaces, store):
    view = workspaces.create("alice", "Doomed")
    with pytest.raises(errors.PreconditionFailed):
        workspaces.delete("alice", view.workspace.id, if_match=frozenset({5}))
    workspaces.delete("alice", view.workspace.id, if_match=frozenset({1}))
    with pytest.raises(errors.NotFound):
        workspaces.get("alice", view.workspace.id)
    with pytest.raises(errors.NotFound):
        workspaces.delete("alice", view.workspace.id, if_match=None)
    actions = [e.action for e in audit(store, view.workspace.id)]
    assert actions == ["workspace.deleted", "workspace.created"]


def test_listing_skips_deleted_workspaces_and_fills_the_page(workspaces, store):
    ids = [workspaces.create("alice", f"w{i}").workspace.id for i in range(5)]
    workspaces.delete("alice", ids[3], if_match=None)
    workspaces.delete("alice", ids[4], if_match=None)
    page = workspaces.list_for("alice", limit=3, start_key=None)
    assert [v.workspace.id for v in page.records] == [ids[2], ids[1], ids[0]]
    stale = store.get_many([keys.membership_key(ids[4], "alice")])
    assert stale == {}
