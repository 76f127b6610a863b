"""``python -m atelier.bench persistence``: what crash-safe ``--persist`` costs, and why snapshots.

1. A write through the API: DynamoDB PutItem and S3 PutObject latency (p50/p99 of ``N`` calls)
   on a runtime without ``--persist``, with ``--persist`` (a durable snapshot of the service's
   state before each answer), side by side.
2. The two designs for durability, measured alone on this disk for the same state: a snapshot
   (serialise the service's state, write, fsync, rename, fsync the directory) versus a
   write-ahead journal record (append ~300 bytes, fsync), as the number of items grows.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from atelier.emulator.persistence.durable import write_atomic
from atelier_devtools.bench.report import header, machine, table, write_section
from atelier_devtools.runtime import start_runtime

CALLS = 300
SIZES = (100, 1_000, 10_000)


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _api_writes(persist: bool) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as home:
        rt = start_runtime(Path(home), persist=persist)
        try:
            ddb, s3 = rt.client("dynamodb"), rt.client("s3")
            ddb.create_table(
                TableName="bench", BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            )  # fmt: skip
            s3.create_bucket(Bucket="bench")
            out: dict[str, list[float]] = {"PutItem": [], "PutObject": []}
            for i in range(CALLS):
                t0 = time.perf_counter()
                ddb.put_item(TableName="bench", Item={"pk": {"S": str(i)}, "v": {"S": "x" * 200}})
                out["PutItem"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                s3.put_object(Bucket="bench", Key=str(i), Body=b"x" * 1024)
                out["PutObject"].append(time.perf_counter() - t0)
            return out
        finally:
            rt.stop()


def _designs(size: int) -> tuple[float, float]:
    state = {f"k{i}": {"pk": {"S": f"k{i}"}, "v": {"S": "x" * 200}} for i in range(size)}
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as d:
        path = Path(d) / "dynamodb.json"
        snaps = []
        for _ in range(20):
            t0 = time.perf_counter()
            write_atomic(path, json.dumps(state).encode())
            snaps.append(time.perf_counter() - t0)
        record = json.dumps({"op": "PutItem", "item": state["k0"]}).encode() + b"\n"
        journal = []
        with open(Path(d) / "journal", "ab") as fh:
            for _ in range(50):
                t0 = time.perf_counter()
                fh.write(record)
                fh.flush()
                os.fsync(fh.fileno())
                journal.append(time.perf_counter() - t0)
    return statistics.median(snaps), statistics.median(journal)


def main(argv: list[str], write: bool = True) -> int:
    host = machine()
    rows = []
    plain, durable = _api_writes(False), _api_writes(True)
    for call in ("PutItem", "PutObject"):
        a, b = plain[call], durable[call]
        rows.append((
            call, f"{_pct(a, .5) * 1e3:.1f} / {_pct(a, .99) * 1e3:.1f}",
            f"{_pct(b, .5) * 1e3:.1f} / {_pct(b, .99) * 1e3:.1f}",
            f"{_pct(b, .5) / _pct(a, .5):.2f}x",
        ))  # fmt: skip
    design_rows = []
    for size in SIZES:
        snap, journal = _designs(size)
        design_rows.append(
            (
                f"{size:,} items",
                f"{snap * 1e3:.2f}",
                f"{journal * 1e3:.2f}",
                f"{snap / journal:.1f}x",
            )
        )
    lines = header(
        "Persistence", "persistence", host,
        f"{CALLS} sequential calls of each kind through boto3 (ms, p50 / p99); the machine is "
        "shared (2 cores, other work running: see the load average).",
    )  # fmt: skip
    lines += table(("call", "without --persist", "with --persist (durable)", "p50 ratio"), rows)
    lines += [
        "Durability designs alone (ms per acknowledged write, median; fsync on this disk):",
        "",
    ]
    design_headers = (
        "service state", "snapshot (write+fsync+rename)", "journal append+fsync",
        "snapshot / journal",
    )  # fmt: skip
    lines += table(design_headers, design_rows)
    text = write_section("Persistence", lines, write=write)
    print(text)
    return 0
