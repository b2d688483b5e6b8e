"""The product's limits: how many workspaces a user may own, and how many members and tasks a
workspace may hold (docs/api.md, "Limits"). They are conditions inside each write's own
transaction, so no number of concurrent requests gets past them; a change that would is 409."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import LimitReached
from app.storage.records import Record, Workspace


@dataclass(frozen=True)
class Limits:
    """The values come from the settings (MAX_OWNED_WORKSPACES and the rest)."""

    owned_workspaces: int
    members_per_workspace: int
    tasks_per_workspace: int
    pending_invitations: int = 100
    invitations_per_day: int = 50
    comments_per_task: int = 1000
    labels_per_workspace: int = 100

    def refuse_if_reached(
        self,
        failures: dict[str, Record | None],
        *,
        owner_is_caller: bool = True,
        members: int = 0,
        tasks: int = 0,
        labels: int = 0,
    ) -> None:
        """Raise LimitReached if a limit is why the transaction was cancelled."""
        if "owner_limit" in failures:
            who = "You own" if owner_is_caller else "This user owns"
            raise LimitReached(
                f"{who} {self.owned_workspaces} workspaces, the most one user may own"
            )
        workspace = failures.get("workspace")
        if not isinstance(workspace, Workspace) or workspace.deleted:
            return
        if members > 0 and workspace.member_count + members > self.members_per_workspace:
            raise LimitReached(
                f"This workspace has {self.members_per_workspace} members, the most it may have"
            )
        if labels > 0 and workspace.label_count + labels > self.labels_per_workspace:
            raise LimitReached(
                f"This workspace has {self.labels_per_workspace} labels, the most it may have"
            )
        if tasks > 0 and workspace.task_count + tasks > self.tasks_per_workspace:
            raise LimitReached(
                f"This workspace has {self.tasks_per_workspace} tasks, the most it may have; "
                "delete some to add more"
            )
