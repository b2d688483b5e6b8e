"""How long a TransactWriteItems takes on the emulator as the table grows: stock moto server
(the baseline) against devstack's launcher, which checks conditions first and skips moto's
per-part copies of the whole table. Both run here, in the same session; the figure is the ratio.

    python -m bench.emulator_transactions [--rounds 300]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from devstack.emulator import EndpointSession, answers
from devstack.templates import ROOT
from tests.support.stack import free_port

SERVERS = {"stock moto": "moto.server", "devstack launcher": "devstack.moto_server"}


def start(module: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    while not answers(endpoint, "us-east-1"):
        time.sleep(0.2)
    return process, endpoint


def measure(endpoint: str, rounds: int) -> list[float]:
    """Milliseconds per transaction of four conditional puts, in rounds of growing table size."""
    dynamodb = EndpointSession(endpoint, "us-east-1").client("dynamodb")
    dynamodb.create_table(
        TableName="bench",
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    timings = []
    for i in range(rounds):
        items = [
            {
                "Put": {
                    "TableName": "bench",
                    "Item": {
                        "PK": {"S": f"WS#{i}"},
                        "SK": {"S": f"ITEM#{j}"},
                        "v": {"S": "x" * 100},
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for j in range(4)
        ]
        started = time.perf_counter()
        dynamodb.transact_write_items(TransactItems=items)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    results = {}
    for name, module in SERVERS.items():
        process, endpoint = start(module)
        try:
            results[name] = measure(endpoint, rounds)
        finally:
            process.terminate()
            process.wait()
    tail = slice(-50, None)
    baseline = statistics.median(results["stock moto"][tail])
    ours = statistics.median(results["devstack launcher"][tail])
    print(f"TransactWriteItems (4 puts) with about {4 * rounds} items in the table:")
    for name, timings in results.items():
        print(f"  {name:18s} median of the last 50: {statistics.median(timings[tail]):8.1f} ms")
    print(f"  ratio devstack/stock: {ours / baseline:.3f} (stock is {baseline / ours:.0f}x slower)")


if __name__ == "__main__":
    main()
