"""Filters, sorts and search over HTTP (docs/api.md, "Tasks": status and priority sets, label,
assignee, q, sort=-priority): every combination agrees with a plain computation over all the
workspace's tasks, page after page, on both ways a page is read (from the sorted copies with a
filter, and from a label's or a word's entries: app/storage/task_lists.py); search by word start
in several scripts, ignoring case and accents; new and renamed tasks found within 2 s; cursors
bound to their filters."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest

from app import create_app
from app.config import Settings
from app.storage import task_lists
from tests.support.http import ApiClient, assert_problem

STATUSES = ["todo", "in_progress", "done"]
PRIORITIES = ["urgent", "high", "medium", "low", "none"]
WORDS = ["plan", "review", "release", "report", "retro", "budget", "design", "deploy"]
_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def due_order(task: dict) -> str:
    mirrored = task["id"].translate(str.maketrans(_ULID, _ULID[::-1]))
    return f"{task['due_date'] or 'NONE'}#{mirrored}"


def expected(tasks: list[dict], query: dict) -> list[str]:
    """The ids a list with `query` must give, computed from all the tasks: each filter read
    plainly (words split on spaces: these titles are plain ASCII)."""
    statuses = set(query["status"].split(",")) if "status" in query else None
    priorities = set(query["priority"].split(",")) if "priority" in query else None
    words = query.get("q", "").lower().split()
    kept = [
        t
        for t in tasks
        if (statuses is None or t["status"] in statuses)
        and (priorities is None or t["priority"] in priorities)
        and ("assignee_id" not in query or t["assignee_id"] == query["assignee_id"])
        and ("label" not in query or query["label"] in t["labels"])
        and all(any(w.startswith(q) for w in t["title"].lower().split()) for q in words)
    ]
    sort = query.get("sort", "-created_at")
    if sort == "-created_at":
        kept.sort(key=lambda t: t["id"], reverse=True)
    elif sort == "due_date":
        kept.sort(key=due_order)
    else:
        kept.sort(key=lambda t: (PRIORITIES.index(t["priority"]), due_order(t)))
    return [t["id"] for t in kept]


Get = Callable[[str], tuple[int, dict]]


def listed(get: Get, path: str, query: dict, limit: int) -> Iterator[list[str]]:
    """Each page's ids, following cursors; every page but the last is full."""
    cursor = None
    while True:
        params = {**query, "limit": limit, **({"cursor": cursor} if cursor else {})}
        status, body = get(f"{path}?{urlencode(params)}")
        assert status == 200, (query, body)
        yield [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return
        assert len(body["items"]) == limit, (query, len(body["items"]))


@pytest.fixture(scope="module")
def board(stack) -> dict:
    """A workspace of 30 tasks with every status, priority, some due dates, two assignees and
    three labels, made over HTTP; and its tasks as the unfiltered list gives them."""
    owner = stack.new_user("filters")
    client = ApiClient(stack.api, owner.access_token)
    member = stack.new_user("filters-member")
    workspace = client.create_workspace("Filters")["id"]
    client.add_member(workspace, member, "member")
    labels = [
        client.post(f"/workspaces/{workspace}/labels", json={"name": name, "color": "blue"}).json()[
            "id"
        ]
        for name in ("bug", "ux", "ops")
    ]
    chance = random.Random(22)
    for n in range(30):
        fields = {
            "title": " ".join(chance.sample(WORDS, 2)) + f" {n}",
            "status": STATUSES[n % 3],
            "priority": PRIORITIES[n % 5],
            "due_date": None if n % 4 == 0 else f"2026-12-{1 + n % 7:02d}",
            "assignee_id": [None, owner.user_id, member.user_id][n % 3 if n % 2 else 0],
            "labels": chance.sample(labels, n % 3),
        }
        client.create_task(workspace, **fields)
    tasks = client.all_items(f"/workspaces/{workspace}/tasks")
    assert len(tasks) == 30
    return {
        "client": client,
        "workspace": workspace,
        "tasks": tasks,
        "labels": labels,
        "assignees": [owner.user_id, member.user_id],
    }


def queries(board: dict) -> list[dict]:
    """Every kind of filter alone and with each other, in every sort: a fixed sample of the
    combinations (the same every run)."""
    options = {
        "status": [None, "todo", "todo,in_progress", "done,in_progress", "todo,in_progress,done"],
        "priority": [None, "urgent", "high,low", "urgent,high,medium", "none"],
        "label": [None, board["labels"][0]],
        "assignee_id": [None, board["assignees"][1]],
        "q": [None, "re", "plan re", "budget"],
        "sort": [None, "due_date", "-priority"],
    }
    every = [
        {name: value for name, value in zip(options, values, strict=True) if value is not None}
        for values in itertools.product(*options.values())
    ]
    chosen = random.Random(2212).sample(every, 90)
    # Each filter alone, in each sort.
    for name, values in options.items():
        for value, sort in itertools.product(values[1:], options["sort"]):
            chosen.append({name: value, **({"sort": sort} if sort else {})})
    return chosen


def check_every_combination(board: dict, get: Get) -> None:
    path = f"/workspaces/{board['workspace']}/tasks"
    for number, query in enumerate(queries(board)):
        want = expected(board["tasks"], query)
        limit = 1 + number % 4
        got = [task_id for page in listed(get, path, query, limit) for task_id in page]
        assert got == want, query


def test_every_combination_of_filters_and_sorts_over_http(board, stack):
    """A workspace this small has few entries per label and word: they are read from them."""
    client = board["client"]

    def get(path: str) -> tuple[int, dict]:
        response = client.get(path)
        return response.status_code, response.json()

    # The task index has written the word entries of 30 new titles by now (within 2 s).
    time.sleep(2)
    check_every_combination(board, get)


@pytest.fixture(scope="module")
def in_process(stack):
    """The service in this process, against the same emulator and resources, so that a test
    can make it read every label and word from the sorted copies with a filter."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, stack.environment[name])
        yield create_app(Settings.from_env(stack.environment)).test_client()


def test_every_combination_of_filters_and_sorts_read_from_the_sorted_copies(
    board, in_process, monkeypatch
):
    """As if every label and word were on more tasks than ENTRY_LIMIT: filtered streams."""
    monkeypatch.setattr(task_lists, "ENTRY_LIMIT", 0)
    auth = {"Authorization": f"Bearer {board['client'].token}"}

    def get(path: str) -> tuple[int, dict]:
        response = in_process.get(f"/api/v1{path}", headers=auth)
        return response.status_code, response.get_json()

    check_every_combination(board, get)


def test_sets_are_one_list_whatever_their_order(board):
    client = board["client"]
    path = f"/workspaces/{board['workspace']}/tasks"
    first = client.get(f"{path}?status=todo,done&priority=low,high&limit=1").json()
    again = client.get(
        f"{path}?status=done,todo,done&priority=high,low&limit=1&cursor={first['next_cursor']}"
    )
    assert again.status_code == 200, again.text
    query = {"status": "todo,done", "priority": "low,high"}
    assert [first["items"][0]["id"], again.json()["items"][0]["id"]] == expected(
        board["tasks"], query
    )[:2]


def test_a_cursor_belongs_to_its_filters_and_sort(board):
    client = board["client"]
    path = f"/workspaces/{board['workspace']}/tasks"
    cursor = client.get(f"{path}?status=todo&limit=1").json()["next_cursor"]
    for other in [
        "status=done",
        "status=todo,done",
        "status=todo&priority=high",
        f"status=todo&label={board['labels'][0]}",
        "status=todo&q=re",
        "status=todo&sort=-priority",
        "",
    ]:
        assert_problem(client.get(f"{path}?{other}&limit=1&cursor={cursor}"), 400)
    searched = client.get(f"{path}?q=re&limit=1").json()["next_cursor"]
    assert_problem(client.get(f"{path}?q=pl&limit=1&cursor={searched}"), 400)


def test_list_parameters_are_validated(board):
    client = board["client"]
    path = f"/workspaces/{board['workspace']}/tasks"
    for query, field in [
        ("status=blocked", "status"),
        ("status=todo,", "status"),
        ("status=", "status"),
        ("status=todo,,done", "status"),
        ("priority=critical", "priority"),
        ("priority=HIGH", "priority"),
        ("label=bug", "label"),
        ("q=", "q"),
        (f"q={'x' * 101}", "q"),
        ("q=a%00b", "q"),
        ("sort=priority", "sort"),
        ("sort=-due_date", "sort"),
        ("labels=x", "labels"),
    ]:
        problem = assert_problem(client.get(f"{path}?{query}"), 422)
        assert set(problem["errors"]) == {field}, query
    problem = assert_problem(client.get(f"{path}?status=x&priority=y&sort=z"), 422)
    assert set(problem["errors"]) == {"status", "priority", "sort"}
    assert client.get(f"{path}?q={'x' * 100}").status_code == 200
    # A label that is not the workspace's has no tasks.
    assert client.get(f"{path}?label=01M96SHZYB8Y31F1D8VQ6EPB1G").json() == {
        "items": [],
        "next_cursor": None,
    }
    # A query of no words (only punctuation or symbols) asks for nothing: every task.
    assert len(client.all_items(f"{path}?q=%21%3F")) == len(board["tasks"])


# -- search ------------------------------------------------------------------------------------

TITLES = [
    "Weekly Reunion",
    "Réunion d'équipe à Paris",
    "Straße sperren",
    "STRASSENFEST planen",
    "定例会議の議事録",
    "ガイド作成",
    "項目レビュー",
    "Ελληνική Άσκηση",
    "Москва ёлка",
    "مُحَمَّد الاجتماع",
    "한국어 회의",
    "हिन्दी पाठ",
    "ประชุมทีม",
    "E-mail the don't-list",
    "\uff26\uff35\uff2c\uff2c width",
]

SEARCHES = {
    "réu": {"Weekly Reunion", "Réunion d'équipe à Paris"},
    "REUNION": {"Weekly Reunion", "Réunion d'équipe à Paris"},
    "eu": set(),  # not the start of a word
    "union": set(),
    "equipe": {"Réunion d'équipe à Paris"},  # after an apostrophe
    "a paris": {"Réunion d'équipe à Paris"},
    "reunion weekly": {"Weekly Reunion"},
    "reunion tokyo": set(),
    "strasse": {"Straße sperren", "STRASSENFEST planen"},
    "straße": {"Straße sperren", "STRASSENFEST planen"},
    "会議": {"定例会議の議事録"},  # anywhere in a run of Han and kana
    "議事録": {"定例会議の議事録"},
    "ｶﾞｲﾄﾞ": {"ガイド作成"},  # half-width kana are the full-width ones
    "カイド": set(),  # a voicing mark is no accent
    "レビュー": {"項目レビュー"},
    "ασκηση": {"Ελληνική Άσκηση"},
    "елка": {"Москва ёлка"},
    "محمد": {"مُحَمَّد الاجتماع"},  # without harakat
    "회의": {"한국어 회의"},
    "हिन्": {"हिन्दी पाठ"},
    "ทีม": {"ประชุมทีม"},
    "mail": {"E-mail the don't-list"},
    "don't": {"E-mail the don't-list"},
    "full": {"\uff26\uff35\uff2c\uff2c width"},
    "\uff57\uff49\uff44": {"\uff26\uff35\uff2c\uff2c width"},
}


@pytest.fixture(scope="module")
def scripts(stack) -> dict:
    owner = stack.new_user("scripts")
    client = ApiClient(stack.api, owner.access_token)
    workspace = client.create_workspace("Scripts")["id"]
    for title in TITLES:
        client.create_task(workspace, title=title)
    return {"client": client, "workspace": workspace}


def search(client: ApiClient, workspace: str, query: str, **more: str) -> set[str]:
    path = f"/workspaces/{workspace}/tasks?{urlencode({'q': query, **more})}"
    return {t["title"] for t in client.all_items(path)}


def eventually(check: Callable[[], bool], within: float) -> float:
    """Seconds until `check()` held; fails after `within`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, f"not within {within} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_search_finds_word_starts_ignoring_case_and_accents_in_any_script(
    scripts, in_process, monkeypatch
):
    client, workspace = scripts["client"], scripts["workspace"]
    eventually(lambda: search(client, workspace, "議事録") != set(), within=2)
    for query, titles in SEARCHES.items():
        assert search(client, workspace, query) == titles, query
    # The same from the sorted copies with a filter (search_text and DynamoDB's contains()).
    monkeypatch.setattr(task_lists, "ENTRY_LIMIT", 0)
    auth = {"Authorization": f"Bearer {client.token}"}
    for query, titles in SEARCHES.items():
        response = in_process.get(
            f"/api/v1/workspaces/{workspace}/tasks?{urlencode({'q': query, 'limit': 100})}",
            headers=auth,
        )
        assert {t["title"] for t in response.get_json()["items"]} == titles, query


def test_a_new_or_renamed_task_is_found_within_2_seconds(scripts):
    client, workspace = scripts["client"], scripts["workspace"]
    task = client.create_task(workspace, title="Quarterly zeppelin inspection")
    took = eventually(lambda: search(client, workspace, "zepp") != set(), within=2)
    print(f"\nfound a new task {took:.2f} s after its creation")
    renamed = client.patch(
        f"/workspaces/{workspace}/tasks/{task['id']}",
        json={"title": "Quarterly blimp inspection"},
        headers={"If-Match": '"1"'},
    )
    assert renamed.status_code == 200
    # The old title is never found again once renamed; the new within 2 s.
    assert search(client, workspace, "zepp") == set()
    took = eventually(lambda: search(client, workspace, "blimp") != set(), within=2)
    print(f"found a renamed task {took:.2f} s after the rename")
    client.delete(f"/workspaces/{workspace}/tasks/{task['id']}", headers={"If-Match": '"2"'})
    assert search(client, workspace, "blimp") == set()


def test_search_combines_with_the_other_filters(scripts):
    client, workspace = scripts["client"], scripts["workspace"]
    label = client.post(
        f"/workspaces/{workspace}/labels", json={"name": "meeting", "color": "teal"}
    ).json()["id"]
    meeting = client.create_task(
        workspace, title="Réunion budget", priority="urgent", labels=[label], status="done"
    )
    eventually(lambda: "Réunion budget" in search(client, workspace, "budget"), within=2)
    assert search(client, workspace, "reu", status="done") == {"Réunion budget"}
    assert search(client, workspace, "reu", priority="urgent", label=label) == {"Réunion budget"}
    assert search(client, workspace, "reu", status="todo") == {
        "Weekly Reunion",
        "Réunion d'équipe à Paris",
    }
    ordered = client.get(
        f"/workspaces/{workspace}/tasks?{urlencode({'q': 'reu', 'sort': '-priority'})}"
    ).json()["items"]
    assert ordered[0]["id"] == meeting["id"]
