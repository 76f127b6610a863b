"""postgres.py on a real PostgreSQL: template copy, master user over TCP, restart, stale servers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from atelier.emulator.rds import pg_setup as pg
from atelier.emulator.rds import postgres
from atelier.emulator.rds.ports import PortHold
from atelier_devtools.runtime import free_port

pytestmark = pytest.mark.slow  # a real PostgreSQL per test


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[pg.Binaries, pg.RunAs, Path]:
    binaries, user = pg.find_binaries(), pg.server_user()
    cache = tmp_path_factory.mktemp("templates")
    return binaries, user, pg.ensure_template(binaries, cache, user)


@pytest.fixture
def server(
    tmp_path: Path, setup: tuple[pg.Binaries, pg.RunAs, Path]
) -> Iterator[postgres.PostgresProcess]:
    binaries, user, template = setup
    assert pg.prepare_data_dir(tmp_path / "data", template, user)
    proc = postgres.PostgresProcess(
        binaries, tmp_path / "data", free_port(), tmp_path / "pg.log", user, durable=False
    )
    yield proc
    proc.stop()


def _tcp(
    port: int, password: str, user: str = "master", dbname: str = "app"
) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host="127.0.0.1", port=port, user=user, password=password, dbname=dbname, connect_timeout=5
    )


def test_no_binaries_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pg, "_candidate_bindirs", lambda: [tmp_path])
    with pytest.raises(
        pg.PostgresError, match="install the 'pgserver' package or set ATELIER_PG_BINDIR"
    ):
        pg.find_binaries()


def test_template_is_made_once_and_reused(setup: tuple[pg.Binaries, pg.RunAs, Path]) -> None:
    binaries, user, template = setup
    assert pg.ensure_template(binaries, template.parent, user) == template
    assert (template / "PG_VERSION").read_text().strip() == binaries.major


def test_master_user_and_database_over_tcp_with_a_password(
    server: postgres.PostgresProcess,
) -> None:
    server.start()
    server.bootstrap("master", "first-pw", "app")
    with _tcp(server.port, "first-pw") as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (
            "master",
            "app",
        )
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        assert pg.SPARE_DB not in names  # the spare became "app"
        conn.execute("CREATE TABLE t (v int)")
        conn.execute("INSERT INTO t VALUES (7)")
        conn.commit()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _tcp(server.port, "wrong").close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _tcp(server.port, "guess", user=pg.BOOTSTRAP_USER, dbname="postgres").close()  # socket only


def test_restart_keeps_data_and_applies_a_new_password(
    server: postgres.PostgresProcess, tmp_path: Path, setup: tuple[pg.Binaries, pg.RunAs, Path]
) -> None:
    server.start()
    server.bootstrap("master", "old", "app")
    with _tcp(server.port, "old") as conn:
        conn.execute("CREATE TABLE t AS SELECT 42 AS v")
    server.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", server.port)) != 0
    assert not pg.prepare_data_dir(server.data_dir, setup[2], setup[1])  # kept as is
    again = postgres.PostgresProcess(
        setup[0], server.data_dir, server.port, tmp_path / "pg.log", setup[1], durable=False
    )
    again.start()
    try:
        again.bootstrap("master", "new", "app")
        with _tcp(again.port, "new") as conn:
            assert conn.execute("SELECT v FROM t").fetchone() == (42,)
    finally:
        again.stop()


def test_postgres_takes_its_held_port_and_no_stranger_can(
    tmp_path: Path, setup: tuple[pg.Binaries, pg.RunAs, Path]
) -> None:
    # what keeps an endpoint between two servers (ports.py): the kernel lets PostgreSQL, which
    # binds with SO_REUSEADDR and listens, take a port the runtime holds; a plain bind (and so any
    # bind(0) or outgoing connection) is refused it, with or without a server on it
    binaries, user, template = setup
    pg.prepare_data_dir(tmp_path / "data", template, user)
    hold = PortHold()

    def stranger_binds() -> bool:
        with socket.socket() as stranger:
            try:
                stranger.bind(("127.0.0.1", hold.port))
            except OSError:
                return False
            return True

    try:
        assert not stranger_binds()
        for _ in range(2):  # a first server, then its replacement, on the same port
            proc = postgres.PostgresProcess(
                binaries, tmp_path / "data", hold.port, tmp_path / "pg.log", user, durable=False
            )
            proc.start(timeout=20)
            proc.bootstrap("master", "pw-1", "app")
            with _tcp(hold.port, "pw-1") as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
            proc.stop()
            assert not stranger_binds(), "the port was free between two servers"
    finally:
        hold.close()


def test_a_postmaster_left_by_an_earlier_runtime_is_stopped(
    server: postgres.PostgresProcess, tmp_path: Path, setup: tuple[pg.Binaries, pg.RunAs, Path]
) -> None:
    server.start()
    orphan = server.proc
    assert orphan is not None
    assert postgres.stop_stale_postmaster(server.data_dir)
    assert orphan.wait(10) is not None
    assert not postgres.stop_stale_postmaster(server.data_dir)


def test_a_server_that_cannot_start_says_why(
    tmp_path: Path, setup: tuple[pg.Binaries, pg.RunAs, Path]
) -> None:
    binaries, user, template = setup
    pg.prepare_data_dir(tmp_path / "data", template, user)
    (tmp_path / "data" / "postgresql.conf").write_text("shared_buffers = 'lots'\n")
    proc = postgres.PostgresProcess(
        binaries, tmp_path / "data", free_port(), tmp_path / "pg.log", user, durable=False
    )
    with pytest.raises(pg.PostgresError, match="PostgreSQL exited during start"):
        proc.start(timeout=20)
    proc.kill()


def test_a_spare_copy_is_taken_by_the_next_instance(
    tmp_path: Path, setup: tuple[pg.Binaries, pg.RunAs, Path]
) -> None:
    _binaries, user, template = setup
    pg.refill_spare(template, user)
    spare = template.with_name(template.name + ".spare")
    assert (spare / "PG_VERSION").exists()
    assert pg.prepare_data_dir(tmp_path / "a" / "data", template, user)
    assert not spare.exists() and (tmp_path / "a" / "data" / "PG_VERSION").exists()
    assert pg.prepare_data_dir(tmp_path / "b" / "data", template, user)  # no spare: a copy
    assert (tmp_path / "b" / "data" / "PG_VERSION").exists()


def test_templates_are_a_cache_shared_by_every_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ATELIER_PG_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert pg.template_cache() == tmp_path / "atelier" / "postgres"
    monkeypatch.setenv("ATELIER_PG_CACHE", str(tmp_path / "elsewhere"))
    assert pg.template_cache() == tmp_path / "elsewhere"
