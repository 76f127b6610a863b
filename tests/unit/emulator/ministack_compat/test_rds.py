"""The RDS bridge against MiniStack's real RDS module, in process (no server, no PostgreSQL)."""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Iterator
from typing import Any

import pytest

from atelier.emulator.ministack_compat import rds as bridge

rds = importlib.import_module("ministack.services.rds")
ACCOUNT, REGION = "000000000000", "us-east-1"


@pytest.fixture
def ministack_rds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(rds, "_get_docker", lambda: None)
    with bridge.scope(ACCOUNT, REGION):
        rds.reset()
        yield rds
        bridge.uninstall_hooks()
        rds.reset()


def _call(action: str, **params: str) -> tuple[int, str]:
    status, _headers, body = rds._ACTION_MAP[action]({k: [v] for k, v in params.items()})
    return int(status), body.decode()


def _create(db_id: str, engine: str = "postgres") -> tuple[int, str]:
    return _call(
        "CreateDBInstance",
        DBInstanceIdentifier=db_id,
        Engine=engine,
        MasterUsername="master",
        MasterUserPassword="not-in-logs",
        DBName="app",
    )


def test_action_map_and_renderer_keep_their_shape() -> None:
    assert "CreateDBInstance" in rds._ACTION_MAP
    params = list(inspect.signature(rds._single_instance_response).parameters)
    assert params == ["root_tag", "result_tag", "instance"]
    assert isinstance(
        rds._instances, importlib.import_module("ministack.core.responses").AccountRegionScopedDict
    )


def test_postgres_instances_lists_standalone_postgres_only(ministack_rds: Any) -> None:
    assert _create("pg1")[0] == 200
    assert _create("my1", engine="mysql")[0] == 200
    refs = bridge.postgres_instances()
    assert [(r.account, r.region, r.db_id) for r in refs] == [(ACCOUNT, REGION, "pg1")]
    ref = refs[0]
    assert (ref.master_username, ref.master_password, ref.db_name) == (
        "master",
        "not-in-logs",
        "app",
    )
    assert bridge.is_current(ref)
    _call("DeleteDBInstance", DBInstanceIdentifier="pg1", SkipFinalSnapshot="true")
    assert not bridge.is_current(ref)
    assert bridge.postgres_instances() == []


def test_publish_sets_endpoint_and_status_but_never_undoes_a_stop(ministack_rds: Any) -> None:
    _create("pg1")
    ref = bridge.postgres_instances()[0]
    bridge.publish(ref, "creating", 45678)
    _, body = _call("DescribeDBInstances", DBInstanceIdentifier="pg1")
    assert "<DBInstanceStatus>creating</DBInstanceStatus>" in body
    assert "<Address>127.0.0.1</Address>" in body and "<Port>45678</Port>" in body
    _call("StopDBInstance", DBInstanceIdentifier="pg1")
    bridge.publish(ref, "available")
    assert ref.status == "stopped"


def test_add_event_is_visible_through_describe_events(ministack_rds: Any) -> None:
    _create("pg1")
    ref = bridge.postgres_instances()[0]
    bridge.add_event(ref, "PostgreSQL exited unexpectedly (killed by signal 9)", "failure")
    _, body = _call("DescribeEvents", SourceType="db-instance", SourceIdentifier="pg1")
    assert "PostgreSQL exited unexpectedly (killed by signal 9)" in body
    assert "<EventCategory>failure</EventCategory>" in body


def test_create_hook_claims_before_the_answer_is_rendered(ministack_rds: Any) -> None:
    claimed: list[bridge.InstanceRef] = []

    def claim(ref: bridge.InstanceRef) -> None:
        claimed.append(ref)
        bridge.publish(ref, "creating", 40001)

    bridge.install_hooks(claim)
    bridge.install_hooks(claim)  # installing twice wraps once
    status, body = _create("pg1")
    assert status == 200
    assert "<DBInstanceStatus>creating</DBInstanceStatus>" in body and "<Port>40001</Port>" in body
    assert [r.db_id for r in claimed] == ["pg1"]
    assert _create("pg1")[0] == 400  # errors pass through untouched
    _create("my1", engine="mysql")
    assert [r.db_id for r in claimed] == ["pg1"]
    bridge.uninstall_hooks()
    assert not hasattr(rds._ACTION_MAP["CreateDBInstance"], "__wrapped__")


def test_restore_leaves_postgres_instances_to_the_engine(ministack_rds: Any) -> None:
    _create("pg1")
    _create("my1", engine="mysql")
    state = rds.get_state()
    rds.reset()
    bridge.install_hooks(lambda ref: None)
    rds.load_persisted_state(state)
    deadline = time.monotonic() + 5
    while rds._instances.get("my1")["DBInstanceStatus"] != "available":
        assert time.monotonic() < deadline, "MiniStack's restore worker never ran"
        time.sleep(0.01)
    time.sleep(0.2)  # the workers run in threads: give pg1's time to (wrongly) act
    assert rds._instances.get("pg1")["DBInstanceStatus"] == "creating"  # the engine decides
