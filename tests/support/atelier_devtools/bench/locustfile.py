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
closed loop: the throughput the platform sustains). FastHttpUser keeps the load generator's own
CPU low; it shares the cores with what it measures.
"""

from __future__ import annotations

import os
import random
import time

from locust import FastHttpUser, task

SCENARIO = os.environ.get("LOAD_SCENARIO", "structured")
TOKEN = os.environ.get("LOAD_TOKEN", "")
JOB_ID = os.environ.get("LOAD_JOB_ID", "")
RECORD = os.environ.get("LOAD_RECORD_ID", "1789")


RPS = float(os.environ.get("LOAD_USER_RPS", "1"))


class ApiUser(FastHttpUser):
    started = 0.0

    def wait_time(self) -> float:
        if RPS <= 0:
            return 0.0
        return max(0.0, random.expovariate(RPS) - (time.monotonic() - self.started))

    @task
    def one(self) -> None:
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
                resp.failure(f"HTTP {resp.status_code} {resp.text[:60]!r}")
