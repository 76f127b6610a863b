"""Warm Lambda workers for the concurrency a function has seen, and no cold start in a request.

Measured through API Gateway under load (``docs/benchmarks.md``, "Load"): MiniStack starts a
worker process for every request that finds all of a function's workers busy, in that
request. On a loaded machine dozens of cold starts then ran at once and requests waited
seconds; a first version of this module let one cold start run at a time per function, and
the pool then grew too slowly when concurrency rose. Now, in MiniStack's worker pool:

1. **No cold start in a request** (:func:`gated_acquire`): a request that finds every worker
   busy queues for the first worker that comes free, a busy one released (handed over in
   arrival order, :func:`release`) or one started for it in the background. Background cold
   starts run at most ``Settings.lambda_cold_start_cap`` at a time per function (2-4 on two
   cores), one per queued request. A handler that invokes its own function still gets a
   worker: one is started for it. A start that fails sends its queued requests back to
   MiniStack's own path, which reports the init error as AWS does.
2. **Warm ahead** (``lambda_warm_ahead.fill_once``, every second): each Python function's ``$LATEST`` keeps
   ``max(lambda_warm_workers, provisioned concurrency, the highest concurrency seen in the
   last lambda_warm_window_s seconds capped at lambda_warm_max)`` live workers, started in the
   background (a worker that died is started again); idle workers above that, unused for the
   window, are stopped. AWS avoids the first request's cold start with provisioned
   concurrency; its cold starts do not share two cores. Here the starts for the target alone
   (no request waits for them) run one per two cores at most, machine-wide: after a deploy,
   ~20 workers started at once kept both cores busy for ~10 s and a repeat deploy right after
   took 5-6 s instead of 2.

Pinned internals (ministack==1.5.33): ``lambda_runtime.acquire_worker(func_name, config,
code_zip, qualifier, max_concurrency)`` leases a worker from ``_workers[key]`` under ``_lock``
(``key = _worker_key(func_name, config, qualifier)``); ``release_worker`` returns it;
``_worker_class_for(config)`` makes one; ``Worker._spawn`` starts the process and waits for
the handler's init (``Worker.invoke`` starts it again if ``_proc`` has exited);
``kill_workers`` stops a batch; ``lambda_svc`` imported ``acquire_worker``/``release_worker``
by name and keeps functions in ``_functions`` (records with ``config``, ``code_zip``,
``provisioned_concurrency``).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from atelier.emulator.lambda_.concurrency import ConcurrencyWindow
from atelier.emulator.ministack_compat import accounts, post_import

if TYPE_CHECKING:
    from atelier.emulator.ministack_compat.lambda_warm_ahead import Warmer

log = logging.getLogger("atelier.lambda")

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.lambda_runtime": (
        "acquire_worker",
        "release_worker",
        "kill_workers",
        "_workers.get",
        "_workers.setdefault",
        "_worker_class_for",
        "_lock",
        "_worker_key",
    ),
    "ministack.services.lambda_svc": (
        "acquire_worker",
        "release_worker",
    ),
}

FALLBACK_AFTER_S = 60.0  # a queued request that got nothing this long takes MiniStack's path
RECHECK_S = 0.25
# A queued request starts a worker only once it has waited this long for a busy one (at once if
# the function has no live worker): a busy worker is usually free within a few tens of ms,
# while a cold start costs ~0.5 s of CPU that the busy workers then lack. Without it, the
# first seconds of 40 req/s through API Gateway grew the structured function's pool from 2 to
# 16 workers, and every request of those seconds waited 0.3-0.5 s behind the cold starts.
QUEUE_GRACE_S = 0.2
RETRY_FAILED_S = 30.0  # a function whose worker failed to start is warmed again after this


@dataclass
class Pool:
    """The pool's settings (from ``Settings``) and its bookkeeping; one per runtime."""

    floor: int = 2
    cold_start_cap: int = 3
    warm_max: int = 16
    window: ConcurrencyWindow = field(default_factory=lambda: ConcurrencyWindow(300.0))
    waiters: dict[str, deque[Waiter]] = field(default_factory=dict)
    spawning: Counter[str] = field(default_factory=Counter)
    target: dict[str, int] = field(default_factory=dict)
    source: dict[str, tuple[str, dict[str, Any], bytes]] = field(default_factory=dict)
    cold_starts: Counter[str] = field(default_factory=Counter)
    cold_starts_at_once: Counter[str] = field(default_factory=Counter)
    failed_at: dict[str, float] = field(default_factory=dict)
    # starts for the warm target alone (no request waits for them), machine-wide
    ahead_cap: int = field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2))
    ahead_spawning: int = 0


@dataclass
class Waiter:
    event: threading.Event = field(default_factory=threading.Event)
    since: float = field(default_factory=time.monotonic)
    worker: Any = None
    fallback: bool = False


POOL = Pool()
_original: dict[str, Any] = {}


def alive(worker: Any) -> bool:
    proc = getattr(worker, "_proc", None)
    return proc is not None and proc.poll() is None


def _lease_free(key: str) -> Any:
    """A free, live worker of ``key`` leased, or None (call under ``_lock``)."""
    from ministack.core import lambda_runtime as rt

    for worker in rt._workers.get(key, []):
        if not worker.in_use and alive(worker):
            worker.in_use = True
            worker.last_used = time.time()
            return worker
    return None


def _reserve(key: str) -> Any:
    """If queued requests or the warm target need one more cold start and the cap allows it,
    a worker of the pool leased for it (a free dead one, else a new one); None otherwise.
    Call under ``_lock``."""
    from ministack.core import lambda_runtime as rt

    if POOL.spawning[key] >= POOL.cold_start_cap or key not in POOL.source:
        return None
    pool = rt._workers.setdefault(key, [])
    live = sum(1 for w in pool if alive(w))
    # queued requests add workers up to lambda_warm_max; above it they wait for a busy one
    # (two cores gain nothing from more processes than that, and each costs a cold start)
    queued = _starting_for(key, live) > POOL.spawning[key] and (
        live + POOL.spawning[key] < max(POOL.warm_max, 1)
    )
    if not queued and POOL.target.get(key, 0) <= live + POOL.spawning[key]:
        return None
    if not queued and time.monotonic() - POOL.failed_at.get(key, -RETRY_FAILED_S) < RETRY_FAILED_S:
        return None  # its last start failed: warm again later, start now only when asked
    if not queued and POOL.ahead_spawning >= POOL.ahead_cap:
        return None  # warming ahead uses half the cores at most: the rest is the user's
    worker = next((w for w in pool if not w.in_use and not alive(w)), None)
    if worker is None:
        name, config, code_zip = POOL.source[key]
        worker = rt._worker_class_for(config)(name, config, code_zip)
        pool.append(worker)
    worker.in_use = True
    worker._atelier_key = key
    worker._atelier_ahead = not queued
    POOL.ahead_spawning += not queued
    POOL.spawning[key] += 1
    POOL.cold_starts_at_once[key] = max(POOL.cold_starts_at_once[key], POOL.spawning[key])
    return worker


def _starting_for(key: str, live: int) -> int:
    """How many queued requests of ``key`` may have a cold start: all of them when it has no
    live worker, else those that waited :data:`QUEUE_GRACE_S` (call under ``_lock``)."""
    waiters = POOL.waiters.get(key, ())
    if not live:
        return len(waiters)
    aged = time.monotonic() - QUEUE_GRACE_S
    return sum(1 for waiter in waiters if waiter.since <= aged)


def _start_spawners(key: str) -> None:
    """Start as many background cold starts as :func:`_reserve` allows."""
    from ministack.core import lambda_runtime as rt

    while True:
        with rt._lock:
            worker = _reserve(key)
        if worker is None:
            return
        threading.Thread(
            target=_spawn_then_more, args=(key, worker), name="atelier-lambda-spawn", daemon=True
        ).start()


def _spawn_then_more(key: str, worker: Any) -> None:
    from ministack.core import lambda_runtime as rt

    while worker is not None:
        if not _spawn(key, worker):
            return
        with rt._lock:
            worker = _reserve(key)


def _spawn(key: str, worker: Any) -> bool:
    """Start ``worker`` (leased by :func:`_reserve`) and hand it over; False if it failed or
    its pool was dropped meanwhile (then start no more)."""
    from ministack.core import lambda_runtime as rt

    arn = str((getattr(worker, "config", None) or {}).get("FunctionArn", ""))
    try:
        with worker._lock:
            if not alive(worker):
                # outside any request: the function's own region and account, where MiniStack
                # looks up its layers (else the default region's, and none are found)
                accounts.run_as_owner(arn, worker._spawn)
                worker._cold = False
    except Exception as exc:  # noqa: BLE001 - the queued requests' own path reports it
        log.warning("could not start a worker for %s: %s", key, exc)
        with rt._lock:
            _spawned(key, worker)
            POOL.failed_at[key] = time.monotonic()
            pool = rt._workers.get(key, [])
            if worker in pool:
                pool.remove(worker)
            for waiter in POOL.waiters.pop(key, deque()):
                waiter.fallback = True
                waiter.event.set()
        rt.kill_workers([worker])
        return False
    with rt._lock:
        _spawned(key, worker)
        POOL.cold_starts[key] += 1
        orphan = worker not in rt._workers.get(key, [])
    if orphan:  # code changed or function deleted while it started: the pool went without it
        rt.kill_workers([worker])
        return False
    _hand_over(key, worker)
    return True


def _spawned(key: str, worker: Any) -> None:
    """A start :func:`_reserve` counted is over (call under ``_lock``)."""
    POOL.spawning[key] -= 1
    POOL.ahead_spawning -= getattr(worker, "_atelier_ahead", False)
    worker._atelier_ahead = False


def gated_acquire(
    func_name: str,
    config: dict[str, Any],
    code_zip: bytes,
    qualifier: str = "$LATEST",
    max_concurrency: int | None = None,
) -> tuple[Any, str]:
    """``acquire_worker`` that never starts a worker in the request (module docstring, 1)."""
    from ministack.core import lambda_runtime as rt

    key = str(rt._worker_key(func_name, config, qualifier))
    POOL.window.lease(key)  # the demand: leased or queued, released by :func:`release`
    if max_concurrency:
        return _fallback(key, func_name, config, code_zip, qualifier, max_concurrency)
    waiter = Waiter()
    with rt._lock:
        POOL.source[key] = (func_name, config, code_zip)
        worker = _lease_free(key)
        if worker is None:
            POOL.waiters.setdefault(key, deque()).append(waiter)
    if worker is not None:
        return _leased(key, worker), "reused"
    deadline = time.monotonic() + FALLBACK_AFTER_S
    for round_ in itertools.count():
        if round_ % 4 <= 1:  # the spawners go on while requests queue: a nudge now and then
            _start_spawners(key)  # (round 1: this request has waited QUEUE_GRACE_S)
        if waiter.event.wait(QUEUE_GRACE_S if round_ == 0 else RECHECK_S) or (
            time.monotonic() >= deadline
        ):
            with rt._lock:
                queue = POOL.waiters.get(key, deque())
                if waiter in queue:
                    queue.remove(waiter)
            break
        with rt._lock:  # a worker freed outside the hand-over (MiniStack's own release)
            queue = POOL.waiters.get(key, deque())
            if waiter.worker is None and waiter in queue and (free := _lease_free(key)):
                queue.remove(waiter)
                waiter.worker = free
        if waiter.worker is not None:
            break
    if waiter.worker is not None:
        return _leased(key, waiter.worker), "reused"
    return _fallback(key, func_name, config, code_zip, qualifier, max_concurrency)


def _fallback(
    key: str,
    func_name: str,
    config: dict[str, Any],
    code_zip: bytes,
    qualifier: str,
    max_concurrency: int | None,
) -> tuple[Any, str]:
    worker, reason = _original["acquire"](
        func_name, config, code_zip, qualifier=qualifier, max_concurrency=max_concurrency
    )
    if worker is not None:
        _leased(key, worker)
    else:  # refused (a reserved-concurrency ceiling): no release will come
        POOL.window.release(key)
    return worker, str(reason)


def _leased(key: str, worker: Any) -> Any:
    worker._atelier_key = key
    return worker


def _hand_over(key: str, worker: Any) -> None:
    """Give a leased worker to the first queued request of ``key``, else free it."""
    from ministack.core import lambda_runtime as rt

    with rt._lock:
        queue = POOL.waiters.get(key)
        if queue and alive(worker) and worker in rt._workers.get(key, []):
            waiter = queue.popleft()
            worker.last_used = time.time()
            waiter.worker = worker
            waiter.event.set()
            return
        worker.in_use = False


def release(worker: Any) -> None:
    """``release_worker``: hand the worker to a queued request of its function, if any."""
    if worker is None:
        return
    key = getattr(worker, "_atelier_key", None)
    if key is None:
        _original["release"](worker)
        return
    POOL.window.release(key)
    _hand_over(key, worker)


def apply(
    floor: int, cold_start_cap: int = 3, warm_max: int = 16, window_s: float = 300.0
) -> Warmer | None:
    """Install the pool, and start the warmer, when MiniStack first imports its Lambda service
    (:mod:`.post_import`; at once if it has); ``floor`` 0 leaves MiniStack's own worker pool as
    it is (what the load benchmark compares against) and returns None."""
    from atelier.emulator.ministack_compat.lambda_warm_ahead import Warmer

    if floor <= 0:
        return None
    POOL.floor, POOL.cold_start_cap, POOL.warm_max = floor, max(cold_start_cap, 1), warm_max
    POOL.window = ConcurrencyWindow(window_s)
    warmer = Warmer()  # its thread starts with the pool: nothing to warm before

    def gate_and_warm() -> None:
        install_gate()
        warmer.start()

    post_import.when_imported(post_import.LAMBDA_SVC, "cold starts gated", gate_and_warm)
    return warmer


def install_gate() -> None:
    """Module docstring, 1: ``acquire_worker``/``release_worker`` replaced."""
    from ministack.core import lambda_runtime as rt
    from ministack.services import lambda_svc

    if not _original:
        _original.update(acquire=rt.acquire_worker, release=rt.release_worker)
        rt.acquire_worker = gated_acquire
        rt.release_worker = release
        # lambda_svc imported both by name
        lambda_svc.acquire_worker = gated_acquire
        lambda_svc.release_worker = release
