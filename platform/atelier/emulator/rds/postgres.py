"""One running PostgreSQL server: its process, its master user, its end.

The server listens on 127.0.0.1:<port> (SCRAM passwords) and on a Unix socket in a private
directory, through which the runtime bootstraps the master user as ``rdsadmin``. It runs in its
own process group so that a death is seen at once (``poll``) and nothing it started outlives it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from atelier.emulator.launcher import pid_alive
from atelier.emulator.rds.pg_setup import (
    BOOTSTRAP_USER,
    SPARE_DB,
    Binaries,
    PostgresError,
    RunAs,
    log,
)
from atelier.emulator.rds.tls import TlsFiles, TlsOnlyProxy


def stop_stale_postmaster(data_dir: Path, timeout: float = 5.0) -> bool:
    """Stop a postmaster left running on ``data_dir`` by an earlier runtime (True: one was)."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    comm = Path(f"/proc/{pid}/comm")
    if not pid_alive(pid) or (comm.exists() and comm.read_text().strip() != "postgres"):
        return False
    log.warning("RDS: stopping a PostgreSQL (pid %d) left running on %s", pid, data_dir)
    _signal(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        _signal(pid, signal.SIGKILL)
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


class PostgresProcess:
    """A ``postgres`` postmaster on 127.0.0.1:``port``, in its own process group."""

    def __init__(
        self, binaries: Binaries, data_dir: Path, port: int, log_path: Path, user: RunAs,
        *, durable: bool, tls: TlsFiles | None = None,
    ) -> None:  # fmt: skip
        self.binaries, self.data_dir, self.port = binaries, data_dir, port
        self.log_path, self.user, self.durable = log_path, user, durable
        # rds.force_ssl: the instance's port is the TLS-only proxy's; the postmaster listens on
        # a second loopback port
        self.tls = tls
        self.proxy: TlsOnlyProxy | None = None
        self.listen_port = _free_port() if tls is not None else port
        self.socket_dir = Path(tempfile.mkdtemp(prefix="atelier-pg-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, timeout: float = 30.0, abandon: Callable[[], bool] | None = None) -> None:
        """Start the postmaster and wait until it accepts connections (at most ``timeout``
        seconds; sooner given up, the server killed, when ``abandon()`` turns true)."""
        self.user.chown_tree(self.socket_dir)
        self.socket_dir.chmod(0o700)
        # again at every start: a tool may have tightened an ancestor meanwhile (pytest resets
        # its base temp directory to 0700 whenever a session starts)
        self.user.make_traversable(self.data_dir)
        self.user.make_traversable(Path(self.binaries.exe("postgres")))
        argv = [
            self.binaries.exe("postgres"), "-D", str(self.data_dir), "-p", str(self.listen_port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.socket_dir}",
            "-c", "shared_buffers=32MB", "-c", "max_connections=100",
        ]  # fmt: skip
        if not self.durable:
            # The data goes with the runtime: skip fsyncs. A committed row still survives a
            # crash of PostgreSQL (it is in the OS cache); only an OS crash could lose it.
            argv += ["-c", "fsync=off"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=self.data_dir, env=env, start_new_session=True,
                user=self.user.uid, group=self.user.gid,
                extra_groups=[] if self.user.uid is not None else None,
            )  # fmt: skip
        self._wait_ready(timeout, abandon or (lambda: False))
        if self.tls is not None:
            try:
                self.proxy = TlsOnlyProxy(self.port, self.listen_port, self.tls)
            except OSError as exc:
                self.kill()
                raise PostgresError(f"could not bind 127.0.0.1:{self.port}: {exc}") from exc

    def _wait_ready(self, timeout: float, abandon: Callable[[], bool]) -> None:
        deadline = time.monotonic() + timeout
        pidfile = self.data_dir / "postmaster.pid"
        while time.monotonic() < deadline:
            if abandon():
                self.kill()
                raise PostgresError("start abandoned (the instance was deleted or stopped)")
            if self.poll() is not None:
                raise PostgresError(
                    f"PostgreSQL exited during start (code {self.poll()}): {self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                lines = pidfile.read_text().splitlines()
                if (
                    len(lines) >= 8
                    and lines[0].strip() == str(self.pid)
                    and lines[7].strip() == "ready"
                ):
                    return
            time.sleep(0.02)
        self.kill()
        raise PostgresError(f"PostgreSQL did not become ready in {timeout:.0f}s: {self.log_tail()}")

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection through the private Unix socket."""
        return psycopg.connect(
            host=str(self.socket_dir), port=self.listen_port, user=BOOTSTRAP_USER, dbname=dbname,
            autocommit=True, connect_timeout=5,
        )  # fmt: skip

    def bootstrap(self, username: str, password: str, dbname: str) -> None:
        """Make the master user (login, superuser, ``password``) and its database exist."""
        with self.connect() as conn:
            # a failing statement must not copy the password into the server log
            conn.execute("SET log_min_error_statement = panic")
            conn.execute("SET log_statement = 'none'")
            spare = sql.Identifier(SPARE_DB)
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (username,))
            verb = "ALTER" if exists.fetchone() else "CREATE"
            conn.execute(
                sql.SQL("{} ROLE {} WITH LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD {}").format(
                    sql.SQL(verb), sql.Identifier(username), sql.Literal(password)
                )
            )
            names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            db, owner = sql.Identifier(dbname), sql.Identifier(username)
            if dbname not in names and SPARE_DB in names:
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(spare, db))
            elif dbname not in names:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(db))
            elif SPARE_DB in names:
                conn.execute(sql.SQL("DROP DATABASE {}").format(spare))
            if dbname not in names:
                conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(db, owner))

    def poll(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def stop(self, timeout: float = 5.0) -> None:
        """Fast shutdown (SIGINT), then SIGKILL of the whole process group."""
        if self.proc is not None and self.proc.poll() is None:
            _signal(self.proc.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the postmaster and any backend it left behind; remove the socket dir."""
        if self.proxy is not None:
            self.proxy.close()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"
