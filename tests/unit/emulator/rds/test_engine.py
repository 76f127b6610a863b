"""RdsEngine's decisions, against MiniStack's real RDS module and a fake PostgreSQL process.

The real PostgreSQL is exercised by test_postgres.py and tests/integration/test_rds.py; here
a fake process lets each lifecycle step (start failure, death, restart, stop, delete) happen
on demand and fast.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from atelier.config import Settings
from atelier.emulator.ministack_compat import rds as bridge
from atelier.emulator.rds import engine as engine_mod
from atelier.emulator.rds.pg_setup import Binaries, PostgresError, RunAs, SetupError
from atelier_devtools.runtime import free_port

rds = importlib.import_module("ministack.services.rds")
PASSWORD = "pw-that-must-not-leak"


class FakeProcess:
    instances: ClassVar[list[FakeProcess]] = []
    start_errors: ClassVar[list[str | PostgresError]] = []
    # fault injection: seconds the server needs before it answers (a loaded machine); a start
    # that may wait less fails as PostgresProcess.start does, without the test waiting for it
    ready_needs_s: ClassVar[float] = 0.0

    def __init__(self, binaries: Any, data_dir: Path, port: int, log_path: Path, user: RunAs,
                 *, durable: bool, tls: Any = None) -> None:  # fmt: skip
        self.data_dir, self.port, self.durable, self.tls = data_dir, port, durable, tls
        self.exit_code: int | None = None
        self.stopped = False
        self.bootstrapped: tuple[str, str, str] | None = None
        self.pid = 10_000 + len(FakeProcess.instances)
        self.timeout: float | None = None
        FakeProcess.instances.append(self)

    def start(self, timeout: float = 30.0, abandon: Callable[[], bool] | None = None) -> None:
        self.timeout = timeout
        if FakeProcess.start_errors:
            error = FakeProcess.start_errors.pop(0)
            raise error if isinstance(error, PostgresError) else PostgresError(error)
        if timeout < FakeProcess.ready_needs_s:
            self.stopped = True
            raise PostgresError(f"PostgreSQL did not become ready in {timeout:.0f}s: LOG: slow")

    def bootstrap(self, username: str, password: str, dbname: str) -> None:
        self.bootstrapped = (username, password, dbname)

    def poll(self) -> int | None:
        return -1 if self.stopped else self.exit_code

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped = True

    def kill(self) -> None:
        self.stopped = True

    def log_tail(self, lines: int = 5) -> str:
        return "LOG: terminated"


def _prepare(data_dir: Path, template: Path, user: RunAs) -> bool:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "PG_VERSION").write_text("16")
    return True


@pytest.fixture
def fake_pg(monkeypatch: pytest.MonkeyPatch) -> type[FakeProcess]:
    FakeProcess.instances, FakeProcess.start_errors, FakeProcess.ready_needs_s = [], [], 0.0
    monkeypatch.setattr(engine_mod, "find_binaries", lambda: Binaries(Path("/x"), "16.2"))
    monkeypatch.setattr(engine_mod, "server_user", RunAs)
    monkeypatch.setattr(engine_mod, "ensure_template", lambda b, cache, user: cache / "t")
    monkeypatch.setattr(engine_mod, "prepare_data_dir", _prepare)
    monkeypatch.setattr(engine_mod, "refill_spare", lambda template, user: None)
    monkeypatch.setattr(engine_mod, "stop_stale_postmaster", lambda data_dir: False)
    monkeypatch.setattr(engine_mod, "PostgresProcess", FakeProcess)
    monkeypatch.setenv("ATELIER_RDS_RESTART_DELAY", "0.2")
    return FakeProcess


@pytest.fixture
def ministack(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(rds, "_get_docker", lambda: None)
    with bridge.scope("000000000000", "us-east-1"):
        rds.reset()
        yield
        bridge.uninstall_hooks()
        rds.reset()


@pytest.fixture
def make_engine(tmp_path: Path, fake_pg: Any, ministack: None) -> Iterator[Callable[..., Any]]:
    engines: list[engine_mod.RdsEngine] = []

    def make(persist: bool = False) -> engine_mod.RdsEngine:
        engine = engine_mod.RdsEngine(Settings(home=tmp_path / "home", persist=persist))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.shutdown()


def _call(action: str, **params: str) -> dict[str, str]:
    status, _h, body = rds._ACTION_MAP[action]({k: [v] for k, v in params.items()})
    text = body.decode()

    def pick(tag: str) -> str:
        return text.split(f"<{tag}>")[1].split(f"</{tag}>")[0] if f"<{tag}>" in text else ""

    return {
        "http": str(status),
        "status": pick("DBInstanceStatus"),
        "port": pick("Port"),
        "body": text,
    }


def _create(db_id: str = "db1") -> dict[str, str]:
    return _call("CreateDBInstance", DBInstanceIdentifier=db_id, Engine="postgres",
                 MasterUsername="master", MasterUserPassword=PASSWORD, DBName="app")  # fmt: skip


def _until(engine: engine_mod.RdsEngine, db_id: str, status: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        engine.reconcile()
        seen = _call("DescribeDBInstances", DBInstanceIdentifier=db_id)["status"]
        if seen == status:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"{db_id} stayed {seen!r}, expected {status!r}")


def test_create_answers_creating_on_the_real_port_then_available(make_engine: Any) -> None:
    engine = make_engine()
    answer = _create()
    assert answer["status"] == "creating"
    _until(engine, "db1", "available")
    described = _call("DescribeDBInstances", DBInstanceIdentifier="db1")
    assert described["port"] == answer["port"] != "5432"
    proc = FakeProcess.instances[-1]
    assert proc.port == int(answer["port"]) and proc.bootstrapped == ("master", PASSWORD, "app")
    assert not proc.durable  # without persist, fsync is off
    events = _call("DescribeEvents", SourceType="db-instance", SourceIdentifier="db1")["body"]
    assert "DB instance created: PostgreSQL 16.2 on 127.0.0.1:" in events


def test_a_died_server_shows_failed_with_its_reason_then_restarts(make_engine: Any) -> None:
    engine = make_engine()
    _create()
    _until(engine, "db1", "available")
    FakeProcess.instances[-1].exit_code = -9
    engine.reconcile()
    assert _call("DescribeDBInstances", DBInstanceIdentifier="db1")["status"] == "failed"
    [row] = engine.status()
    assert "killed by signal 9" in str(row["reason"]) and row["status"] == "failed"
    events = _call("DescribeEvents", SourceType="db-instance", SourceIdentifier="db1")["body"]
    assert "PostgreSQL exited unexpectedly (killed by signal 9)" in events
    assert "restarting in 0.2s (attempt 1 of 3)" in events
    _until(engine, "db1", "available")
    assert len(FakeProcess.instances) == 2 and engine.status()[0]["restarts"] == 1


def test_a_start_failure_is_a_visible_status_not_an_exception(
    make_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATELIER_RDS_CREATE_TIMEOUT", "0.3")
    FakeProcess.start_errors = ["initdb failed: disk full"] * 40
    engine = make_engine()
    _create()
    _until(engine, "db1", "failed")
    assert "PostgreSQL could not start: initdb failed: disk full" in str(
        engine.status()[0]["reason"]
    )
    assert _call("DescribeDBInstances")["http"] == "200"  # the API keeps serving


def test_a_port_taken_meanwhile_moves_the_instance_to_another(make_engine: Any) -> None:
    FakeProcess.start_errors = ["could not bind IPv4 address: Address already in use"]
    engine = make_engine()
    first = _create()["port"]
    _until(engine, "db1", "available")
    assert _call("DescribeDBInstances", DBInstanceIdentifier="db1")["port"] != first


def _stranger_binds(port: int) -> bool:
    """Whether another program's plain bind (as any bind(0) or connect would) gets ``port``."""
    with socket.socket() as stranger:
        try:
            stranger.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_a_died_server_keeps_its_port_while_it_is_down(make_engine: Any) -> None:
    engine = make_engine()
    port = int(_create()["port"])
    _until(engine, "db1", "available")
    FakeProcess.instances[-1].exit_code = -9
    engine.reconcile()
    assert engine.status()[0]["status"] == "failed"
    assert not _stranger_binds(port), "another program could take the port of a failed instance"
    _until(engine, "db1", "available")
    assert FakeProcess.instances[-1].port == port
    assert _call("DescribeDBInstances", DBInstanceIdentifier="db1")["port"] == str(port)
    _call("DeleteDBInstance", DBInstanceIdentifier="db1", SkipFinalSnapshot="true")
    deadline = time.monotonic() + 5
    while engine.status() or not _stranger_binds(port):  # deleted: the port is the machine's
        assert time.monotonic() < deadline, "a deleted instance kept its port"
        engine.reconcile()
        time.sleep(0.02)


def test_a_restored_instance_whose_port_is_taken_moves_and_says_who_has_it(
    make_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_mod, "PORT_WAIT_S", 0.3)
    _create()
    ref = bridge.postgres_instances()[0]
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        port = squatter.getsockname()[1]
        bridge.publish(ref, "creating", port)
        engine = make_engine(persist=True)
        (data := engine.root / "db1" / "data").mkdir(parents=True)
        (data / "PG_VERSION").write_text("16")
        _until(engine, "db1", "available")
    moved = int(_call("DescribeDBInstances", DBInstanceIdentifier="db1")["port"])
    assert moved != port and FakeProcess.instances[-1].port == moved
    events = _call("DescribeEvents", SourceType="db-instance", SourceIdentifier="db1")["body"]
    assert f"endpoint moved to port {moved}: 127.0.0.1:{port} is taken" in events
    assert f"pid {os.getpid()} (" in events and "LISTEN" in events


def test_delete_stops_the_server_and_removes_its_data(make_engine: Any, tmp_path: Path) -> None:
    engine = make_engine()
    _create()
    _until(engine, "db1", "available")
    data = tmp_path / "home" / "rds" / "db1" / "data"
    assert (data / "PG_VERSION").exists()
    _call("DeleteDBInstance", DBInstanceIdentifier="db1", SkipFinalSnapshot="true")
    engine.reconcile()
    deadline = time.monotonic() + 5
    while data.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert FakeProcess.instances[-1].stopped and not data.exists() and engine.status() == []


def test_stop_and_start_instance_stop_and_start_the_server(make_engine: Any) -> None:
    engine = make_engine()
    _create()
    _until(engine, "db1", "available")
    _call("StopDBInstance", DBInstanceIdentifier="db1")
    _until(engine, "db1", "stopped")
    time.sleep(0.1)
    assert FakeProcess.instances[-1].stopped
    _call("StartDBInstance", DBInstanceIdentifier="db1")
    _until(engine, "db1", "available")
    assert len(FakeProcess.instances) == 2 and not FakeProcess.instances[-1].stopped


def test_the_password_is_in_no_status_and_no_log(
    make_engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = make_engine()
    _create()
    _until(engine, "db1", "available")
    FakeProcess.instances[-1].exit_code = 1
    _until(engine, "db1", "failed")
    assert PASSWORD not in json.dumps(engine.status(), default=str)
    assert caplog.records and PASSWORD not in caplog.text


def test_without_persist_leftovers_of_an_earlier_run_are_removed(
    make_engine: Any, tmp_path: Path
) -> None:
    leftover = tmp_path / "home" / "rds" / "old" / "data"
    leftover.mkdir(parents=True)
    make_engine(persist=False)
    assert not leftover.exists()


def test_with_persist_a_restored_instance_reuses_its_data_and_port(
    make_engine: Any, tmp_path: Path
) -> None:
    _create()  # a record restored from MiniStack's state, before the engine exists
    ref = bridge.postgres_instances()[0]
    port = free_port()
    bridge.publish(ref, "creating", port)
    data = tmp_path / "home" / "rds" / "db1" / "data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("16")
    (data / "kept").write_text("rows")
    engine = make_engine(persist=True)
    _until(engine, "db1", "available")
    assert (data / "kept").read_text() == "rows"
    assert FakeProcess.instances[-1].port == port and FakeProcess.instances[-1].durable
    events = _call("DescribeEvents", SourceType="db-instance", SourceIdentifier="db1")["body"]
    assert "DB instance restored" in events


def _statuses_until(engine: engine_mod.RdsEngine, db_id: str, status: str) -> list[str]:
    """Every status DescribeDBInstances shows until ``status`` (what a Terraform poll could see)."""
    seen: list[str] = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and (not seen or seen[-1] != status):
        engine.reconcile()
        seen.append(_call("DescribeDBInstances", DBInstanceIdentifier=db_id)["status"])
        time.sleep(0.01)
    return seen


def test_a_slow_postgres_keeps_the_instance_creating_until_it_answers(make_engine: Any) -> None:
    # the AWS provider treats `failed` as final: a slow start under load must never show it
    FakeProcess.ready_needs_s = 45.0  # more than a restart's 30 s wait
    engine = make_engine()
    _create()
    seen = _statuses_until(engine, "db1", "available")
    assert "failed" not in seen, f"a slow creation went through failed: {seen}"
    assert set(seen) <= {"creating", "available"} and seen[-1] == "available"
    assert FakeProcess.instances[-1].timeout is not None
    assert FakeProcess.instances[-1].timeout >= 45.0  # it waited as long as creation may take


def test_a_start_that_fails_while_creating_is_tried_again_quietly(make_engine: Any) -> None:
    FakeProcess.start_errors = ["PostgreSQL exited during start (code 1): FATAL: out of memory"]
    engine = make_engine()
    _create()
    seen = _statuses_until(engine, "db1", "available")
    assert "failed" not in seen and seen[-1] == "available", seen
    assert len(FakeProcess.instances) == 2
    events = _call("DescribeEvents", SourceType="db-instance", SourceIdentifier="db1")["body"]
    assert "DB instance still creating: PostgreSQL could not start: PostgreSQL exited" in events
    assert "DB instance created" in events


def test_a_creation_that_never_succeeds_fails_for_good_after_the_bound(
    make_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATELIER_RDS_CREATE_TIMEOUT", "0.5")
    FakeProcess.start_errors = ["PostgreSQL exited during start (code 1): FATAL: no space"] * 99
    engine = make_engine()
    _create()
    seen = _statuses_until(engine, "db1", "failed")
    assert set(seen) == {"creating", "failed"}, seen
    reason = str(engine.status()[0]["reason"])
    assert "DB instance creation did not complete within 0.5s" in reason
    assert "FATAL: no space" in reason
    events = _call("DescribeEvents", SourceType="db-instance", SourceIdentifier="db1")["body"]
    assert "DB instance creation did not complete within 0.5s" in events
    tries = len(FakeProcess.instances)
    time.sleep(0.5)  # final, as on AWS: no restart
    engine.reconcile()
    assert _call("DescribeDBInstances", DBInstanceIdentifier="db1")["status"] == "failed"
    assert len(FakeProcess.instances) == tries


def test_a_slow_start_after_stop_stays_starting(make_engine: Any) -> None:
    engine = make_engine()
    _create()
    _until(engine, "db1", "available")
    _call("StopDBInstance", DBInstanceIdentifier="db1")
    _until(engine, "db1", "stopped")
    FakeProcess.ready_needs_s = 45.0
    FakeProcess.start_errors = ["PostgreSQL exited during start (code 1): FATAL: busy"]
    _call("StartDBInstance", DBInstanceIdentifier="db1")
    seen = _statuses_until(engine, "db1", "available")
    assert "failed" not in seen and seen[-1] == "available", seen


def test_a_machine_not_set_up_for_postgres_fails_at_once_with_the_fix(make_engine: Any) -> None:
    # trying again cannot help: failed at once (not 600 s of `creating`), saying what to fix
    FakeProcess.start_errors = [SetupError("pgserver cannot reach /x: set ATELIER_ROOT_SETUP=1")]
    engine = make_engine()
    _create()
    seen = _statuses_until(engine, "db1", "failed")
    assert seen[-1] == "failed" and "ATELIER_ROOT_SETUP=1" in str(engine.status()[0]["reason"])
    time.sleep(0.4)  # no restart either (the restart delay is 0.2 s here)
    engine.reconcile()
    assert _call("DescribeDBInstances", DBInstanceIdentifier="db1")["status"] == "failed"
    assert len(FakeProcess.instances) == 1
