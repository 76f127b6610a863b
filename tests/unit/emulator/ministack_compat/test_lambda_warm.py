"""The warm pool's bookkeeping, without starting a process (the integration tests start them)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

from atelier.emulator.ministack_compat import lambda_warm
from atelier.emulator.ministack_compat.lambda_warm import POOL, Pool, Waiter


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    from ministack.core import lambda_runtime as rt

    fresh = Pool(floor=2, cold_start_cap=3)
    fresh.ahead_cap = 1
    for name, value in vars(fresh).items():
        monkeypatch.setattr(POOL, name, value)
    keys = ("fn-a", "fn-b")
    config = {"FunctionName": "f", "Runtime": "python3.11", "Handler": "h.handler"}
    for key in keys:
        POOL.source[key] = (key, {**config, "FunctionName": key}, b"")
        POOL.target[key] = 2
    yield POOL
    with rt._lock:
        for key in keys:
            rt._workers.pop(key, None)


def reserve(key: str) -> Any:
    from ministack.core import lambda_runtime as rt

    with rt._lock:
        return lambda_warm._reserve(key)


def test_warming_ahead_starts_one_worker_at_a_time_machine_wide(pool: Pool) -> None:
    """Two functions each short of their target: one start for the targets alone at a time
    (on two cores, the other core stays the user's: a deploy right after one is not slowed)."""
    first = reserve("fn-a")
    assert first is not None and pool.ahead_spawning == 1
    assert reserve("fn-a") is None and reserve("fn-b") is None, "a second start ahead began"
    from ministack.core import lambda_runtime as rt

    with rt._lock:
        lambda_warm._spawned("fn-a", first)
    assert pool.ahead_spawning == 0
    assert reserve("fn-b") is not None and pool.ahead_spawning == 1


def test_a_queued_request_gets_its_start_whatever_the_warming_does(pool: Pool) -> None:
    assert reserve("fn-a") is not None and pool.ahead_spawning == 1
    pool.waiters["fn-b"] = deque([Waiter()])
    asked = reserve("fn-b")
    assert asked is not None, "a waiting request's cold start was held back by the warming"
    assert pool.ahead_spawning == 1 and pool.spawning["fn-b"] == 1


class _Running:
    def poll(self) -> None:
        return None


class _BusyWorker:
    """A live worker serving a request (what ``alive`` and the pool look at)."""

    in_use = True
    last_used = 0.0
    _proc = _Running()


def test_a_request_waits_a_moment_for_a_busy_worker_before_it_starts_one(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With live workers, a queued request starts a worker only after QUEUE_GRACE_S: a busy
    worker is usually free sooner, and a cold start takes CPU from the busy ones."""
    from ministack.core import lambda_runtime as rt

    pool.target["fn-a"] = 1  # the warm target is met by the busy worker
    with rt._lock:
        rt._workers["fn-a"] = [_BusyWorker()]
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    pool.waiters["fn-a"] = deque([Waiter(since=now[0])])
    assert reserve("fn-a") is None, "a cold start began for a request that had just queued"
    now[0] += lambda_warm.QUEUE_GRACE_S
    assert reserve("fn-a") is not None, "a request waiting past the grace got no worker started"


def test_with_no_live_worker_a_queued_request_starts_one_at_once(pool: Pool) -> None:
    pool.target["fn-a"] = 0
    pool.waiters["fn-a"] = deque([Waiter()])
    assert reserve("fn-a") is not None
