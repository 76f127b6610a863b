"""The one place the RDS engine touches MiniStack's RDS internals (pinned: ministack==1.5.33).

MiniStack answers the RDS API and keeps each instance as a dict in ``rds._instances`` (an
``AccountRegionScopedDict`` keyed by ``(account, region, id)``); events live in ``rds._events``.
Without Docker it marks a new instance ``available`` at once, on a made-up endpoint. The engine
reads the records through :func:`postgres_instances` and publishes what is really running with
:func:`publish`; :func:`install_hooks` lets it claim a new instance inside the
CreateDBInstance call (the answer already says ``creating`` with the real endpoint) and keeps
MiniStack's restore of persisted state from calling a restored instance ``available`` early.

``tests/unit/emulator/ministack_compat/test_rds.py`` asserts every name in :data:`REQUIRED_INTERNALS`
still exists, so a MiniStack upgrade that moves them fails there, not at run time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ministack.core.responses import request_scope
from ministack.services import rds

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.responses": ("request_scope",),
    "ministack.services.rds": (
        "_ACTION_MAP",
        "_events.set_scoped",
        "_instances._data.get",
        "_instances._data.items",
        "_instances.get",
        "_p",
        "_single_instance_response",
        "_start_rds_container_for_instance",
        "get_account_id",
        "get_region",
    ),
}

# Engines the RDS engine runs; cluster members (Aurora) stay control-plane only.
POSTGRES_ENGINES = frozenset({"postgres"})
# Statuses set by the API that the engine must not overwrite.
STOPPED_STATUSES = frozenset({"stopped", "stopping"})

Record = dict[str, Any]


@dataclass(frozen=True)
class InstanceRef:
    """One DB instance record in MiniStack, with the account and region it lives in."""

    account: str
    region: str
    db_id: str
    record: Record

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.db_id)

    @property
    def status(self) -> str:
        return str(self.record.get("DBInstanceStatus") or "")

    @property
    def master_username(self) -> str:
        return str(self.record.get("MasterUsername") or "postgres")

    @property
    def master_password(self) -> str:
        """The master password (never log it)."""
        return str(self.record.get("_MasterUserPassword") or "")

    @property
    def db_name(self) -> str:
        return str(self.record.get("DBName") or "postgres")

    @property
    def port(self) -> int | None:
        value = (self.record.get("Endpoint") or {}).get("Port")
        return int(value) if value else None

    @property
    def arn(self) -> str:
        return str(self.record.get("DBInstanceArn") or "")


def is_postgres(record: Record) -> bool:
    return record.get("Engine") in POSTGRES_ENGINES and not record.get("DBClusterIdentifier")


def postgres_instances() -> list[InstanceRef]:
    """Every standalone PostgreSQL instance in every account and region (a snapshot)."""
    return [
        InstanceRef(key[0], key[1], key[2], record)
        for key, record in list(rds._instances._data.items())
        if isinstance(record, dict) and is_postgres(record) and not record.get("_deleting")
    ]


def is_current(ref: InstanceRef) -> bool:
    """Is ``ref.record`` still the live record for its id (not deleted or replaced)?"""
    return rds._instances._data.get(ref.key) is ref.record


def publish(ref: InstanceRef, status: str | None, port: int | None = None) -> None:
    """Show ``status`` and the endpoint 127.0.0.1:``port`` in DescribeDBInstances."""
    if port is not None:
        endpoint = ref.record.setdefault("Endpoint", {})
        endpoint["Address"] = "127.0.0.1"
        endpoint["Port"] = port
        ref.record["DbInstancePort"] = port
    if status is not None and ref.record.get("DBInstanceStatus") not in STOPPED_STATUSES:
        ref.record["DBInstanceStatus"] = status


def add_event(ref: InstanceRef, message: str, category: str) -> None:
    """An RDS event for the instance, visible through DescribeEvents."""
    event = {
        "SourceIdentifier": ref.db_id,
        "SourceType": "db-instance",
        "SourceArn": ref.arn,
        "Message": message,
        "Date": time.time(),
        "EventCategories": [category],
    }
    rds._events.set_scoped(ref.account, ref.region, str(uuid.uuid4()), event)


def install_hooks(claim: Callable[[InstanceRef], None]) -> None:
    """Hand the engine the PostgreSQL instances at the two places MiniStack decides for them.

    - CreateDBInstance: MiniStack's handler runs, then ``claim`` sets the new instance's status
      and endpoint, and the answer is rendered again with MiniStack's renderer (so it already
      says ``creating`` on the real port).
    - Restore of persisted state: MiniStack's worker would mark each restored instance
      ``available`` while its database is still starting; for ours it now does nothing and
      the engine's reconcile adopts the instance.

    Installing again replaces ``claim`` (one wrapper each, ever).
    """
    current = rds._ACTION_MAP["CreateDBInstance"]
    original_create = getattr(current, "__wrapped__", current)

    def create_db_instance(params: dict[str, Any]) -> Any:
        response = original_create(params)
        db_id = rds._p(params, "DBInstanceIdentifier")
        status = response[0] if isinstance(response, tuple) else 200
        if status != 200 or not db_id:
            return response
        record = rds._instances.get(db_id)
        if not isinstance(record, dict) or not is_postgres(record):
            return response
        claim(InstanceRef(rds.get_account_id(), rds.get_region(), db_id, record))
        return rds._single_instance_response(
            "CreateDBInstanceResponse", "CreateDBInstanceResult", record
        )

    respawn = rds._start_rds_container_for_instance
    original_respawn = getattr(respawn, "__wrapped__", respawn)

    def start_container_for_instance(db_id: str, instance: Record) -> Any:
        if is_postgres(instance):
            return None
        return original_respawn(db_id, instance)

    create_db_instance.__wrapped__ = original_create  # type: ignore[attr-defined]
    start_container_for_instance.__wrapped__ = original_respawn  # type: ignore[attr-defined]
    rds._ACTION_MAP["CreateDBInstance"] = create_db_instance
    rds._start_rds_container_for_instance = start_container_for_instance


def uninstall_hooks() -> None:
    current = rds._ACTION_MAP["CreateDBInstance"]
    rds._ACTION_MAP["CreateDBInstance"] = getattr(current, "__wrapped__", current)
    respawn = rds._start_rds_container_for_instance
    rds._start_rds_container_for_instance = getattr(respawn, "__wrapped__", respawn)


def scope(account: str, region: str) -> Any:
    """MiniStack's request scope (its functions read the account and region from it)."""
    return request_scope(account, region)
