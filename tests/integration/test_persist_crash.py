"""``--persist`` survives a crash: the runtime is SIGKILLed during a burst of writes and
restarted; every acknowledged S3 object, DynamoDB item and PostgreSQL row is there, a task that
ran is STOPPED (terminal), endpoints are unchanged; an unreadable state file is kept aside.

``CRASH_REPETITIONS`` (default 20) sets the repetitions; ``nox -s soak`` runs 100.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from botocore.config import Config

from atelier.emulator.launcher import pid_alive
from atelier_devtools.runtime import Runtime, free_port, start_runtime

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPETITIONS = int(os.environ.get("CRASH_REPETITIONS", "20"))
# ``nox -s soak`` appends one line per repetition here (a long run shows its progress and keeps
# what it measured even if stopped part way)
PROGRESS = os.environ.get("CRASH_PROGRESS")
PASSWORD = "Crash-safe-1"


def _fragile(rt: Runtime, service: str) -> Any:
    """A client that never retries: an answer it gets is an acknowledgement."""
    return boto3.client(
        service, endpoint_url=rt.endpoint_url, region_name=rt.region,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1, read_timeout=5),
    )  # fmt: skip


def _kill(rt: Runtime) -> None:
    """SIGKILL of the runtime process alone: it gets no chance to save anything."""
    os.kill(rt.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(rt.pid):
        assert time.monotonic() < deadline, "the runtime survived SIGKILL"
        time.sleep(0.01)


class Burst:
    """Writes S3 objects, DynamoDB items and PostgreSQL rows until stopped; records the acked."""

    def __init__(self, rt: Runtime, db: dict[str, Any] | None, tag: str) -> None:
        self.s3, self.ddb = _fragile(rt, "s3"), _fragile(rt, "dynamodb")
        self.db, self.tag = db, tag
        self.acked: dict[str, list[str]] = {"s3": [], "ddb": [], "rds": []}
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._aws), threading.Thread(target=self._sql)]

    def _aws(self) -> None:
        n = 0
        while not self.stop.is_set():
            key = f"{self.tag}-{n}"
            n += 1
            try:
                self.s3.put_object(Bucket="crash", Key=key, Body=key.encode())
                self.acked["s3"].append(key)
                self.ddb.put_item(TableName="crash", Item={"pk": {"S": key}})
                self.acked["ddb"].append(key)
            except Exception:  # noqa: BLE001 (the runtime died mid-call: not acknowledged)
                return

    def _sql(self) -> None:
        if self.db is None:
            return
        try:
            with psycopg.connect(**self.db, autocommit=True, connect_timeout=2) as conn:
                n = 0
                while not self.stop.is_set():
                    key = f"{self.tag}-{n}"
                    n += 1
                    conn.execute("INSERT INTO crash (k) VALUES (%s)", (key,))
                    self.acked["rds"].append(key)
        except Exception:  # noqa: BLE001 (PostgreSQL went away with the runtime)
            return

    def __enter__(self) -> Burst:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)


def _setup(rt: Runtime) -> tuple[dict[str, Any], str]:
    rt.client("s3").create_bucket(Bucket="crash")
    rt.client("dynamodb").create_table(
        TableName="crash",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    rds = rt.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="crash-db", Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="master", MasterUserPassword=PASSWORD, DBName="app",
    )  # fmt: skip
    endpoint = _wait_db(rt)
    db = {"host": endpoint["Address"], "port": endpoint["Port"], "user": "master",
          "password": PASSWORD, "dbname": "app"}  # fmt: skip
    with psycopg.connect(**db, autocommit=True) as conn:
        conn.execute("CREATE TABLE crash (k text primary key)")
    ecs = rt.client("ecs")
    ecs.create_cluster(clusterName="crash")
    td = ecs.register_task_definition(
        family="job", containerDefinitions=[{"name": "m", "image": "atelier/sleeper"}]
    )["taskDefinition"]["taskDefinitionArn"]
    return db, td


def _wait_db(rt: Runtime, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = rt.client("rds").describe_db_instances(DBInstanceIdentifier="crash-db")
        inst = found["DBInstances"][0]
        if inst["DBInstanceStatus"] == "available":
            endpoint: dict[str, Any] = inst["Endpoint"]
            return endpoint
        assert time.monotonic() < deadline, f"crash-db is {inst['DBInstanceStatus']}"
        time.sleep(0.05)


def _check(rt: Runtime, db: dict[str, Any], acked: dict[str, list[str]], rep: int) -> None:
    s3, ddb = rt.client("s3"), rt.client("dynamodb")
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="crash"):
        keys.update(o["Key"] for o in page.get("Contents", []))
    lost_s3 = [k for k in acked["s3"] if k not in keys]
    assert not lost_s3, f"repetition {rep}: acknowledged S3 objects lost: {lost_s3[:5]}"
    items: set[str] = set()
    for page in ddb.get_paginator("scan").paginate(TableName="crash"):
        items.update(i["pk"]["S"] for i in page["Items"])
    lost_ddb = [k for k in acked["ddb"] if k not in items]
    assert not lost_ddb, f"repetition {rep}: acknowledged DynamoDB items lost: {lost_ddb[:5]}"
    with psycopg.connect(**db, autocommit=True, connect_timeout=5) as conn:
        rows = {r[0] for r in conn.execute("SELECT k FROM crash").fetchall()}
    lost_rows = [k for k in acked["rds"] if k not in rows]
    assert not lost_rows, f"repetition {rep}: acknowledged RDS rows lost: {lost_rows[:5]}"


def _wait_terminal(rt: Runtime, task_arn: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        task = rt.client("ecs").describe_tasks(cluster="crash", tasks=[task_arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            return str(task.get("stoppedReason", ""))
        assert time.monotonic() < deadline, f"the job's task is still {task['lastStatus']}"
        time.sleep(0.1)


def _progress(rep: int, acked: dict[str, Any], seconds: float) -> None:
    if PROGRESS:
        counts = " ".join(f"{k}={len(v)}" for k, v in acked.items())
        Path(PROGRESS).parent.mkdir(parents=True, exist_ok=True)
        with open(PROGRESS, "a") as fh:
            fh.write(f"repetition {rep + 1}/{REPETITIONS}: acknowledged {counts}, all found; "
                     f"kill -> restart -> checked in {seconds:.1f} s\n")  # fmt: skip


# ~10 s a repetition on a loaded machine: the suite's 600 s per-test limit fits 20, not 100
@pytest.mark.timeout(max(600, REPETITIONS * 30))
def test_sigkill_during_writes_and_a_job_loses_nothing_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    rt = start_runtime(tmp_path, persist=True, port=port)
    totals = {"s3": 0, "ddb": 0, "rds": 0}
    try:
        db, td = _setup(rt)
        endpoint = (db["host"], db["port"])
        for rep in range(REPETITIONS):
            started = time.monotonic()
            job = rt.client("ecs").run_task(cluster="crash", taskDefinition=td)["tasks"][0]
            with Burst(rt, db, f"r{rep}") as burst:
                time.sleep(random.uniform(0.15, 0.5))
                _kill(rt)
            rt = start_runtime(tmp_path, persist=True, port=port)
            back = _wait_db(rt)
            assert (back["Address"], back["Port"]) == endpoint, "the database endpoint moved"
            _check(rt, db, burst.acked, rep)
            assert "runtime restarted" in _wait_terminal(rt, job["taskArn"])
            for k, v in burst.acked.items():
                totals[k] += len(v)
            _progress(rep, burst.acked, time.monotonic() - started)
        # the test wrote something every time (else it proves nothing)
        assert min(totals.values()) >= REPETITIONS, totals
        assert rt.status()["persistence"]["quarantined"] == []
    finally:
        rt.stop()


def test_an_unreadable_state_file_is_kept_aside_and_reported(tmp_path: Path) -> None:
    port = free_port()
    rt = start_runtime(tmp_path, persist=True, port=port)
    try:
        rt.client("dynamodb").create_table(
            TableName="kept",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )
        rt.client("s3").create_bucket(Bucket="other")
    finally:
        rt.stop()
    state = tmp_path / "state" / "dynamodb.json"
    good = state.read_bytes()
    state.write_bytes(good[: len(good) // 2])  # torn, as a crash of a naive writer leaves it
    rt = start_runtime(tmp_path, persist=True, port=port)
    try:
        (item,) = rt.status()["persistence"]["quarantined"]
        assert item["name"] == "dynamodb.json" and "JSONDecodeError" in item["reason"]
        assert Path(item["kept_at"]).read_bytes() == good[: len(good) // 2]
        assert rt.client("s3").list_buckets()["Buckets"][0]["Name"] == "other"
        assert rt.client("dynamodb").list_tables()["TableNames"] == []
    finally:
        rt.stop()
    # a clean stop did not write an empty state over the kept copy
    assert Path(item["kept_at"]).read_bytes() == good[: len(good) // 2]
