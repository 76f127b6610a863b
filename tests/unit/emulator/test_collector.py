"""The runtime's garbage collection schedule (``atelier.emulator.collector``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from atelier.emulator.collector import IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process's objects go back to the normal generations


class Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_under_load_the_survivors_of_a_full_collection_are_frozen(clock: Clock) -> None:
    """After an automatic full collection the next ones skip what survived it."""
    collector = IdleCollector(quiet_s=2, every_s=60, clock=clock)
    collector.touch()
    gc.unfreeze()
    assert collector.step() is None and gc.get_freeze_count() == 0
    collector._on_gc("stop", {"generation": 1})
    assert collector.step() is None, "only a full (generation 2) collection is followed"
    collector._on_gc("stop", {"generation": 2})
    assert collector.step() == "frozen" and gc.get_freeze_count() > 0
    assert collector.step() is None


def test_once_quiet_it_collects_the_cycles_among_frozen_objects(clock: Clock) -> None:
    collector = IdleCollector(quiet_s=2, every_s=60, clock=clock)
    dead = Cycle()
    gc.freeze()  # frozen, as after a collection under load
    del dead
    clock.now += 61
    collector.touch()
    assert collector.step() is None, "requests still coming: no full collection"
    clock.now += 2
    assert collector.step() == "collected"
    assert not [o for o in _frozen_and_live() if isinstance(o, Cycle)], "the cycle survived"
    assert collector.idle_collections == 1 and gc.get_freeze_count() > 0
    status = collector.status()
    # frozen objects freed by reference counting leave the count at any moment: only its sign
    assert status.pop("frozen_objects") > 0
    assert status == {"enabled": gc.isenabled(), "idle_collections": 1, "full_collections": 0}
    clock.now += 30
    assert collector.step() is None, "at most one idle full collection per every_s"


def _frozen_and_live() -> list[Any]:
    gc.unfreeze()
    found = gc.get_objects()
    gc.freeze()
    return found


def test_it_follows_the_collector_and_stops_following(clock: Clock) -> None:
    collector = IdleCollector(clock=clock).start()
    try:
        assert collector._on_gc in gc.callbacks
        gc.collect()
        assert collector.full_collections >= 1
    finally:
        collector.stop()
    assert collector._on_gc not in gc.callbacks
