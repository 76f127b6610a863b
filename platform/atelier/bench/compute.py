"""Compute measures of the runtime benchmark: RunTask -> process, RDS create -> connectable."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from atelier.bench.targets import Target, client

PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway local database)
Stats = dict[str, float]


def _status(target: Target) -> dict[str, Any]:
    import urllib.request

    url = f"{target.endpoint_url}/_atelier/status"
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (http, loopback)
        data: dict[str, Any] = json.loads(resp.read())
    return data


def bench_runtask(target: Target, n: int = 7) -> Stats:
    """RunTask -> the API says RUNNING with a pid, and -> the process has printed its first line."""
    ecs = client(target, "ecs")
    ecs.create_cluster(clusterName="bench")
    td = ecs.register_task_definition(
        family="bench",
        containerDefinitions=[{"name": "m", "image": "atelier/sleeper", "stopTimeout": 2}],
    )["taskDefinition"]
    api, first_line = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        task = ecs.run_task(cluster="bench", taskDefinition=td["taskDefinitionArn"])["tasks"][0]
        arn = task["taskArn"]
        while arn not in {t["task_arn"] for t in _status(target)["tasks"]}:
            time.sleep(0.001)
        api.append(time.perf_counter() - t0)
        log = target.home / "logs" / "tasks" / f"{arn.rsplit('/', 1)[-1]}.log"
        while not (log.exists() and "sleeping" in log.read_text()):
            time.sleep(0.001)
        first_line.append(time.perf_counter() - t0)
        ecs.stop_task(cluster="bench", task=arn)
    return {"running_p50": statistics.median(api), "first_line_p50": statistics.median(first_line)}


def bench_rds(target: Target) -> Stats:
    import psycopg

    rds = client(target, "rds")
    t0 = time.perf_counter()
    rds.create_db_instance(
        DBInstanceIdentifier="bench",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="bench",
        MasterUserPassword=PASSWORD,
        AllocatedStorage=20,
    )
    deadline = t0 + 120
    while time.perf_counter() < deadline:
        inst = rds.describe_db_instances(DBInstanceIdentifier="bench")["DBInstances"][0]
        endpoint = inst.get("Endpoint") or {}
        try:
            with psycopg.connect(
                host=endpoint.get("Address", "127.0.0.1"),
                port=endpoint.get("Port", 5432),
                user="bench",
                password=PASSWORD,
                dbname="postgres",
                connect_timeout=2,
            ) as conn:
                conn.execute("select 1")
            took = time.perf_counter() - t0
            rds.delete_db_instance(DBInstanceIdentifier="bench", SkipFinalSnapshot=True)
            return {"connectable": took}
        except psycopg.OperationalError:
            time.sleep(0.05)
    raise RuntimeError("RDS instance never became connectable")
