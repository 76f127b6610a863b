"""Python's cyclic garbage collector, kept off the request path of a runtime that holds a lot.

The runtime keeps every resource, log event and datapoint in Python objects (MiniStack's
state, the logs and metrics stores). A full collection visits every one of them while it holds
the interpreter lock: measured under 40 req/s through API Gateway, each one stopped the
runtime for 110-120 ms with ~200,000 objects, and every request in flight then took 150-260 ms
instead of ~20 ms. They come back every few tens of seconds and grow with the stored data.

:class:`IdleCollector` keeps the cost off the requests:

- after each full collection, what survived is frozen (``gc.freeze``): the next full collections
  visit only what came after, so a collection under load costs what the recent objects cost;
- once the runtime has had no request for ``quiet_s`` seconds, at most every ``every_s``
  seconds, it unfreezes, collects everything and freezes again: garbage cycles among frozen
  objects (a deleted resource's) are freed then, while nobody waits.

Objects that become garbage by reference counting are freed at once whatever is frozen; only
cycles wait for the next quiet moment.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("atelier.gc")


class IdleCollector:
    """Freezes survivors of full collections; collects everything when the runtime is idle."""

    def __init__(
        self,
        quiet_s: float = 2.0,
        every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet_s, self.every_s, self.clock = quiet_s, every_s, clock
        self.last_request = clock()
        self.last_full = clock()
        self.full_collections = 0  # automatic ones, frozen after
        self.idle_collections = 0
        self._pending_freeze = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="atelier-gc", daemon=True)

    def touch(self) -> None:
        """A request arrived (the middleware calls this for every HTTP request)."""
        self.last_request = self.clock()

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info.get("generation") == 2:
            self.full_collections += 1
            self._pending_freeze = True  # frozen from the thread, outside the collector

    def step(self) -> str | None:
        """One round: freeze after an automatic full collection, or collect if idle long enough.
        Returns what it did (for tests and the log)."""
        now = self.clock()
        if now - self.last_request >= self.quiet_s and now - self.last_full >= self.every_s:
            started = time.perf_counter()
            gc.unfreeze()
            collected = gc.collect()
            gc.freeze()
            self._pending_freeze = False
            self.last_full = self.clock()
            self.idle_collections += 1
            log.debug(
                "idle full collection: %d collected in %.0f ms, %d objects frozen",
                collected,
                (time.perf_counter() - started) * 1000,
                gc.get_freeze_count(),
            )
            return "collected"
        if self._pending_freeze:
            self._pending_freeze = False
            gc.freeze()
            return "frozen"
        return None

    def status(self) -> dict[str, Any]:
        """For ``/_atelier/status``: whether collection runs, what is frozen, what ran."""
        return {
            "enabled": gc.isenabled(),
            "frozen_objects": gc.get_freeze_count(),
            "full_collections": self.full_collections,
            "idle_collections": self.idle_collections,
        }

    def start(self) -> IdleCollector:
        gc.callbacks.append(self._on_gc)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.step()
            except Exception:  # never let the collector thread die
                log.exception("garbage collection round failed")
