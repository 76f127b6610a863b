"""One real PostgreSQL server: binaries, an unprivileged user, a data directory, a process.

The binaries come from ``pgserver``'s wheel (PostgreSQL 16, pip-installed, same on every
machine), else ``ATELIER_PG_BINDIR``, Debian's ``/usr/lib/postgresql/<n>/bin`` or
``pg_config --bindir``. PostgreSQL refuses to run as root, so as root the server runs as
``ATELIER_PG_USER`` (default ``pgserver``, the user pgserver itself uses; created if missing).

A new data directory is a copy of a cluster ``initdb`` made once per binary version (the
template), so creating an instance costs a copy and a start, not an ``initdb``. The template's
superuser is ``rdsadmin`` (as on RDS), reachable only through a Unix socket in a private
directory; TCP on 127.0.0.1 asks for a SCRAM password. See docs/adr/0002-postgres-engine.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

log = logging.getLogger("atelier.rds")

BOOTSTRAP_USER = "rdsadmin"
SPARE_DB = "atelier_spare"
TEMPLATE_RECIPE = "2"  # bump when ensure_template changes what it makes
_template_lock = threading.Lock()
_spare_lock = threading.Lock()


class PostgresError(Exception):
    """PostgreSQL could not be prepared, started or reached; the message says why."""


@dataclass(frozen=True)
class Binaries:
    bindir: Path
    version: str

    @property
    def major(self) -> str:
        return self.version.split(".")[0]

    def exe(self, name: str) -> str:
        return str(self.bindir / name)


def _candidate_bindirs() -> list[Path]:
    found: list[Path] = []
    if os.environ.get("ATELIER_PG_BINDIR"):
        found.append(Path(os.environ["ATELIER_PG_BINDIR"]))
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.submodule_search_locations:
        found.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    found.extend(debian)
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            found.append(Path(out.stdout.strip()))
    return found


def find_binaries() -> Binaries:
    """The first usable PostgreSQL installation (see the module docstring for the order)."""
    tried = _candidate_bindirs()
    for bindir in tried:
        if (bindir / "postgres").is_file() and (bindir / "initdb").is_file():
            out = subprocess.run(
                [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
            )
            match = re.search(r"(\d+(?:\.\d+)?)", out.stdout)
            if out.returncode == 0 and match:
                return Binaries(bindir, match.group(1))
    raise PostgresError(
        "no PostgreSQL binaries found (tried: "
        + (", ".join(str(p) for p in tried) or "nothing")
        + "); install the 'pgserver' package or set ATELIER_PG_BINDIR"
    )


@dataclass(frozen=True)
class RunAs:
    """The OS user the server runs as (None fields: the current user)."""

    name: str | None = None
    uid: int | None = None
    gid: int | None = None

    def chown_tree(self, root: Path) -> None:
        if self.uid is None or self.gid is None:
            return
        os.chown(root, self.uid, self.gid)
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                os.chown(os.path.join(dirpath, name), self.uid, self.gid, follow_symlinks=False)

    def make_traversable(self, path: Path) -> None:
        """Let the server user reach ``path``: add o+x to ancestors that lack it."""
        if self.uid is None:
            return
        for parent in path.parents:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                log.info("RDS: allowing the %s user to traverse %s (o+x)", self.name, parent)
                parent.chmod(mode | stat.S_IXOTH)


def server_user() -> RunAs:
    """As root: the unprivileged user PostgreSQL runs as (created if missing)."""
    if os.geteuid() != 0:
        return RunAs()
    name = os.environ.get("ATELIER_PG_USER", "pgserver")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
        subprocess.run(["useradd", "--system", "-M", "-s", shell, name], check=True)
        entry = pwd.getpwnam(name)
    return RunAs(name, entry.pw_uid, entry.pw_gid)


def _run(argv: list[str], user: RunAs, stdin: str | None = None) -> None:
    out = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, check=False,
        user=user.uid, group=user.gid, extra_groups=[] if user.uid is not None else None,
    )  # fmt: skip
    if out.returncode != 0:
        raise PostgresError(f"{Path(argv[0]).name} failed: {(out.stderr or out.stdout).strip()}")


def template_cache() -> Path:
    """Where templates live, shared by every ``ATELIER_HOME`` of this user (a cache)."""
    if os.environ.get("ATELIER_PG_CACHE"):
        return Path(os.environ["ATELIER_PG_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atelier" / "postgres"


def ensure_template(binaries: Binaries, cache: Path, user: RunAs) -> Path:
    """A fresh cluster for ``binaries`` under ``cache``, made once and then copied.

    1 MB WAL segments keep the copy small (27 MB instead of 38 MB), and the spare database
    ``atelier_spare`` becomes the instance's ``DBName`` by a rename (no CREATE DATABASE).
    ``initdb`` runs in the system temp dir (which the server user can always reach); the
    result moves into ``cache`` with a rename, so concurrent runtimes never see half of one.
    """
    digest = hashlib.sha256(f"{TEMPLATE_RECIPE}:{binaries.bindir}".encode()).hexdigest()[:8]
    template = cache / f"pg{binaries.version}-{digest}"
    with _template_lock:
        if (template / "PG_VERSION").exists():
            return template
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="atelier-initdb-"))
        landing = cache / f".{template.name}-{os.getpid()}"
        user.chown_tree(staging)
        data = str(staging / "data")
        initdb = [
            binaries.exe("initdb"), "-D", data, "-U", BOOTSTRAP_USER, "--auth-local=trust",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--wal-segsize=1",
            "--no-sync", "--no-instructions",
        ]  # fmt: skip
        single = [binaries.exe("postgres"), "--single", "-D", data, "-F", "postgres"]
        started = time.monotonic()
        try:
            _run(initdb, user)
            _run(single, user, stdin=f"CREATE DATABASE {SPARE_DB};\n")
            shutil.rmtree(landing, ignore_errors=True)
            _copy(staging / "data", landing, user)
            with contextlib.suppress(OSError):  # another runtime was first: use its template
                landing.rename(template)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(landing, ignore_errors=True)
        log.info("RDS: PostgreSQL %s template ready in %.2fs", binaries.version,
                 time.monotonic() - started)  # fmt: skip
        return template


def _spare_of(template: Path) -> Path:
    return template.with_name(template.name + ".spare")


def _copy(source: Path, target: Path, user: RunAs) -> None:
    if cp := shutil.which("cp"):  # a third of the CPU of copytree, and keeps the owner
        subprocess.run([cp, "-a", str(source), str(target)], check=True, capture_output=True)
    else:
        shutil.copytree(source, target, symlinks=True)
        user.chown_tree(target)


def prepare_data_dir(data_dir: Path, template: Path, user: RunAs) -> bool:
    """Give ``data_dir`` a fresh cluster unless it holds one already (True: it was new).

    The spare copy :func:`refill_spare` keeps next to the template is taken with a rename;
    without one the template is copied.
    """
    if (data_dir / "PG_VERSION").exists():
        return False
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    user.make_traversable(data_dir)
    try:
        with _spare_lock:  # a refill under way finishes sooner than a copy of our own
            _spare_of(template).rename(data_dir)
    except OSError:  # no spare (or another instance took it): copy
        _copy(template, data_dir, user)
    data_dir.chmod(0o700)
    return True


def refill_spare(template: Path, user: RunAs) -> None:
    """Copy the template ahead of the next instance, so that one starts without a copy."""
    spare = _spare_of(template)
    staging = template.with_name(f".{spare.name}-{os.getpid()}")
    with _spare_lock:
        if spare.exists():
            return
        shutil.rmtree(staging, ignore_errors=True)
        try:
            _copy(template, staging, user)
            staging.rename(spare)
        except (OSError, subprocess.CalledProcessError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            log.warning("RDS: could not prepare a spare data directory: %s", exc)


def stop_stale_postmaster(data_dir: Path, timeout: float = 5.0) -> bool:
    """Stop a postmaster left running on ``data_dir`` by an earlier runtime (True: one was)."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    comm = Path(f"/proc/{pid}/comm")
    if not _alive(pid) or (comm.exists() and comm.read_text().strip() != "postgres"):
        return False
    log.warning("RDS: stopping a PostgreSQL (pid %d) left running on %s", pid, data_dir)
    _signal(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        _signal(pid, signal.SIGKILL)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


class PostgresProcess:
    """A ``postgres`` postmaster on 127.0.0.1:``port``, in its own process group."""

    def __init__(
        self, binaries: Binaries, data_dir: Path, port: int, log_path: Path, user: RunAs,
        *, durable: bool,
    ) -> None:  # fmt: skip
        self.binaries, self.data_dir, self.port = binaries, data_dir, port
        self.log_path, self.user, self.durable = log_path, user, durable
        self.socket_dir = Path(tempfile.mkdtemp(prefix="atelier-pg-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, timeout: float = 30.0) -> None:
        """Start the postmaster and wait until it accepts connections."""
        self.user.chown_tree(self.socket_dir)
        self.socket_dir.chmod(0o700)
        # again at every start: a tool may have tightened an ancestor meanwhile (pytest resets
        # its base temp directory to 0700 whenever a session starts)
        self.user.make_traversable(self.data_dir)
        argv = [
            self.binaries.exe("postgres"), "-D", str(self.data_dir), "-p", str(self.port),
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
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pidfile = self.data_dir / "postmaster.pid"
        while time.monotonic() < deadline:
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
            host=str(self.socket_dir), port=self.port, user=BOOTSTRAP_USER, dbname=dbname,
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
