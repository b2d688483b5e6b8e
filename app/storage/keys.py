"""The single-table key layout (docs/data-model.md). Every key string is built here and only here.

| item        | PK            | SK              | index keys                                   |
|-------------|---------------|-----------------|----------------------------------------------|
| workspace   | WS#<wid>      | META            |                                              |
| membership  | WS#<wid>      | MEMBER#<sub>    | ByUser: UserKey=USER#<sub>, sort PK          |
| task        | WS#<wid>      | TASK#<tid>      | ByStatus / ByAssignee / ByAssigneeStatus,    |
|             |               |                 | AssignedByDue: AssignedKey=ASSIGNED#<sub>    |
| due entry   | WS#<wid>      | DUE#<due order> | the same, AssignedKey=ASSIGNED#<sub>#STATUS# |
| priority entry | WS#<wid>   | PRI#<priority order> | the same, AssignedKey=ASSIGNED#<sub>#OPEN  |
|             |               |                 | (only while the task is not done)            |
| label entry | WS#<wid>      | LABELLED#<lid>#<tid> | (a task that has a label)               |
| word entry  | WS#<wid>      | WORD#<term>#<tid> | (a word of a task's title; the task-index  |
|             |               |                 |  function writes these, lambdas/task_index)  |
| label       | WS#<wid>      | LABEL#<lid>     |                                              |
| label name  | WS#<wid>      | LABELNAME#<folded name> | (one label per name, ignoring case)  |
| audit event | AUDIT#<wid>   | <event id>      |                                              |
| user limits | USER#<sub>    | LIMITS          | (the workspaces the user owns, counted)      |
| invitation  | WS#<wid>      | INVITE#<iid>    | (the workspace's pending invitations)        |
| invited     | WS#<wid>      | INVITED#<email> | (one pending invitation per address)         |
| invitee copy| INVITEE#<email>| <iid>          | (an address's pending invitations)           |
| invites sent| USER#<sub>    | INVITES#<day>   | (invitations sent that UTC day, counted)     |
| comment     | WS#<wid>      | COMMENT#<tid>#<cid> | (a task's comments, oldest first)        |
| notification| NOTIFY#<sub>  | <event id>      | (written by the notifier function)           |
| preferences | USER#<sub>    | PREFS           | (email preference, notifications read)       |
| digest due  | DIGEST#<day>  | <sub>           | (who gets a digest that day; the notifier)   |

The task indexes are sparse: an unassigned task has no AssigneeKey, AssigneeStatusKey and
AssignedKey, so it takes no room in those indexes. A task's SK orders by creation time (its id);
its due entry, a copy of the task written in the same transaction, has an SK in due order and
the same filter keys, so the base table and each filter index serve both orders, told apart
by the SK prefix; its priority entry, a third copy, serves the third order (highest priority
first, then due order). AssignedByDue sorts a user's tasks across workspaces by DueKey.
"""

from __future__ import annotations

WORKSPACE_SK = "META"
USER_LIMITS_SK = "LIMITS"
PREFERENCES_SK = "PREFS"
MEMBER_PREFIX = "MEMBER#"
TASK_PREFIX = "TASK#"
DUE_PREFIX = "DUE#"
PRIORITY_PREFIX = "PRI#"
LABEL_PREFIX = "LABEL#"
LABEL_NAME_PREFIX = "LABELNAME#"
LABELLED_PREFIX = "LABELLED#"
WORD_PREFIX = "WORD#"
INVITE_PREFIX = "INVITE#"
INVITED_PREFIX = "INVITED#"
COMMENT_PREFIX = "COMMENT#"
# Sorts after every ULID (their first character is 0 to 7): the end of an id range.
AFTER_EVERY_ID = "~"

BY_USER = "ByUser"
BY_STATUS = "ByStatus"
BY_ASSIGNEE = "ByAssignee"
BY_ASSIGNEE_STATUS = "ByAssigneeStatus"
ASSIGNED_BY_DUE = "AssignedByDue"

# Sorts after every YYYY-MM-DD, so tasks without a due date come last.
_NO_DUE_DATE = "NONE"
# Ids are ULIDs (Crockford base 32); each character swapped for its mirror in the alphabet
# sorts the ids newest first in an ascending read.
_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_NEWEST_FIRST = str.maketrans(_ULID_ALPHABET, _ULID_ALPHABET[::-1])

Key = dict[str, str]


def user_limits_key(user_id: str) -> Key:
    """A user's own counters (the workspaces they own), for the product limits."""
    return {"PK": user_key(user_id), "SK": USER_LIMITS_SK}


def workspace_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def workspace_key(workspace_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": WORKSPACE_SK}


def membership_key(workspace_id: str, user_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": MEMBER_PREFIX + user_id}


def task_key(workspace_id: str, task_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": TASK_PREFIX + task_id}


def audit_pk(workspace_id: str) -> str:
    return f"AUDIT#{workspace_id}"


def audit_key(workspace_id: str, event_id: str) -> Key:
    return {"PK": audit_pk(workspace_id), "SK": event_id}


def user_key(user_id: str) -> str:
    return f"USER#{user_id}"


def status_key(workspace_id: str, status: str) -> str:
    return f"WS#{workspace_id}#STATUS#{status}"


def assignee_key(workspace_id: str, assignee_id: str) -> str:
    return f"WS#{workspace_id}#ASSIGNEE#{assignee_id}"


def assignee_status_key(workspace_id: str, assignee_id: str, status: str) -> str:
    return f"WS#{workspace_id}#ASSIGNEE#{assignee_id}#STATUS#{status}"


def due_order(due_date: str | None, task_id: str) -> str:
    """Earliest due first, no due date after all others, ties newest first."""
    return f"{due_date or _NO_DUE_DATE}#{task_id.upper().translate(_NEWEST_FIRST)}"


def due_entry_key(workspace_id: str, due_date: str | None, task_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": DUE_PREFIX + due_order(due_date, task_id)}


# Highest first: a task's rank is its place here, so the priority order reads forwards.
PRIORITIES = ("urgent", "high", "medium", "low", "none")
_RANK = {priority: str(rank) for rank, priority in enumerate(PRIORITIES)}
# The statuses of open work: AssignedByDue keeps them together (a user's open tasks).
OPEN_STATUSES = frozenset({"todo", "in_progress"})
OPEN = "OPEN"


def priority_rank(priority: str) -> str:
    return _RANK[priority]


def priority_order(priority: str, due_date: str | None, task_id: str) -> str:
    """Highest priority first, then as due order."""
    return f"{_RANK[priority]}#{due_order(due_date, task_id)}"


def priority_entry_key(workspace_id: str, priority: str, due_date: str | None, task_id: str) -> Key:
    return {
        "PK": workspace_pk(workspace_id),
        "SK": PRIORITY_PREFIX + priority_order(priority, due_date, task_id),
    }


def assigned_key(user_id: str, status: str | None = None) -> str:
    """A user's tasks across workspaces: all of them (on the task item), those with one
    status (on the due entry), or the open ones (status OPEN, on the priority entry)."""
    if status is None:
        return f"ASSIGNED#{user_id}"
    return f"ASSIGNED#{user_id}#STATUS#{status}"


# Which of a task's three items: the task itself, its due entry, its priority entry.
TASK_ITEM, DUE_ENTRY, PRIORITY_ENTRY = "task", "due", "priority"


def task_index_keys(
    workspace_id: str,
    status: str,
    assignee_id: str | None,
    *,
    task_id: str,
    due_date: str | None,
    priority: str = "none",
    copy: str = TASK_ITEM,
) -> dict[str, str]:
    """The index attributes of a task item, or of one of its entries. Each carries the same
    filter keys; in AssignedByDue the task item stands for all of the assignee's tasks, the
    due entry for those with its status, the priority entry for the open ones."""
    keys = {
        "StatusKey": status_key(workspace_id, status),
        "DueKey": due_order(due_date, task_id),
        "PriorityKey": priority_order(priority, due_date, task_id),
    }
    if assignee_id:
        keys["AssigneeKey"] = assignee_key(workspace_id, assignee_id)
        keys["AssigneeStatusKey"] = assignee_status_key(workspace_id, assignee_id, status)
        if copy == TASK_ITEM:
            keys["AssignedKey"] = assigned_key(assignee_id)
        elif copy == DUE_ENTRY:
            keys["AssignedKey"] = assigned_key(assignee_id, status)
        elif status in OPEN_STATUSES:
            keys["AssignedKey"] = assigned_key(assignee_id, OPEN)
    return keys


# -- labels and the search entries (docs/data-model.md, "Labels", "Search") --------------------


def label_key(workspace_id: str, label_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": LABEL_PREFIX + label_id}


def label_name_key(workspace_id: str, folded_name: str) -> Key:
    """The one label of a workspace with this name, ignoring case."""
    return {"PK": workspace_pk(workspace_id), "SK": LABEL_NAME_PREFIX + folded_name}


def labelled_prefix(label_id: str) -> str:
    return f"{LABELLED_PREFIX}{label_id}#"


def labelled_key(workspace_id: str, label_id: str, task_id: str) -> Key:
    """A task has a label: the label's tasks are one range of the workspace's partition."""
    return {"PK": workspace_pk(workspace_id), "SK": labelled_prefix(label_id) + task_id}


def word_prefix(term_start: str) -> str:
    """Every word entry whose term begins with `term_start`."""
    return WORD_PREFIX + term_start


def word_key(workspace_id: str, term: str, task_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": f"{WORD_PREFIX}{term}#{task_id}"}


def task_id_of_entry(sort_key: str) -> str:
    """The task an entry (label or word) points to: the last part of its SK."""
    return sort_key.rsplit("#", 1)[1]


# -- invitations (docs/data-model.md, "Invitations") -------------------------------------------


def invitation_key(workspace_id: str, invitation_id: str) -> Key:
    """The invitation as the workspace keeps it: its admins list and revoke these."""
    return {"PK": workspace_pk(workspace_id), "SK": INVITE_PREFIX + invitation_id}


def invited_key(workspace_id: str, email: str) -> Key:
    """The one pending invitation of an address in a workspace (its id inside)."""
    return {"PK": workspace_pk(workspace_id), "SK": INVITED_PREFIX + email}


def invitee_pk(email: str) -> str:
    return f"INVITEE#{email}"


def invitee_key(email: str, invitation_id: str) -> Key:
    """The invitation as its address sees it: /me/invitations, accept, decline."""
    return {"PK": invitee_pk(email), "SK": invitation_id}


def invitations_sent_key(user_id: str, day: str) -> Key:
    """How many invitations a user sent on a UTC day (YYYY-MM-DD), for the daily limit."""
    return {"PK": user_key(user_id), "SK": f"INVITES#{day}"}


# -- comments -------------------------------------------------------------------------------------


def comment_prefix(task_id: str) -> str:
    return f"{COMMENT_PREFIX}{task_id}#"


def comment_key(workspace_id: str, task_id: str, comment_id: str) -> Key:
    return {"PK": workspace_pk(workspace_id), "SK": comment_prefix(task_id) + comment_id}


# -- notifications and preferences ------------------------------------------------------------


def notifications_pk(user_id: str) -> str:
    return f"NOTIFY#{user_id}"


def notification_key(user_id: str, notification_id: str) -> Key:
    return {"PK": notifications_pk(user_id), "SK": notification_id}


def preferences_key(user_id: str) -> Key:
    return {"PK": user_key(user_id), "SK": PREFERENCES_SK}
