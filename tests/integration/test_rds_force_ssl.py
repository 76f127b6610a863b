"""``rds.force_ssl = 1`` in the instance's DB parameter group: its PostgreSQL takes TLS only."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration
PASSWORD = "Sup3r-secret"


def _instance(rt: Runtime, force_ssl: str | None) -> dict[str, Any]:
    from tests.integration.test_rds import _wait

    rds, db_id = rt.client("rds"), f"tls-{uuid.uuid4().hex[:6]}"
    extra = {}
    if force_ssl is not None:
        group = f"{db_id}-params"
        rds.create_db_parameter_group(
            DBParameterGroupName=group, DBParameterGroupFamily="postgres15", Description="tls"
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName=group,
            Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": force_ssl,
                         "ApplyMethod": "immediate"}],
        )  # fmt: skip
        extra["DBParameterGroupName"] = group
    rds.create_db_instance(
        DBInstanceIdentifier=db_id, Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="master", MasterUserPassword=PASSWORD,
        DBName="app", **extra,
    )  # fmt: skip
    return _wait(rt, db_id, "available")


def _connect(instance: dict[str, Any], sslmode: str) -> psycopg.Connection[Any]:
    endpoint = instance["Endpoint"]
    return psycopg.connect(
        host=endpoint["Address"], port=endpoint["Port"], user="master", password=PASSWORD,
        dbname="app", connect_timeout=5, autocommit=True, sslmode=sslmode,
    )  # fmt: skip


def test_force_ssl_refuses_a_connection_without_tls(runtime: Runtime) -> None:
    instance = _instance(runtime, "1")
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        _connect(instance, "disable").close()
    with _connect(instance, "require") as conn:
        assert conn.pgconn.ssl_in_use  # the client's side of the connection is TLS
        assert conn.execute("SELECT current_user").fetchone() == ("master",)
    runtime.client("rds").delete_db_instance(
        DBInstanceIdentifier=instance["DBInstanceIdentifier"], SkipFinalSnapshot=True
    )


def test_without_force_ssl_plain_connections_still_work(runtime: Runtime) -> None:
    instance = _instance(runtime, "0")
    with _connect(instance, "disable") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    runtime.client("rds").delete_db_instance(
        DBInstanceIdentifier=instance["DBInstanceIdentifier"], SkipFinalSnapshot=True
    )
