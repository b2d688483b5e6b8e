"""What a page of tasks costs at 10,000 tasks in a workspace, per filter combination: DynamoDB
calls, items read (what a read is paid for) and read capacity, measured against the emulator
(docs/data-model.md, "Filters, search and their cost").

The workspace is written straight into the emulator as the service and the task-index function
store it (each task's three items, its label entries and its word entries, from
app/storage/records.py), with a plausible spread: most tasks done, most without priority, a
common, an occasional and a rare label, titles of four to eight words drawn from a vocabulary
in Zipf's proportions. Each request then runs through the service in this process, counted
below its DynamoDB client. Items read are DynamoDB's ScannedCount for a Query and the items
of a BatchGetItem; read units are computed from the items' sizes as DynamoDB bills them
(strongly consistent: one unit per 4 KB of a Query's items together, per 4 KB of each item of a
BatchGetItem; an index read is eventually consistent, half).

It also measures what decides where the word entries are written (docs/data-model.md,
"Search: why a stream function"): how many entries titles of each script make.

    python -m bench.list_costs [--tasks 10000] [--entry-limits 0,50,100,200,400]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from app import create_app
from app.api.context import EXTENSION
from app.config import Settings
from app.domain.clock import new_id
from app.storage import keys, task_lists, text_index
from app.storage.records import (
    Task,
    labelled_item,
    serialize,
    task_due_entry_item,
    task_item,
    task_priority_entry_item,
    word_item,
)
from tests.support.stack import running_emulator, running_stack

VOCABULARY = [
    "review",
    "update",
    "fix",
    "release",
    "plan",
    "report",
    "meeting",
    "design",
    "deploy",
    "budget",
    "customer",
    "onboarding",
    "invoice",
    "contract",
    "migration",
    "database",
    "api",
    "frontend",
    "backend",
    "test",
    "docs",
    "roadmap",
    "hiring",
    "interview",
    "security",
    "audit",
    "incident",
    "retro",
    "sprint",
    "backlog",
    "feature",
    "bug",
    "login",
    "payment",
    "search",
    "export",
    "import",
    "dashboard",
    "metrics",
    "alert",
    "cleanup",
    "refactor",
    "performance",
    "cache",
    "mobile",
    "android",
    "ios",
    "translation",
    "legal",
    "partner",
    "launch",
    "campaign",
    "newsletter",
    "webinar",
    "survey",
    "zeppelin",
]
DESCRIPTION = "Context, links and the definition of done, as teams write them. " * 3


@dataclass
class Measured:
    calls: Counter = field(default_factory=Counter)
    items: int = 0
    units: float = 0.0


class Meter:
    """Wraps the service's DynamoDB client: counts calls, items read and read units."""

    def __init__(self, sizes: dict[tuple[str, str], int]):
        self.sizes = sizes
        self.now = Measured()

    def around(self, call):
        def counted(operation, params):
            response = call(operation, params)
            self.now.calls[operation] += 1
            if operation == "Query":
                self.now.items += response.get("ScannedCount", 0)
                self.now.units += self._query_units(params, response)
            elif operation == "BatchGetItem":
                for items in response.get("Responses", {}).values():
                    self.now.items += len(items)
                    self.now.units += sum(math.ceil(self._size(i) / 4096) or 1 for i in items)
            return response

        return counted

    def _size(self, item: dict[str, Any]) -> int:
        return self.sizes.get((item["PK"]["S"], item["SK"]["S"]), 100)

    def _query_units(self, params: dict[str, Any], response: dict[str, Any]) -> float:
        # A Query is billed on the items it read (before a filter, whatever it projected):
        # their sizes from the written items, found by the keys DynamoDB read in order.
        scanned = response.get("ScannedCount", 0)
        # Returned items carry their keys only when projected; estimate from the average
        # size of what this request's kind of item weighs.
        average = self.average_for(params)
        size = scanned * average
        consistent = params.get("ConsistentRead", False)
        return max(1, math.ceil(size / 4096)) * (1 if consistent else 0.5) if scanned else 0.5

    def average_for(self, params: dict[str, Any]) -> float:
        prefix = ""
        for value in params.get("ExpressionAttributeValues", {}).values():
            text = value.get("S", "")
            if text.startswith((keys.WORD_PREFIX, keys.LABELLED_PREFIX)):
                prefix = "entry"
        return ENTRY_SIZE if prefix == "entry" else TASK_SIZE


TASK_SIZE = 0.0
ENTRY_SIZE = 0.0


def plausible_tasks(
    workspace_id: str, users: list[str], labels: list[str], count: int
) -> list[Task]:
    chance = random.Random(10_000)
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    tasks = []
    base = time.time() - count
    for n in range(count):
        words = chance.choices(VOCABULARY[:-1], weights=weights[:-1], k=chance.randint(4, 8))
        if n == count // 2:
            words.append("zeppelin")  # one task of its kind
        status = chance.choices(["todo", "in_progress", "done"], [20, 10, 70])[0]
        priority = chance.choices(keys.PRIORITIES, [5, 10, 15, 10, 60])[0]
        chosen = [
            label
            for label, share in zip(labels, (0.20, 0.05, 0.003), strict=True)
            if chance.random() < share
        ]
        day = chance.randint(0, 364)
        due = (
            None
            if chance.random() < 0.4
            else time.strftime("%Y-%m-%d", time.gmtime(base + day * 86400))
        )
        tasks.append(
            Task(
                id=new_id(),
                workspace_id=workspace_id,
                title=" ".join(words).capitalize(),
                description=DESCRIPTION,
                status=status,
                due_date=due,
                assignee_id=chance.choices([None, *users], [30, 35, 35])[0],
                version=1,
                created_at="2026-12-06T00:00:00.000Z",
                updated_at="2026-12-06T00:00:00.000Z",
                created_by=users[0],
                priority=priority,
                labels=tuple(chosen),
            )
        )
    return tasks


def items_of(task: Task) -> list[dict[str, Any]]:
    items = [task_item(task), task_due_entry_item(task), task_priority_entry_item(task)]
    items += [labelled_item(task.workspace_id, label, task.id) for label in task.labels]
    items += [word_item(task.workspace_id, t, task.id) for t in text_index.search_terms(task.title)]
    return items


def write(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        pending = [{"PutRequest": {"Item": serialize(i)}} for i in items[start : start + 25]]
        while pending:
            response = dynamodb.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])


def size_of(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item, near enough: names and values in UTF-8."""
    return sum(
        len(k.encode()) + len(json.dumps(v, ensure_ascii=False).encode()) for k, v in item.items()
    )


def combinations(labels: list[str], member: str) -> list[tuple[str, str]]:
    common, occasional, rare = labels
    return [
        ("no filter", ""),
        ("no filter, due order", "sort=due_date"),
        ("no filter, priority order", "sort=-priority"),
        ("status=todo", "status=todo"),
        ("status=todo,in_progress", "status=todo,in_progress"),
        ("status=todo,in_progress, due order", "status=todo,in_progress&sort=due_date"),
        ("assignee", f"assignee_id={member}"),
        ("assignee + status=todo,in_progress", f"assignee_id={member}&status=todo,in_progress"),
        ("priority=urgent", "priority=urgent"),
        ("priority=urgent, due order", "priority=urgent&sort=due_date"),
        ("priority=urgent,high, priority order", "priority=urgent,high&sort=-priority"),
        ("priority=urgent,low, due order", "priority=urgent,low&sort=due_date"),
        (
            "status=todo,in_progress + priority=urgent,high, due order",
            "status=todo,in_progress&priority=urgent,high&sort=due_date",
        ),
        ("label (on 20%)", f"label={common}"),
        ("label (on 5%)", f"label={occasional}"),
        ("label (on 0.3%)", f"label={rare}"),
        ("label (on 20%) + status=todo,in_progress", f"label={common}&status=todo,in_progress"),
        ("q, a common word", "q=review"),
        ("q, one letter", "q=r"),
        ("q, a word on one task", "q=zeppelin"),
        ("q, two words", "q=fix+release"),
        ("q, a common word + status=todo", "q=review&status=todo"),
        ("q + label (on 5%) + priority order", f"q=fix&label={occasional}&sort=-priority"),
    ]


def measure(app, meter: Meter, token: str, path: str, query: str, *, pages: int) -> list[Measured]:
    http = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    found, cursor = [], None
    for _ in range(pages):
        meter.now = Measured()
        separator = "&" if query else ""
        url = f"{path}?{query}{separator}limit=25" + (f"&cursor={cursor}" if cursor else "")
        response = http.get(url, headers=auth)
        assert response.status_code == 200, response.get_data(as_text=True)
        found.append(meter.now)
        cursor = response.get_json()["next_cursor"]
        if cursor is None:
            break
    return found


def say(*parts: Any) -> None:
    """Print the report. The local stream functions print through a redirected stdout while
    they run: the report goes to the process's own."""
    print(*parts, file=sys.__stdout__, flush=True)


def report_terms() -> None:
    samples = {
        "English, typical": ["Prepare the quarterly budget review for the board"],
        "German, typical": ["Straßenfest im Frühling planen und Genehmigung beantragen"],
        "Japanese, typical": ["来週の定例会議の議事録を作成して共有する"],
        "Chinese, typical": ["准备下季度预算评审材料并提交董事会"],
        "English, 200 characters": [("Review " + "the long list of things to do ") * 7],
        "Japanese, 200 characters": ["".join(chr(0x4E00 + (n * 37) % 3000) for n in range(200))],
        "one-letter words, 200 characters": [
            " ".join("abcdefghijklmnopqrstuvwxyz0123456789")[:200]
        ],
    }
    say("\nWord entries a title makes (the task's transaction holds at most 100 items, of which")
    say("a task update with labels uses up to 39 already):")
    for name, titles in samples.items():
        counts = [len(text_index.search_terms(t)) for t in titles]
        say(f"  {name:36s} {statistics.mean(counts):6.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--entry-limits", default="0,100,400")
    parser.add_argument("--pages", type=int, default=1)
    arguments = parser.parse_args()
    report_terms()
    with running_emulator(), running_stack() as stack, pytest.MonkeyPatch.context() as patch:
        owner, member = stack.new_user("owner"), stack.new_user("member")
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {owner.access_token}"
        workspace = session.post(f"{stack.api}/workspaces", json={"name": "Big"}).json()["id"]
        invitation = session.post(
            f"{stack.api}/workspaces/{workspace}/invitations",
            json={"email": member.email, "role": "member"},
        ).json()
        requests.post(
            f"{stack.api}/me/invitations/{invitation['id']}/accept",
            headers={"Authorization": f"Bearer {member.access_token}"},
            timeout=15,
        )
        labels = [
            session.post(
                f"{stack.api}/workspaces/{workspace}/labels", json={"name": n, "color": "red"}
            ).json()["id"]
            for n in ("bug", "ux", "legal")
        ]
        # Nothing here needs the stream functions, and reading the stream of 100,000 writes
        # would slow the emulator down for the whole run.
        stack.stack.streams.stop()
        stack.stack.streams = None
        started = time.monotonic()
        tasks = plausible_tasks(workspace, [owner.user_id, member.user_id], labels, arguments.tasks)
        items = [item for task in tasks for item in items_of(task)]
        write(stack.dynamodb, stack.table, items)
        sizes = {(i["PK"], i["SK"]): size_of(i) for i in items}
        global TASK_SIZE, ENTRY_SIZE  # noqa: PLW0603 -- the meter's averages, set once
        task_sizes = [size_of(task_item(t)) for t in tasks]
        TASK_SIZE = statistics.mean(task_sizes)
        ENTRY_SIZE = statistics.mean(
            size_of(i)
            for i in items
            if i["SK"].startswith((keys.WORD_PREFIX, keys.LABELLED_PREFIX))
        )
        say(
            f"\n{len(tasks)} tasks, {len(items)} items written in "
            f"{time.monotonic() - started:.0f} s; "
            f"a task's item {TASK_SIZE:.0f} bytes on average, an entry {ENTRY_SIZE:.0f}"
        )
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, stack.environment[name])
        # The emulator takes seconds for a Query of a partition of 100,000 items (it sorts
        # them all): the service waits for it here, as it never would for DynamoDB.
        app = create_app(Settings.from_env({**stack.environment, "AWS_READ_TIMEOUT": "30"}))
        meter = Meter(sizes)
        dynamodb = app.extensions[EXTENSION].clients.dynamodb
        patch.setattr(dynamodb, "call", meter.around(dynamodb.call))
        path = f"/api/v1/workspaces/{workspace}/tasks"
        limits = [int(v) for v in arguments.entry_limits.split(",")]
        say(
            f"\nPer page of 25 (first page; the next in brackets), at ENTRY_LIMIT "
            f"{task_lists.ENTRY_LIMIT}: calls, items read, read units"
        )
        for name, query in combinations(labels, member.user_id):
            pages = measure(app, meter, owner.access_token, path, query, pages=arguments.pages)
            cells = [
                f"{sum(p.calls.values())} calls, {p.items} items, {p.units:g} RCU" for p in pages
            ]
            detail = dict(pages[0].calls)
            say(
                f"  {name:58s} {cells[0]}"
                + (f"  [{cells[1]}]" if len(cells) > 1 else "")
                + f"  {detail}"
            )
        for name, query in [
            ("/me/tasks", ""),
            ("/me/tasks?status=todo,in_progress", "status=todo,in_progress"),
            ("/me/tasks?status=todo,done", "status=todo,done"),
        ]:
            pages = measure(app, meter, member.access_token, "/api/v1/me/tasks", query, pages=1)
            p = pages[0]
            say(f"  {name:58s} {sum(p.calls.values())} calls, {p.items} items, {p.units:g} RCU")
        say("\nLabels and words by ENTRY_LIMIT (first page: calls, items read, read units):")
        say("  " + " " * 46 + "".join(f"{limit:>24d}" for limit in limits))
        for name, query in combinations(labels, member.user_id):
            if "label" not in name and "q," not in name and not name.startswith("q"):
                continue
            cells = []
            for limit in limits:
                patch.setattr(task_lists, "ENTRY_LIMIT", limit)
                (p, *_) = measure(app, meter, owner.access_token, path, query, pages=1)
                cells.append(f"{sum(p.calls.values())}c {p.items}i {p.units:g}u")
            say(f"  {name:46s}" + "".join(f"{c:>24s}" for c in cells))


if __name__ == "__main__":
    main()
