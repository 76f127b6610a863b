"""The compute agent: runs the reconcilers (ECS tasks, services, RDS) in background loops."""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from atelier.config import Settings
from atelier.emulator.ministack_compat import post_import
from atelier.emulator.persistence.orphans import PidRecords

if TYPE_CHECKING:
    from atelier.emulator.ecs.executor import Executor
    from atelier.emulator.ecs.services import ServiceSupervisor
    from atelier.emulator.ecs.tasks import EcsTaskExecutor

log = logging.getLogger("atelier.agent")
TICK_S = 0.2
RDS_LOAD_DELAY_S = 1.5


class Reconciler(Protocol):
    def reconcile(self) -> None: ...
    def shutdown(self) -> None: ...
    def status(self) -> list[dict[str, Any]]: ...


def make_executor(settings: Settings) -> Executor:
    if settings.executor == "docker":
        try:
            module = importlib.import_module("atelier.emulator.ecs.docker_executor")
        except ImportError as exc:
            raise RuntimeError(
                f"ATELIER_EXECUTOR=docker but the Docker executor is unavailable: {exc}"
            ) from exc
        executor: Executor = module.DockerExecutor(settings)
        return executor
    from atelier.emulator.ecs.process_executor import ProcessExecutor

    return ProcessExecutor()


def load_rds(settings: Settings) -> Reconciler | None:
    """The RDS engine, when its module is installed (it is written separately)."""
    try:
        module = importlib.import_module("atelier.emulator.rds.engine")
    except ImportError as exc:
        log.warning("RDS engine unavailable (%s): RDS instances get no database", exc)
        return None
    engine: Reconciler = module.RdsEngine(settings)
    return engine


class _Loop:
    """A daemon thread calling ``step`` every ``interval`` s, or at once when woken."""

    def __init__(self, name: str, step: Callable[[], None], interval: float) -> None:
        self.step, self.interval = step, interval
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.thread.ident is None and not self.stopped.is_set():
                self.thread.start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.step()
            except Exception:
                log.exception("%s: reconcile failed; retrying", self.thread.name)
            self.wake.wait(self.interval)
            self.wake.clear()

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)


class Agent:
    """Cheap to build: GPU detection runs on first use (cached), the RDS engine (psycopg,
    pgserver) loads in its background loop, and the ECS side (tasks, services and the MiniStack
    ECS and ELBv2 modules they read) when MiniStack loads its ECS service (its first call, or
    persisted state at start), as plain MiniStack loads a service on first use: the runtime is
    healthy before any of them is ready. The Docker executor is made at once (a wrong Docker
    setup fails the start), the process executor with the ECS side. Task processes a crashed
    runtime left behind are killed before the port opens, whether or not ECS is used."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # the Docker executor is checked at once (a wrong setup fails the start); the process
        # executor is made with the ECS side
        self._executor = make_executor(settings) if settings.executor == "docker" else None
        # processes of tasks a crashed runtime left behind die before this one serves, whether
        # or not ECS is used this time
        PidRecords(settings.home).reap()
        self._ecs: EcsTaskExecutor | None = None
        self._services: ServiceSupervisor | None = None
        self._ecs_lock = threading.Lock()
        self.rds: Reconciler | None = None
        self._rds_loaded = False
        self._rds_lock = threading.Lock()
        self._compute_lock = threading.Lock()
        self.started_at = time.time()
        self._compute = _Loop("atelier-compute", self._compute_step, TICK_S)
        # The RDS engine's imports (psycopg, pgserver) cost ~0.3 s of CPU: load them after the
        # runtime has answered its first health checks, or at once when an RDS call needs it
        # (the middleware calls ensure_rds first). With --persist: at start (see start()).
        self._rds = _Loop("atelier-rds", self._rds_step, TICK_S)
        self._shutdown_done = False
        # only noted here: the hook may run inside an import of the modules _load_ecs imports
        self._ecs_loaded_by_ministack = False
        self._started = False
        post_import.when_imported(post_import.ECS, "compute agent", self._ministack_has_ecs)

    def _ministack_has_ecs(self) -> None:
        self._ecs_loaded_by_ministack = True
        if self._started:  # the loop's thread starts with ECS: nothing to run before
            self._compute.start()

    def _load_ecs(self) -> tuple[EcsTaskExecutor, ServiceSupervisor]:
        with self._ecs_lock:
            if self._ecs is None or self._services is None:
                from atelier.emulator.ecs.gpu import detect
                from atelier.emulator.ecs.services import ServiceSupervisor
                from atelier.emulator.ecs.tasks import EcsTaskExecutor

                settings = self.settings
                executor = self._executor or make_executor(settings)
                self._ecs = EcsTaskExecutor(settings, executor, lambda: detect(settings.gpu))
                self._services = ServiceSupervisor(health=self._ecs.backoff.describe)
            return self._ecs, self._services

    @property
    def ecs(self) -> EcsTaskExecutor:
        return self._load_ecs()[0]

    @property
    def services(self) -> ServiceSupervisor:
        return self._load_ecs()[1]

    def _compute_step(self) -> None:
        # the loop and the middleware (after an ECS call) both run this: one at a time
        if self._ecs is None and not self._ecs_loaded_by_ministack:
            return  # MiniStack has no ECS service loaded: nothing can run
        with self._compute_lock:
            self.ecs.reconcile()
            self.services.reconcile()

    def ensure_rds(self) -> None:
        """Load the RDS engine now (before an RDS call reaches MiniStack: it hooks CreateDBInstance)."""
        with self._rds_lock:
            if not self._rds_loaded:
                self.rds = load_rds(self.settings)
                self._rds_loaded = True

    def _rds_step(self) -> None:
        self.ensure_rds()
        if self.rds is not None:
            self.rds.reconcile()

    def start(self) -> None:
        if self.settings.persist:
            # restored DB instances must not look "available" before their PostgreSQL runs:
            # adopt them before the runtime accepts its first request
            try:
                self._rds_step()
            except Exception:
                log.exception("adopting restored RDS instances failed; the RDS loop retries")
            self._rds.start()
        else:
            # the loop's thread itself starts after the runtime has answered its first health
            # checks (or with the first RDS call: wake_rds)
            try:
                asyncio.get_running_loop().call_later(RDS_LOAD_DELAY_S, self._rds.start)
            except RuntimeError:  # no event loop (a caller outside the server): now
                self._rds.start()
        self._started = True
        if self._ecs_loaded_by_ministack:
            self._compute.start()

    def reconcile_ecs_now(self) -> None:
        """Called right after an ECS mutation, before the API answers."""
        try:
            self._compute_step()
        except Exception:
            log.exception("immediate ECS reconcile failed; the loop will retry")

    def wake_rds(self) -> None:
        self._rds.start()  # started already, or started now for this call
        self._rds.wake.set()

    def shutdown(self) -> None:
        if self._shutdown_done:
            return
        self._shutdown_done = True
        self._compute.stop()
        self._rds.stop()  # joins the loop, so a half-loaded engine is complete here
        if self._ecs is not None:
            self._ecs.shutdown()
        if self.rds is not None:
            try:
                self.rds.shutdown()
            except Exception:
                log.exception("RDS engine shutdown failed")

    def status(self) -> dict[str, Any]:
        from atelier.emulator.ecs.gpu import detect

        rds: list[dict[str, Any]] = []
        if self.rds is not None:
            try:
                rds = self.rds.status()
            except Exception:
                log.exception("RDS status failed")
        return {
            "endpoint_url": self.settings.endpoint_url,
            "home": str(self.settings.home),
            "executor": self.settings.executor,
            "persist": self.settings.persist,
            "iam_enforce": self.settings.iam_enforce,
            "lambda_isolated": self.settings.lambda_isolated,
            "uptime_s": round(time.time() - self.started_at, 1),
            "gpu": detect(self.settings.gpu).as_dict(),
            "tasks": self._ecs.status() if self._ecs is not None else [],
            "services": self._services.status() if self._services is not None else [],
            "rds": rds,
            "rds_engine": "loading" if not self._rds_loaded else self.rds is not None,
        }
