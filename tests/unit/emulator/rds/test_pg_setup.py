"""As root, the PostgreSQL setup changes the system (a user, directory modes) only when asked."""

from __future__ import annotations

import pwd
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest

from atelier.emulator.rds import pg_setup as pg

MISSING_USER = "atelier-no-such-user-x"


@pytest.fixture
def as_root(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Pretend to be root; record (never run) subprocess calls."""
    calls: list[list[str]] = []
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("subprocess.run", lambda argv, **kw: calls.append(list(argv)))
    monkeypatch.setenv("ATELIER_PG_USER", MISSING_USER)
    monkeypatch.delenv(pg.ROOT_SETUP, raising=False)
    return calls


def test_a_missing_server_user_is_an_error_naming_the_choices_not_a_useradd(
    as_root: list[list[str]],
) -> None:
    with pytest.raises(pg.PostgresError, match=f"{MISSING_USER}.*ATELIER_ROOT_SETUP=1"):
        pg.server_user()
    assert as_root == []


def test_with_root_setup_the_user_is_created_and_announced(
    as_root: list[list[str]], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(pg.ROOT_SETUP, "1")
    made = pwd.struct_passwd((MISSING_USER, "x", 990, 990, "", "/", "/bin/false"))
    lookups: list[str] = []

    def getpwnam(name: str) -> Any:
        lookups.append(name)
        if len(lookups) == 1:
            raise KeyError(name)
        return made

    monkeypatch.setattr("pwd.getpwnam", getpwnam)
    with caplog.at_level("WARNING", logger=pg.log.name):
        user = pg.server_user()
    assert (user.name, user.uid, user.gid) == (MISSING_USER, 990, 990)
    assert as_root and as_root[0][:2] == ["useradd", "--system"] and as_root[0][-1] == MISSING_USER
    assert f"creating the system user {MISSING_USER}" in caplog.text


def test_directories_are_widened_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = Path(tempfile.mkdtemp(prefix="atelier-closed-"))  # 0700, under /tmp (1777)
    data = closed / "home" / "rds" / "db1"
    data.mkdir(parents=True)
    user = pg.RunAs("pgserver", 999, 999)
    monkeypatch.delenv(pg.ROOT_SETUP, raising=False)
    try:
        assert stat.S_IMODE(closed.stat().st_mode) == 0o700
        with pytest.raises(pg.PostgresError, match=f"{closed} lack o\\+x"):
            user.make_traversable(data)
        assert stat.S_IMODE(closed.stat().st_mode) == 0o700  # untouched
        monkeypatch.setenv(pg.ROOT_SETUP, "1")
        user.make_traversable(data)
        assert stat.S_IMODE(closed.stat().st_mode) == 0o701
    finally:
        shutil.rmtree(closed)


def test_binaries_out_of_the_server_users_reach_are_named_before_initdb_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A checkout under a 0700 directory (a clone in a mkdtemp, /root) holds its venv's
    PostgreSQL binaries where the server user cannot go: the template step says so, naming the
    directory, instead of failing on initdb with a bare PermissionError."""
    closed = Path(tempfile.mkdtemp(prefix="atelier-closed-"))  # 0700, under /tmp (1777)
    bindir = closed / "venv" / "bin"
    bindir.mkdir(parents=True)
    ran: list[list[str]] = []
    monkeypatch.setattr(pg, "_run", lambda argv, *a, **k: ran.append(argv))
    monkeypatch.delenv(pg.ROOT_SETUP, raising=False)
    try:
        with pytest.raises(pg.PostgresError, match=f"{closed} lack o\\+x"):
            pg.ensure_template(pg.Binaries(bindir, "16.4"), tmp_path / "cache",
                               pg.RunAs("pgserver", 999, 999))  # fmt: skip
        assert ran == [], "initdb ran before the binaries were reachable"
    finally:
        shutil.rmtree(closed)
