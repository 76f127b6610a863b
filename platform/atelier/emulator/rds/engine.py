"""The RDS engine: a real PostgreSQL behind every RDS ``postgres`` instance MiniStack knows.

MiniStack answers the RDS API; this engine makes the instances real. For each standalone
PostgreSQL instance it starts a server (``pg_setup.py``, ``postgres.py``) on a free loopback
port with its data under ``<home>/rds/<instance-id>/data``, creates the master user and the ``DBName`` database, and
publishes ``127.0.0.1:<port>`` and the status through MiniStack's records (``ministack_compat/rds.py``):

    creating -> available;  died -> failed (+ event with the reason) -> rebooting -> available
    creating/starting: kept until PostgreSQL answers, a failed try tried again (as on AWS a slow
    instance never shows failed) until ATELIER_RDS_CREATE_TIMEOUT (600 s), then failed for good
    StopDBInstance -> server stopped (data kept); StartDBInstance -> started again
    DeleteDBInstance -> server stopped, data removed

Slow work (copy, start, stop) runs on one thread per job; ``reconcile`` only looks and
dispatches, so the runtime's loop and API never wait for PostgreSQL. With ``settings.persist``
the data directories survive a restart and the restored instances come back on them (and on
their old port when it is free); without it they are removed at shutdown and at the next start.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from atelier.config import Settings
from atelier.emulator.ministack_compat import rds as bridge
from atelier.emulator.rds import tls
from atelier.emulator.rds.pg_setup import (
    Binaries,
    PostgresError,
    RunAs,
    SetupError,
    ensure_template,
    find_binaries,
    prepare_data_dir,
    refill_spare,
    server_user,
    template_cache,
)
from atelier.emulator.rds.ports import PortHold
from atelier.emulator.rds.postgres import PostgresProcess, stop_stale_postmaster

log = logging.getLogger("atelier.rds")

MAX_RESTARTS = 3
START_TIMEOUT = 30.0  # a restart after a failure waits this long for the server to answer
PORT_WAIT_S = 5.0  # a restored instance waits this long for its old port before it moves
PATIENT = frozenset({"creating", "starting"})  # states AWS keeps while the database comes up
Key = tuple[str, str, str]


def restart_delay() -> float:  # seconds a died server stays failed before its restart
    return float(os.environ.get("ATELIER_RDS_RESTART_DELAY", "2"))


def create_timeout() -> float:  # seconds creation (or a start) may take before it is failed
    return float(os.environ.get("ATELIER_RDS_CREATE_TIMEOUT", "600"))


@dataclass
class _Managed:
    """The engine's view of one instance. ``state`` is what the API shows."""

    ref: bridge.InstanceRef
    home: Path
    hold: PortHold  # the endpoint's port, kept while the instance lives (see ports.py)
    state: str = "creating"
    reason: str = ""
    server: PostgresProcess | None = None
    restarts: int = 0
    retry_at: float | None = None
    ready_s: float | None = None
    fresh: bool = True  # a new instance: never reuse a data directory found on disk
    job: threading.Thread | None = None
    deadline: float | None = None  # monotonic end of the patience of creating/starting
    attempts: int = 0  # starts tried since creating/starting began
    what: str = "created"  # said in the event once available

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def port(self) -> int:
        return self.hold.port

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.is_alive()


_Job = Callable[[_Managed, str], None]


class RdsEngine:
    """Reconciles MiniStack's RDS PostgreSQL instances with real servers (see module doc)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.home / "rds"
        self._lock = threading.RLock()
        self._managed: dict[Key, _Managed] = {}
        self._binaries: Binaries | None = None
        self._user: RunAs | None = None
        self._closed = False
        self._last_job: dict[Path, threading.Thread] = {}
        if not settings.persist:
            self._remove_leftovers()
        bridge.install_hooks(self._claim)

    # -- the runtime's interface ----------------------------------------------------------

    def reconcile(self) -> None:
        with self._lock:
            if self._closed:
                return
            live: set[Key] = set()
            for ref in bridge.postgres_instances():
                live.add(ref.key)
                managed = self._managed.get(ref.key)
                managed_was_replaced = managed is not None and managed.ref.record is not ref.record
                if managed is not None and managed_was_replaced:
                    # deleted and created again under the same id: a new, empty database
                    self._release(self._managed.pop(ref.key), remove_data=True)
                    managed = None
                if managed is None:
                    self._adopt(ref, fresh=managed_was_replaced)
                else:
                    self._tick(managed, ref)
            for key in [k for k in self._managed if k not in live]:
                self._release(self._managed.pop(key), remove_data=True)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            bridge.uninstall_hooks()
            managed = list(self._managed.values())
            self._managed.clear()
        for m in managed:
            self._release(m, remove_data=not self.settings.persist)
        for job in list(self._last_job.values()):
            job.join(timeout=15)

    def status(self) -> list[dict[str, object]]:
        with self._lock:
            return [
                {
                    "id": m.ref.db_id,
                    "account": m.ref.account,
                    "region": m.ref.region,
                    "status": m.state,
                    "host": "127.0.0.1",
                    "port": m.port,
                    "pid": m.server.pid if m.server and m.server.poll() is None else None,
                    "data_dir": str(m.data_dir),
                    "postgres": self._binaries.version if self._binaries else None,
                    "ready_s": m.ready_s,
                    "restarts": m.restarts,
                    "reason": m.reason,
                }
                for m in self._managed.values()
            ]

    # -- decisions (under self._lock, never slow) -------------------------------------------

    def _claim(self, ref: bridge.InstanceRef) -> None:
        """CreateDBInstance hook: the answer already says ``creating`` on the real port."""
        with self._lock:
            if not self._closed and ref.key not in self._managed:
                self._adopt(ref, fresh=True)

    def _adopt(self, ref: bridge.InstanceRef, *, fresh: bool) -> None:
        """Start managing ``ref``; ``fresh``: a new instance, else one restored from disk."""
        home = self._home_of(ref)
        restored = not fresh and (home / "data" / "PG_VERSION").exists()
        if restored:
            # a PostgreSQL left by a crashed runtime holds the port: stop it first, so the
            # instance keeps its endpoint (clients and secrets keep working)
            stop_stale_postmaster(home / "data")
        hold = PortHold(ref.port, wait_s=PORT_WAIT_S) if restored else PortHold()
        if hold.missed is not None:
            note = f"DB instance endpoint moved to port {hold.port}: {hold.missed}"
            log.warning("RDS: %s: %s", ref.db_id, note)
            bridge.add_event(ref, note, "notification")
        managed = _Managed(ref, home, hold, fresh=not restored, what="restored" if restored
                           else "created", deadline=time.monotonic() + create_timeout())  # fmt: skip
        self._managed[ref.key] = managed
        bridge.publish(ref, "creating", managed.port)
        if ref.status in bridge.STOPPED_STATUSES:
            managed.state = "stopped"
            return
        self._run(managed, self._start, managed.what)

    def _tick(self, m: _Managed, ref: bridge.InstanceRef) -> None:
        if m.busy:
            bridge.publish(ref, m.state)
            return
        stopped = ref.status in bridge.STOPPED_STATUSES
        if stopped and m.state != "stopped":
            m.state, m.retry_at = "stopped", None
            self._run(m, self._stop, "stopped")
        elif m.state == "stopped" and not stopped:
            m.state, m.restarts, m.attempts, m.what = "starting", 0, 0, "started"
            m.deadline = time.monotonic() + create_timeout()
            self._run(m, self._start, "started")
        elif m.state in PATIENT and m.retry_at is not None and time.time() >= m.retry_at:
            m.retry_at = None
            self._run(m, self._start, m.what)
        elif m.state == "available" and m.server is not None and m.server.poll() is not None:
            self._died(m)
        elif m.state == "failed" and m.retry_at is not None and time.time() >= m.retry_at:
            m.state, m.retry_at = "rebooting", None
            m.restarts += 1
            self._run(m, self._start, "restarted after a failure")
        if m.state in ("failed", "creating", "rebooting", "starting"):
            bridge.publish(ref, m.state)

    def _died(self, m: _Managed) -> None:
        assert m.server is not None
        code = m.server.poll()
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        reason = f"PostgreSQL exited unexpectedly ({how}); last log lines: {m.server.log_tail(3)}"
        m.server.kill()
        m.server = None
        self._fail(m, reason)

    def _fail(self, m: _Managed, reason: str, *, final: bool = False) -> None:
        m.state, m.reason, m.deadline = "failed", reason, None
        if not final and m.restarts < MAX_RESTARTS:
            m.retry_at = time.time() + restart_delay()
            reason += (
                f"; restarting in {restart_delay():g}s (attempt {m.restarts + 1} of {MAX_RESTARTS})"
            )
        log.error("RDS: %s failed: %s", m.ref.db_id, reason)
        bridge.publish(m.ref, "failed")
        bridge.add_event(m.ref, reason, "failure")

    def _start_failed(self, m: _Managed, reason: str, *, setup: bool) -> None:
        """A failed start: failed for good when the machine is not set up for PostgreSQL, tried
        again while creating/starting until the deadline (then failed for good), else failed."""
        if setup or m.state not in PATIENT or m.deadline is None:
            self._fail(m, reason, final=setup)
            return
        if time.monotonic() >= m.deadline:
            verb = "creation" if m.state == "creating" else "start"
            self._fail(m, f"DB instance {verb} did not complete within {create_timeout():g}s "
                       f"({m.attempts} attempts): {reason}", final=True)  # fmt: skip
            return
        delay = min(restart_delay() * 2 ** (m.attempts - 1), 30.0)
        m.reason, m.retry_at = reason, time.time() + delay
        if m.state == "creating" and m.what == "created":
            m.fresh = True  # a new instance has no data to keep: the next try starts clean
        note = f"DB instance still {m.state}: {reason}; trying again in {delay:g}s"
        log.warning("RDS: %s: %s", m.ref.db_id, note)
        bridge.add_event(m.ref, note, "notification")

    def _release(self, m: _Managed, *, remove_data: bool) -> None:
        m.state, m.retry_at = "deleting", None
        work = self._remove if remove_data else self._stop

        def release(m: _Managed, what: str) -> None:
            try:
                work(m, what)
            finally:
                m.hold.close()  # the server is gone: the port goes back to the machine

        self._run(m, release, "deleted")

    # -- jobs (one thread each; jobs on one data directory run in order) ----------------------

    def _run(self, m: _Managed, work: _Job, what: str) -> threading.Thread:
        previous = self._last_job.get(m.home)

        def job() -> None:
            if previous is not None:
                previous.join()
            try:
                work(m, what)
            except Exception:
                log.exception("RDS: %s: %s job failed", m.ref.db_id, what)

        m.job = threading.Thread(target=job, name=f"atelier-rds-{m.ref.db_id}", daemon=True)
        self._last_job[m.home] = m.job
        m.job.start()
        return m.job

    def _start(self, m: _Managed, what: str) -> None:
        started = time.monotonic()
        server: PostgresProcess | None = None
        with self._lock:
            m.attempts += 1
            deadline = m.deadline if m.state in PATIENT else None
        try:
            binaries, user = self._runtime()
            stop_stale_postmaster(m.data_dir)
            if m.fresh:
                shutil.rmtree(m.data_dir, ignore_errors=True)
                m.fresh = False
            template = None
            if not (m.data_dir / "PG_VERSION").exists():
                template = ensure_template(binaries, template_cache(), user)
                prepare_data_dir(m.data_dir, template, user)
            force_ssl = bridge.parameter(m.ref, tls.FORCE_SSL) == "1"
            tls_files = tls.ensure(m.home / "tls") if force_ssl else None
            # creating/starting: wait for the server as long as the deadline allows (under load
            # it may need far more than a restart's START_TIMEOUT)
            ready_s = START_TIMEOUT if deadline is None else deadline - time.monotonic()
            for attempt in (1, 2):
                server = PostgresProcess(
                    binaries, m.data_dir, m.port, m.home / "postgres.log", user,
                    durable=self.settings.persist, tls=tls_files,
                )  # fmt: skip
                try:
                    server.start(timeout=max(ready_s, 1.0), abandon=lambda: self._gone(m))
                    break
                except PostgresError as exc:
                    if attempt == 2 or "could not bind" not in str(exc):
                        raise
                    # taken by a listener that was there first: take another
                    old, m.hold = m.hold, PortHold()
                    old.close()
            assert server is not None
            server.bootstrap(m.ref.master_username, m.ref.master_password, m.ref.db_name)
        except Exception as exc:  # noqa: BLE001 (any failure becomes a visible status)
            if server is not None:
                server.kill()
            with self._lock:
                if m.state not in ("deleting", "stopped"):
                    setup = isinstance(exc, SetupError)
                    self._start_failed(m, f"PostgreSQL could not start: {exc}", setup=setup)
            return
        with self._lock:
            if m.state in ("deleting", "stopped"):  # deleted or stopped while starting
                server.stop()
                return
            m.server, m.state, m.reason, m.deadline = server, "available", "", None
            m.ready_s = round(time.monotonic() - started, 3)
            bridge.publish(m.ref, "available", m.port)
            bridge.add_event(m.ref, f"DB instance {what}: PostgreSQL {self._version()} on "
                             f"127.0.0.1:{m.port}", "availability")  # fmt: skip
        log.info("RDS: %s %s, PostgreSQL on 127.0.0.1:%d in %.2fs",
                 m.ref.db_id, what, m.port, m.ready_s)  # fmt: skip
        if template is not None:
            refill_spare(template, user)  # the next CreateDBInstance skips the copy

    def _gone(self, m: _Managed) -> bool:  # deleted, stopped or shut down: a start gives up
        return self._closed or m.state in ("deleting", "stopped")

    def _stop(self, m: _Managed, what: str) -> None:
        server, m.server = m.server, None
        if server is not None:
            server.stop()
            log.info("RDS: %s %s, PostgreSQL stopped", m.ref.db_id, what)

    def _remove(self, m: _Managed, what: str) -> None:
        self._stop(m, what)
        stop_stale_postmaster(m.data_dir)
        shutil.rmtree(m.home, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------------

    def _runtime(self) -> tuple[Binaries, RunAs]:
        if self._binaries is None:
            self._binaries = find_binaries()
        if self._user is None:
            self._user = server_user()
        return self._binaries, self._user

    def _version(self) -> str:
        return self._binaries.version if self._binaries else "?"

    def _home_of(self, ref: bridge.InstanceRef) -> Path:
        if (ref.account, ref.region) == (self.settings.account_id, self.settings.region):
            return self.root / ref.db_id
        return self.root / f"{ref.account}-{ref.region}-{ref.db_id}"

    def _remove_leftovers(self) -> None:
        """Without persistence, nothing of an earlier run may come back."""
        if not self.root.is_dir():
            return
        for child in self.root.iterdir():
            if child.is_dir():
                stop_stale_postmaster(child / "data")
                shutil.rmtree(child, ignore_errors=True)
