"""RDS against the real runtime: a real PostgreSQL per instance, its failure, its persistence."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from atelier.emulator.rds.pg_setup import find_binaries
from atelier_devtools.runtime import Runtime, free_port, start_runtime

pytestmark = pytest.mark.integration
PASSWORD = "Sup3r-secret"


def _create(rt: Runtime, db_id: str) -> dict[str, Any]:
    answer = rt.client("rds").create_db_instance(
        DBInstanceIdentifier=db_id,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="master",
        MasterUserPassword=PASSWORD,
        DBName="app",
    )
    instance: dict[str, Any] = answer["DBInstance"]
    return instance


def _wait(rt: Runtime, db_id: str, status: str, timeout: float = 90.0) -> dict[str, Any]:
    rds = rt.client("rds")
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        found: dict[str, Any] = rds.describe_db_instances(DBInstanceIdentifier=db_id)[
            "DBInstances"
        ][0]
        seen = found["DBInstanceStatus"]
        if seen == status:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{db_id} is {seen!r} after {timeout}s, expected {status!r}")


def _connect(instance: dict[str, Any], password: str = PASSWORD) -> psycopg.Connection[Any]:
    endpoint = instance["Endpoint"]
    return psycopg.connect(
        host=endpoint["Address"], port=endpoint["Port"], user="master", password=password,
        dbname="app", connect_timeout=5, autocommit=True,
    )  # fmt: skip


def _engine_row(rt: Runtime, db_id: str) -> dict[str, Any] | None:
    rows = [r for r in rt.status()["rds"] if r["id"] == db_id]
    return rows[0] if rows else None


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    )


def test_create_connect_sql_delete(runtime: Runtime) -> None:
    db_id = f"it-{uuid.uuid4().hex[:8]}"
    created = _create(runtime, db_id)
    assert created["DBInstanceStatus"] == "creating"
    instance = _wait(runtime, db_id, "available")
    assert instance["Endpoint"]["Address"] == "127.0.0.1"
    port = instance["Endpoint"]["Port"]
    assert port == created["Endpoint"]["Port"]
    with _connect(instance) as conn:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO items VALUES (1, 'one'), (2, 'two')")
        assert conn.execute("SELECT name FROM items ORDER BY id").fetchall() == [("one",), ("two",)]
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (
            "master",
            "app",
        )
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(instance, password="wrong").close()
    row = _engine_row(runtime, db_id)
    assert row is not None and row["pid"] and PASSWORD not in str(row)
    pid, data_dir = int(row["pid"]), Path(row["data_dir"])
    assert data_dir.is_dir()

    runtime.client("rds").delete_db_instance(DBInstanceIdentifier=db_id, SkipFinalSnapshot=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (_pid_alive(pid) or data_dir.exists()):
        time.sleep(0.05)
    assert not _pid_alive(pid), "the postmaster still runs after DeleteDBInstance"
    assert not _port_open(port) and not data_dir.exists()
    assert _engine_row(runtime, db_id) is None


def test_a_killed_postgres_is_a_visible_failure_and_the_runtime_keeps_serving(
    runtime: Runtime,
) -> None:
    db_id = f"it-{uuid.uuid4().hex[:8]}"
    _create(runtime, db_id)
    instance = _wait(runtime, db_id, "available")
    with _connect(instance) as conn:
        conn.execute("CREATE TABLE kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('survives a crash')")
    row = _engine_row(runtime, db_id)
    assert row is not None
    os.kill(int(row["pid"]), signal.SIGKILL)

    _wait(runtime, db_id, "failed", timeout=10)
    events = runtime.client("rds").describe_events(SourceType="db-instance", SourceIdentifier=db_id)
    messages = [e["Message"] for e in events["Events"]]
    assert any("PostgreSQL exited unexpectedly (killed by signal 9)" in m for m in messages), (
        messages
    )
    failed_row = _engine_row(runtime, db_id)
    assert failed_row is not None and "killed by signal 9" in failed_row["reason"]
    # the runtime keeps answering other APIs (and RDS) while the instance is down
    runtime.client("s3").create_bucket(Bucket=f"{db_id}-alive")
    assert runtime.client("rds").describe_db_instances()["DBInstances"]

    back = _wait(runtime, db_id, "available", timeout=60)  # the restart attempt
    with _connect(back) as conn:
        assert conn.execute("SELECT v FROM kept").fetchall() == [("survives a crash",)]
    runtime.client("rds").delete_db_instance(DBInstanceIdentifier=db_id, SkipFinalSnapshot=True)


def test_persist_keeps_the_database_across_a_restart(tmp_path: Path) -> None:
    port = free_port()
    first = start_runtime(tmp_path, persist=True, port=port)
    try:
        _create(first, "kept-db")
        instance = _wait(first, "kept-db", "available")
        with _connect(instance) as conn:
            conn.execute("CREATE TABLE notes (body text)")
            conn.execute("INSERT INTO notes VALUES ('written before the restart')")
        row = _engine_row(first, "kept-db")
        assert row is not None
        pid = int(row["pid"])
    finally:
        first.stop()
    assert not _pid_alive(pid), "stopping the runtime must stop its PostgreSQL"
    second = start_runtime(tmp_path, persist=True, port=port)
    try:
        again = _wait(second, "kept-db", "available")
        assert again["Endpoint"]["Port"] == instance["Endpoint"]["Port"]  # secrets stay valid
        with _connect(again) as conn:
            assert conn.execute("SELECT body FROM notes").fetchall() == [
                ("written before the restart",)
            ]
    finally:
        second.stop()


# Fault injection: a `postgres` that, the first time it is started as a server, is slow and
# then gives up (as a start that does not make it under load); every other use is the real one.
SLOW_FIRST_START = """#!/bin/sh
case " $* " in
  *" --single "*|*" --version"*|*" -V "*) ;;
  *" -D "*)
    if [ -e "{state}/first" ]; then
      rm -f "{state}/first"
      sleep 2
      echo "FATAL: injected: the server did not come up in time" >&2
      exit 1
    fi ;;
esac
exec "{real}" "$@"
"""


def _slow_bindir(root: Path) -> Path:
    """``root`` outside pytest's private temp dir: the server's user must reach it."""
    real = find_binaries().bindir
    bindir, state = root / "pgbin", root / "pgstate"
    bindir.mkdir()
    state.mkdir()
    for exe in real.iterdir():
        if exe.name != "postgres":
            (bindir / exe.name).symlink_to(exe)
    wrapper = bindir / "postgres"
    wrapper.write_text(SLOW_FIRST_START.format(state=state, real=real / "postgres"))
    (state / "first").touch()
    for path, mode in ((bindir, 0o755), (wrapper, 0o755), (state, 0o777), (root, 0o755)):
        path.chmod(mode)  # the server may run as an unprivileged user
    return bindir


def test_a_slow_first_start_keeps_the_instance_creating_until_postgres_answers(
    tmp_path: Path,
) -> None:
    # A Terraform apply fails on `unexpected state 'failed'`: creating must never show it.
    root = Path(tempfile.mkdtemp(prefix="atelier-slow-pg-"))
    bindir = _slow_bindir(root)
    rt = start_runtime(tmp_path / "home", env={"ATELIER_PG_BINDIR": str(bindir)})
    try:
        db_id = f"it-{uuid.uuid4().hex[:8]}"
        _create(rt, db_id)
        rds = rt.client("rds")
        seen: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not seen or seen[-1] != "available"):
            found = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
            seen.append(found["DBInstanceStatus"])
            time.sleep(0.05)
        assert "failed" not in seen, f"creation went through failed: {sorted(set(seen))}"
        assert seen[-1] == "available", f"still {seen[-1]!r} after 120 s"
        assert not (root / "pgstate" / "first").exists(), "the fault was not injected"
        events = rds.describe_events(SourceType="db-instance", SourceIdentifier=db_id)["Events"]
        messages = [e["Message"] for e in events]
        assert any("still creating" in m and "injected" in m for m in messages), messages
        with _connect(found) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("app",)
    finally:
        rt.stop()
        shutil.rmtree(root, ignore_errors=True)
