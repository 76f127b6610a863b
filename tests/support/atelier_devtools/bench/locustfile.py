"""Locust users for ``python -m atelier_devtools.bench load`` (one scenario per run, from env).

LOAD_SCENARIO: ``structured`` (POST /structured_data through API Gateway with the token),
``structured_alb`` (POST /predict straight to the service's ALB: no API Gateway, no Lambda),
``poll`` (GET /jobs/{LOAD_JOB_ID}).

Each user is an independent client sending LOAD_USER_RPS requests a second on average, its
requests a Poisson process (exponential gaps, counted from the start of the previous request).
A fixed pace (``constant_throughput``) made users spawned together send in lock-step waves,
every user in the same instant each second: a 40 req/s run was then a 40-request burst every
second, and its p50 (260 ms) measured the waves, not the platform (24 ms for the same rate with
Poisson arrivals). LOAD_USER_RPS=0 sends the next request as soon as the answer arrives (a
closed loop: the throughput the platform sustains). LOAD_REQUESTS=N ends the run once N
requests have been answered (locust itself only has a time limit), and LOAD_SUMMARY names a
JSON file for what this process counted itself: requests answered and failed, the seconds
from the first request sent to the last answer (locust's CSV, written once a second, can miss
the last second when the run ends at once), and the p99 of the requests sent in the first
``EARLY_S`` seconds, while the clients are still arriving (a cold tail shows there, and is
lost in a whole run's p99). FastHttpUser keeps the load generator's own CPU low; it shares the
cores with what it measures.
"""

from __future__ import annotations

import json
import math
import os
import random
import time

from locust import FastHttpUser, events, task
from locust.exception import StopUser

SCENARIO = os.environ.get("LOAD_SCENARIO", "structured")
TOKEN = os.environ.get("LOAD_TOKEN", "")
JOB_ID = os.environ.get("LOAD_JOB_ID", "")
RECORD = os.environ.get("LOAD_RECORD_ID", "1789")


RPS = float(os.environ.get("LOAD_USER_RPS", "1"))
BUDGET = int(os.environ.get("LOAD_REQUESTS", "0"))
SUMMARY = os.environ.get("LOAD_SUMMARY", "")
EARLY_S = 5.0
_counts = {"sent": 0, "answered": 0, "failed": 0}
_times = {"first": 0.0, "last": 0.0}
_early_ms: list[float] = []  # latencies of the requests sent in the first EARLY_S seconds


def p99(values: list[float]) -> float | None:
    """The nearest-rank 99th percentile (None without values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def _summarize() -> None:
    if SUMMARY:
        seconds = _times["last"] - _times["first"]
        with open(SUMMARY, "w") as fh:
            json.dump({**_counts, "seconds": seconds, "early_p99_ms": p99(_early_ms)}, fh)


@events.quitting.add_listener
def _on_quitting(**_: object) -> None:
    """A run that ends on its time limit writes its summary too."""
    if not (BUDGET and _counts["answered"] >= BUDGET):
        _summarize()


class ApiUser(FastHttpUser):
    started = 0.0

    def wait_time(self) -> float:
        if RPS <= 0:
            return 0.0
        return max(0.0, random.expovariate(RPS) - (time.monotonic() - self.started))

    @task
    def one(self) -> None:
        if BUDGET and _counts["sent"] >= BUDGET:
            raise StopUser()
        if not _counts["sent"]:
            _times["first"] = time.monotonic()
        _counts["sent"] += 1
        sent = time.monotonic()
        try:
            self._one()
        finally:
            _counts["answered"] += 1
            _times["last"] = time.monotonic()
            if sent - _times["first"] < EARLY_S:
                _early_ms.append((_times["last"] - sent) * 1000)
            if BUDGET and _counts["answered"] >= BUDGET and self.environment.runner is not None:
                _summarize()
                self.environment.runner.quit()

    def _one(self) -> None:
        self.started = time.monotonic()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        if SCENARIO == "structured":
            call = self.client.post(
                "/structured_data", json={"id": RECORD}, headers=headers, name="structured",
                catch_response=True,
            )  # fmt: skip
        elif SCENARIO == "structured_alb":
            call = self.client.post(
                "/predict", json={"id": RECORD}, name="structured_alb", catch_response=True
            )
        else:
            call = self.client.get(
                f"/jobs/{JOB_ID}", headers=headers, name="poll", catch_response=True
            )
        with call as resp:
            if resp.status_code >= 400 or resp.status_code == 0:
                # who answered: API Gateway's own errors and the lambdas' carry a message
                _counts["failed"] += 1
                resp.failure(f"HTTP {resp.status_code} {resp.text[:60]!r}")
