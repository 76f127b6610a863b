"""Benchmark: RDS CreateDBInstance -> a psycopg connection with the master user works.

``measure_create_to_connectable(endpoint_url)`` creates a throwaway PostgreSQL instance on a
running runtime, times until ``SELECT 1`` succeeds through the endpoint DescribeDBInstances
reports, then deletes the instance. The first instance of a fresh ``ATELIER_HOME`` also pays
for the one-time template ``initdb``; ``measure_series`` shows cold and warm side by side.

    python -m atelier_devtools.bench.rds_measure http://127.0.0.1:4566 3
"""

from __future__ import annotations

import sys
import time
import uuid
from typing import Any

import boto3
import psycopg
from botocore.config import Config

PASSWORD = "bench-password-1"


def _rds(endpoint_url: str) -> Any:
    return boto3.client(
        "rds",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 2}),
    )


def measure_create_to_connectable(
    endpoint_url: str, *, db_id: str | None = None, timeout: float = 120.0
) -> float:
    """Seconds from CreateDBInstance to a working master-user connection (instance removed)."""
    rds = _rds(endpoint_url)
    db_id = db_id or f"bench-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    rds.create_db_instance(
        DBInstanceIdentifier=db_id,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="bench",
        MasterUserPassword=PASSWORD,
        DBName="bench",
    )
    try:
        last_error = "never available"
        while time.perf_counter() - started < timeout:
            found = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
            if found["DBInstanceStatus"] == "available":
                endpoint = found["Endpoint"]
                try:
                    with psycopg.connect(
                        host=endpoint["Address"], port=endpoint["Port"], user="bench",
                        password=PASSWORD, dbname="bench", connect_timeout=2,
                    ) as conn:  # fmt: skip
                        conn.execute("SELECT 1")
                    return time.perf_counter() - started
                except psycopg.OperationalError as exc:
                    last_error = str(exc).splitlines()[0]
            elif found["DBInstanceStatus"] == "failed":
                raise RuntimeError(f"instance {db_id} failed (see DescribeEvents)")
            time.sleep(0.01)
        raise TimeoutError(f"{db_id} not connectable after {timeout:.0f}s: {last_error}")
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=db_id, SkipFinalSnapshot=True)


def measure_series(endpoint_url: str, n: int = 3) -> list[float]:
    """``n`` measurements in a row: on a fresh home the first one is the cold one."""
    return [measure_create_to_connectable(endpoint_url) for _ in range(n)]


def main(argv: list[str]) -> int:
    endpoint = argv[0] if argv else "http://127.0.0.1:4566"
    n = int(argv[1]) if len(argv) > 1 else 3
    for i, seconds in enumerate(measure_series(endpoint, n), start=1):
        print(f"create -> connectable #{i}: {seconds:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
