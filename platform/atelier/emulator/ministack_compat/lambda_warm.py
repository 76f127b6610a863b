"""Warm Lambda workers ahead of load, and cold starts that queue instead of piling up.

Measured through API Gateway under load (``docs/benchmarks.md``, "Load"): when concurrency
rose, MiniStack started a new worker process for every request that found all of a
function's workers busy. On a loaded machine dozens of cold starts (interpreter, handler
imports) then ran at once, each slower than the authorizer's timeout, and requests ended in
500/502/504. AWS avoids the first request's cold start with provisioned concurrency, and its
cold starts do not share two cores. Two changes, both in MiniStack's worker pool:

1. **Warm ahead** (:func:`fill_once`, run every second by :class:`Warmer`): every Python
   function keeps at least ``Settings.lambda_warm_workers`` spawned workers for ``$LATEST``,
   or its provisioned concurrency if higher (``PutProvisionedConcurrencyConfig``, whatever the
   qualifier: workers are warmed for ``$LATEST``, which API Gateway's integrations invoke),
   started one at a time in the background right after CreateFunction / UpdateFunctionCode,
   so a deploy's first requests find them warm. The pool keeps the workers a burst added for
   ``LAMBDA_WARM_TTL_SECONDS`` (the runtime sets one hour), so the concurrency a function has
   seen stays warm.
2. **Cold starts per function are capped** (:func:`gated_acquire`): a request that finds
   every worker busy while ``COLD_START_CAP`` of that function's workers are already starting
   waits (up to ``COLD_START_WAIT`` seconds) for a worker to come free, then starts one of
   its own as before. Waiting is bounded, so a handler that invokes its own function still
   gets a worker (MiniStack's reason for never blocking there).

Pinned internals (ministack==1.5.33): ``lambda_runtime.acquire_worker(func_name, config,
code_zip, qualifier, max_concurrency)`` leases a worker from ``_workers[key]`` under ``_lock``
(``key = _worker_key(func_name, config, qualifier)``); ``release_worker`` returns it;
``_worker_class_for(config)`` makes one; ``Worker._spawn`` starts the process and waits for
the handler's init; ``lambda_svc`` imported ``acquire_worker``/``release_worker`` by name and
keeps functions in ``_functions`` (records with ``config``, ``code_zip``, ``provisioned_concurrency``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

from atelier.emulator.ministack_compat import post_import

log = logging.getLogger("atelier.lambda")

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.lambda_runtime": (
        "acquire_worker",
        "release_worker",
        "_workers.get",
        "_workers.setdefault",
        "_worker_class_for",
        "_lock",
        "_worker_key",
        "Worker._spawn",
    ),
    "ministack.services.lambda_svc": (
        "_functions.all_values",
        "acquire_worker",
        "release_worker",
    ),
}

COLD_START_CAP = 1
COLD_START_WAIT = 3.0
_spawning: Counter[str] = Counter()
_freed = threading.Condition()


def _key(worker: Any) -> str:
    from ministack.core import lambda_runtime

    return str(
        lambda_runtime._worker_key(
            worker.func_name, worker.config, worker.config.get("Version", "$LATEST")
        )
    )


def gated_acquire(
    func_name: str,
    config: dict[str, Any],
    code_zip: bytes,
    qualifier: str = "$LATEST",
    max_concurrency: int | None = None,
) -> tuple[Any, str]:
    """``acquire_worker`` that waits for a busy worker while this function's cold starts are
    at the cap, instead of starting yet another one (module docstring, 2)."""
    from ministack.core import lambda_runtime as rt

    key = rt._worker_key(func_name, config, qualifier)
    deadline = time.monotonic() + COLD_START_WAIT
    while True:
        with rt._lock:
            entries = rt._workers.get(key, [])
            free = any(not w.in_use for w in entries)
        with _freed:
            if free or _spawning[key] < COLD_START_CAP or time.monotonic() >= deadline:
                break
            _freed.wait(min(0.05, max(deadline - time.monotonic(), 0.0)))
    return _original["acquire"](  # type: ignore[no-any-return]
        func_name, config, code_zip, qualifier=qualifier, max_concurrency=max_concurrency
    )


def release(worker: Any) -> None:
    _original["release"](worker)
    with _freed:
        _freed.notify_all()


def spawn(self: Any, *args: Any, **kwargs: Any) -> Any:
    key = _key(self)
    with _freed:
        _spawning[key] += 1
    try:
        return _original["spawn"](self, *args, **kwargs)
    finally:
        with _freed:
            _spawning[key] -= 1
            _freed.notify_all()


_original: dict[str, Any] = {}


def _wanted(func: Any, target: int) -> int:
    configs = (func.get("provisioned_concurrency") or {}).values()
    provisioned = [int(c.get("RequestedProvisionedConcurrentExecutions") or 0) for c in configs]
    return max([target, *provisioned])


def fill_once(target: int) -> int:
    """Start (one at a time) the workers each Python function lacks; returns how many.
    Nothing until MiniStack has imported its Lambda service (no function exists before)."""
    started = 0
    if not _original:  # the gate is installed right after that import
        return started
    from ministack.core import lambda_runtime as rt
    from ministack.services import lambda_svc

    for func in lambda_svc._functions.all_values():
        config = func.get("config") or {}
        code_zip = func.get("code_zip")
        name = config.get("FunctionName")
        if not (name and code_zip and str(config.get("Runtime", "")).startswith("python")):
            continue
        if config.get("State", "Active") != "Active":
            continue
        key = rt._worker_key(name, config, "$LATEST")
        with rt._lock:
            have = len(rt._workers.get(key, []))
        if _wanted(func, target) > have:
            started += _warm(name, config, code_zip, key, _wanted(func, target))
    return started


def _warm(name: str, config: dict[str, Any], code_zip: bytes, key: str, wanted: int) -> int:
    """Add workers to the pool (leased, so no invoke takes one half-started) until it holds
    ``wanted``, start them one at a time, then hand them over; returns how many started."""
    from ministack.core import lambda_runtime as rt

    started = 0
    while True:
        with rt._lock:
            pool = rt._workers.setdefault(key, [])
            if len(pool) >= wanted:
                return started
            worker = rt._worker_class_for(config)(name, config, code_zip)
            worker.in_use = True
            pool.append(worker)
        try:
            with worker._lock:
                worker._spawn()
                worker._cold = False
        except Exception as exc:  # noqa: BLE001 - the invoke path reports an init failure itself
            log.warning("could not pre-warm %s: %s", name, exc)
            _drop(key, worker)
            return started
        finally:
            release(worker)
        with rt._lock:
            orphan = worker not in rt._workers.get(key, [])
        if orphan:  # the code changed while it started: the pool was invalidated without it
            worker.kill()
            return started
        started += 1


def _drop(key: str, worker: Any) -> None:
    from ministack.core import lambda_runtime as rt

    with rt._lock:
        pool = rt._workers.get(key, [])
        if worker in pool:
            pool.remove(worker)
    worker.kill()


class Warmer:
    """Runs :func:`fill_once` every ``interval`` seconds in a daemon thread."""

    def __init__(self, target: int, interval: float = 1.0) -> None:
        self.target, self.interval = target, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="atelier-lambda-warm", daemon=True)

    def start(self) -> Warmer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                fill_once(self.target)
            except Exception:  # never let the warmer die; the next round retries
                log.exception("Lambda pre-warm round failed")


def apply(target: int) -> Warmer | None:
    """Start the warmer, and install the cold-start gate when MiniStack first imports its
    Lambda service (:mod:`.post_import`; at once if it has); ``target`` 0 leaves MiniStack's
    own worker pool as it is (what the load benchmark compares against) and returns None."""
    if target <= 0:
        return None
    post_import.when_imported(post_import.LAMBDA_SVC, "cold starts gated", install_gate)
    return Warmer(target).start()


def install_gate() -> None:
    """Module docstring, 2: ``acquire_worker``/``release_worker``/``Worker._spawn`` wrapped."""
    from ministack.core import lambda_runtime as rt
    from ministack.services import lambda_svc

    if not _original:
        _original.update(
            acquire=rt.acquire_worker, release=rt.release_worker, spawn=rt.Worker._spawn
        )
        rt.Worker._spawn = spawn
        rt.acquire_worker = gated_acquire
        rt.release_worker = release
        # lambda_svc imported both by name
        lambda_svc.acquire_worker = gated_acquire
        lambda_svc.release_worker = release
