"""The warm side of the runtime's Lambda worker pool (``lambda_warm``, "Warm ahead"): every
second, each Python function's ``$LATEST`` gets the live workers it should keep, started in the
background ``lambda_cold_start_cap`` at a time, and the idle workers above that are stopped.

Pinned internals (ministack==1.5.33): ``lambda_svc._functions`` holds the functions (records
with ``config``, ``code_zip``, ``provisioned_concurrency``); ``lambda_runtime._workers[key]``
is a function's pool under ``_lock`` (``key = _worker_key(name, config, "$LATEST")``);
``kill_workers`` stops a batch.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from atelier.emulator.ministack_compat.lambda_warm import POOL, _original, _start_spawners, alive

log = logging.getLogger("atelier.lambda")

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.lambda_runtime": ("_workers.get", "_lock", "_worker_key", "kill_workers"),
    "ministack.services.lambda_svc": ("_functions.all_values",),
}


def wanted(func: dict[str, Any], key: str) -> int:
    """How many live workers a function's ``$LATEST`` keeps (``lambda_warm``, 2)."""
    configs = (func.get("provisioned_concurrency") or {}).values()
    provisioned = [int(c.get("RequestedProvisionedConcurrentExecutions") or 0) for c in configs]
    recent = min(POOL.window.peak(key), POOL.warm_max)
    return max([POOL.floor, recent, *provisioned])


def fill_once() -> int:
    """Set each Python function's warm target, start what it lacks in the background and stop
    idle workers above it; returns how many cold starts began."""
    started = 0
    if not _original:  # nothing before MiniStack imports its Lambda service (no function yet)
        return started
    from ministack.core import lambda_runtime as rt
    from ministack.services import lambda_svc

    seen: set[str] = set()
    for func in lambda_svc._functions.all_values():
        config = func.get("config") or {}
        code_zip = func.get("code_zip")
        name = config.get("FunctionName")
        if not (name and code_zip and str(config.get("Runtime", "")).startswith("python")):
            continue
        if config.get("State", "Active") != "Active":
            continue
        key = str(rt._worker_key(name, config, "$LATEST"))
        seen.add(key)
        with rt._lock:
            pool = rt._workers.get(key, [])
            leased = sum(1 for w in pool if w.in_use) - POOL.spawning[key]
            queued = len(POOL.waiters.get(key, ()))
        POOL.window.at_most(key, leased + queued)
        target = wanted(func, key)
        with rt._lock:
            POOL.source[key] = (name, config, code_zip)
            POOL.target[key] = target
            before = POOL.spawning[key]
        _start_spawners(key)
        with rt._lock:
            started += max(POOL.spawning[key] - before, 0)
        _stop_idle(key, target)
    with rt._lock:  # deleted functions: no more warm target
        for key in set(POOL.target) - seen:
            POOL.target.pop(key, None)
    return started


def _stop_idle(key: str, target: int) -> None:
    """Stop the workers of ``key`` above ``target`` idle for the whole window."""
    from ministack.core import lambda_runtime as rt

    cutoff = time.time() - POOL.window.window_s
    with rt._lock:
        pool = rt._workers.get(key, [])
        idle = sorted((w for w in pool if not w.in_use), key=lambda w: w.last_used)
        doomed = [w for w in idle[: max(len(pool) - target, 0)] if w.last_used < cutoff]
        for worker in doomed:
            pool.remove(worker)
    if doomed:
        rt.kill_workers(doomed)


def stats() -> dict[str, dict[str, int]]:
    """Per worker key: workers, live, in flight, recent peak, cold starts (the pool's view)."""
    from ministack.core import lambda_runtime as rt

    out: dict[str, dict[str, int]] = {}
    with rt._lock:
        keys = set(POOL.target) | set(POOL.cold_starts)
        for key in sorted(keys):
            pool = rt._workers.get(key, [])
            out[key] = {
                "workers": len(pool),
                "live": sum(1 for w in pool if alive(w)),
                "target": POOL.target.get(key, 0),
                "cold_starts": POOL.cold_starts[key],
                "cold_starts_at_once": POOL.cold_starts_at_once[key],
            }
    for key, row in out.items():
        row["in_flight"] = POOL.window.in_flight(key)
        row["recent_peak"] = POOL.window.peak(key)
    return out


class Warmer:
    """Runs :func:`fill_once` every ``interval`` seconds in a daemon thread."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="atelier-lambda-warm", daemon=True)

    def start(self) -> Warmer:
        if self._thread.ident is None and not self._stop.is_set():
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                fill_once()
            except Exception:  # never let the warmer die; the next round retries
                log.exception("Lambda pre-warm round failed")
