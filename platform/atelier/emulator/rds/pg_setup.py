"""A PostgreSQL installation for the RDS engine: binaries, the server's user, data directories.

The binaries come from ``pgserver``'s wheel (PostgreSQL 16, pip-installed, same on every
machine), else ``ATELIER_PG_BINDIR``, Debian's ``/usr/lib/postgresql/<n>/bin`` or
``pg_config --bindir``. PostgreSQL refuses to run as root, so as root the server runs as
``ATELIER_PG_USER`` (default ``pgserver``, the user pgserver itself uses; created if missing).

A new data directory is a copy of a cluster ``initdb`` made once per binary version (the
template, cached per user), or a rename of the spare copy made after the previous instance.
The template's superuser is ``rdsadmin`` (as on RDS). See docs/adr/0002-postgres-engine.md.
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
import stat
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("atelier.rds")

BOOTSTRAP_USER = "rdsadmin"
SPARE_DB = "atelier_spare"
TEMPLATE_RECIPE = "2"  # bump when ensure_template changes what it makes
_template_lock = threading.Lock()
_spare_lock = threading.Lock()


class PostgresError(Exception):
    """PostgreSQL could not be prepared, started or reached; the message says why."""


class SetupError(PostgresError):
    """This machine is not set up to run PostgreSQL (no binaries, no user, a path the server's
    user cannot reach): trying again cannot help until someone fixes it."""


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
    raise SetupError(
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
        """Let the server user reach ``path``: add o+x to ancestors that lack it, only when the
        system changes are allowed (``ATELIER_ROOT_SETUP=1``); otherwise say what blocks it."""
        if self.uid is None:
            return
        closed = [p for p in path.parents if not p.stat().st_mode & stat.S_IXOTH]
        if not closed:
            return
        names = ", ".join(str(p) for p in closed)
        if not root_setup_allowed():
            raise SetupError(
                f"PostgreSQL runs as the unprivileged user {self.name}, which cannot reach {path} "
                f"({names} lack o+x): put ATELIER_HOME under a directory it can reach, or set "
                f"{ROOT_SETUP}=1 to let Atelier add o+x to them"
            )
        for parent in closed:
            log.warning(
                "RDS: %s=1: adding o+x to %s for the %s user", ROOT_SETUP, parent, self.name
            )
            parent.chmod(parent.stat().st_mode | stat.S_IXOTH)


# As root, PostgreSQL needs an unprivileged user and a path it can reach; Atelier creates the
# one and widens the other only when asked (CI sets it; .ci/run says so).
ROOT_SETUP = "ATELIER_ROOT_SETUP"


def root_setup_allowed() -> bool:
    return os.environ.get(ROOT_SETUP, "").strip().lower() in ("1", "true", "yes")


def server_user() -> RunAs:
    """As root: the unprivileged user PostgreSQL runs as (``ATELIER_PG_USER``, default
    ``pgserver``); created only with ``ATELIER_ROOT_SETUP=1``, announced."""
    if os.geteuid() != 0:
        return RunAs()
    name = os.environ.get("ATELIER_PG_USER", "pgserver")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if not root_setup_allowed():
            raise SetupError(
                f"PostgreSQL does not run as root and the user {name!r} does not exist: create "
                f"it (useradd --system -M {name}), name another with ATELIER_PG_USER, run as a "
                f"normal user, or set {ROOT_SETUP}=1 to let Atelier create it"
            ) from None
        log.warning("RDS: %s=1: creating the system user %s for PostgreSQL", ROOT_SETUP, name)
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
        # the server user runs these binaries: a checkout (and its venv) under a 0700
        # directory is out of its reach, which would surface as a bare PermissionError
        user.make_traversable(Path(binaries.exe("initdb")))
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
