"""Idle cost of the runtime's operations loop: 100 alarms and 20 metric filters defined, no
traffic, CPU time of the emulator process over a window (``/proc/<pid>/stat``)."""

from __future__ import annotations

import os
import time
from typing import Any

from atelier_devtools.bench.targets import Target, client

ALARMS = 100
FILTERS = 20
WINDOW_S = 30.0


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def define(target: Target) -> None:
    cw, logs = client(target, "cloudwatch"), client(target, "logs")
    for i in range(FILTERS):
        group = f"/bench/group-{i}"
        logs.create_log_group(logGroupName=group)
        logs.put_metric_filter(
            logGroupName=group,
            filterName="failed",
            filterPattern='{ $.status = "FAILED" }',
            metricTransformations=[
                {"metricName": f"Failed{i}", "metricNamespace": "Bench", "metricValue": "1"}
            ],
        )
    for i in range(ALARMS):
        cw.put_metric_alarm(
            AlarmName=f"bench-{i}",
            Namespace="Bench",
            MetricName=f"Failed{i % FILTERS}",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=3,
            DatapointsToAlarm=2,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="missing",
        )


def bench_idle(target: Target, window_s: float = WINDOW_S) -> dict[str, Any]:
    assert target.proc is not None
    define(target)
    time.sleep(3.0)  # let the first evaluation of every alarm pass
    before, t0 = cpu_seconds(target.proc.pid), time.monotonic()
    time.sleep(window_s)
    used, wall = cpu_seconds(target.proc.pid) - before, time.monotonic() - t0
    return {"idle_cpu_pct": 100.0 * used / wall}
