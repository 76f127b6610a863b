"""A killed PostgreSQL under the deployed stack comes back, and the structured service
reconnects without a restart."""

from __future__ import annotations

import time
from typing import Any

import pytest

from atelier_devtools.e2e.api import Api

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_killed_postgres_comes_back_and_the_service_reconnects_without_a_restart(
    api: Api, stack: dict[str, Any], runtime: Any
) -> None:
    import os
    import signal

    db_id = stack["outputs"]["db_identifier"]
    rds = stack["client"]("rds")

    def status() -> str:
        return str(
            rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0][
                "DBInstanceStatus"
            ]
        )

    def wait(wanted: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (seen := status()) != wanted:
            assert time.monotonic() < deadline, f"{db_id} is {seen}, expected {wanted}"
            time.sleep(0.1)

    service_pids = {
        t["pid"] for t in runtime.status()["tasks"] if t["group"].startswith("service:")
    }
    (row,) = [r for r in runtime.status()["rds"] if r["id"] == db_id]
    os.kill(int(row["pid"]), signal.SIGKILL)
    wait("failed", 15)
    down_status, down_body = api.call("POST", "/structured_data", {"id": "1789"})
    assert down_status in (200, 404, 502, 503, 504), (down_status, down_body)  # a clear answer
    wait("available", 60)
    answer = api.expect(200, "POST", "/structured_data", {"id": "1789"})
    assert answer["prediction"] in (0, 1)
    now = {t["pid"] for t in runtime.status()["tasks"] if t["group"].startswith("service:")}
    assert service_pids <= now, "the service was restarted to reconnect"
