"""Compute measures of the runtime benchmark: RunTask -> process, RDS create -> connectable."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from atelier_devtools.bench.targets import Target, client

Stats = dict[str, float]


def _status(target: Target) -> dict[str, Any]:
    import urllib.request

    url = f"{target.endpoint_url}/_atelier/status"
    with urllib.request.urlopen(url, timeout=5) as resp:
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


def bench_rds(target: Target, series: int = 4, paused: int = 3, pause_s: float = 2.0) -> Stats:
    """RDS create -> psycopg connects: cold (the first instance of the target's fresh home) and
    warm (later instances), both back to back and ``pause_s`` apart (time for the runtime to
    refill its spare copy of the template, as between the creates of a real deploy)."""
    from atelier_devtools.bench.rds_measure import measure_create_to_connectable, measure_series

    cold, *back_to_back = measure_series(target.endpoint_url, series)
    spaced = []
    for _ in range(paused):
        time.sleep(pause_s)
        spaced.append(measure_create_to_connectable(target.endpoint_url))
    return {
        "cold": cold,
        "warm_back_to_back_p50": statistics.median(back_to_back),
        "warm_spaced_p50": statistics.median(spaced),
    }
