"""The local stream poller starts one worker thread per mapping, and each imports its handler.
Two threads importing Powertools at once can meet a module the other is still initialising
("cannot import name 'SQSEvent' from partially initialized module", or a KeyError from
importlib: three fresh interpreters in five here), and that worker then never ran. Handlers
therefore load one at a time."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from devstack import stream_poller


def test_handlers_of_concurrent_workers_are_imported_one_at_a_time(monkeypatch):
    inside = 0
    most_inside = 0
    counting = threading.Lock()

    def slow_import(name):
        nonlocal inside, most_inside
        with counting:
            inside += 1
            most_inside = max(most_inside, inside)
        time.sleep(0.05)  # an import long enough for the other workers to arrive
        with counting:
            inside -= 1
        return SimpleNamespace(lambda_handler=lambda event, context: None)

    monkeypatch.setattr(stream_poller.importlib, "import_module", slow_import)
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_handler puts each folder first
    mappings = [
        SimpleNamespace(code=Path(f"lambdas/f{n}"), handler=f"f{n}.lambda_handler")
        for n in range(4)
    ]
    start = threading.Barrier(len(mappings))

    def load(mapping):
        start.wait()
        stream_poller.load_handler(mapping)

    workers = [threading.Thread(target=load, args=(m,)) for m in mappings]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert most_inside == 1
