"""Locust users for ``python -m atelier_devtools.bench load`` (one scenario per run, from env).

LOAD_SCENARIO: ``structured`` (POST /structured_data through API Gateway with the token),
``structured_alb`` (POST /predict straight to the service's ALB: no API Gateway, no Lambda),
``poll`` (GET /jobs/{LOAD_JOB_ID}). Each user paces itself to LOAD_USER_RPS requests a second.
"""

from __future__ import annotations

import os

from locust import HttpUser, constant_throughput, task

SCENARIO = os.environ.get("LOAD_SCENARIO", "structured")
TOKEN = os.environ.get("LOAD_TOKEN", "")
JOB_ID = os.environ.get("LOAD_JOB_ID", "")
RECORD = os.environ.get("LOAD_RECORD_ID", "1789")


class ApiUser(HttpUser):
    wait_time = constant_throughput(float(os.environ.get("LOAD_USER_RPS", "1")))

    @task
    def one(self) -> None:
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
