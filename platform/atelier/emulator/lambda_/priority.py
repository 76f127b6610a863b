"""A Lambda worker's init at low CPU priority, when the runtime can give its priority back.

A cold start costs ~0.5-0.8 s of CPU (the handler's imports and its clients). On AWS it runs on
capacity of its own; here it shares the cores with the requests in flight. Measured through API
Gateway on 2 cores (``docs/benchmarks.md``, "Load"): while 50 polling clients arrived, each
worker started for the function's rising concurrency slowed the requests of the next 0.7 s to
60-130 ms (20-50 ms otherwise); with its init at nice 10 the same run stayed under 70 ms.

The init runs in the worker's main thread, as on AWS, so the priority is the process's: the
runtime raises the worker's nice value as it starts and sets every thread back to the
runtime's own once the init is over. Lowering a nice value needs ``CAP_SYS_NICE`` (root) or an
``RLIMIT_NICE`` that allows it: where the runtime has neither, workers start at the normal
priority (a worker left at nice 10 would serve its requests slower under load: 108 vs 126
req/s measured with every worker niced).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("atelier.lambda")

INIT_NICE = 10
_FIND_PROCESS_S = 2.0


def can_restore(nice: int | None = None) -> bool:
    """Whether this process may set a child's nice value back down to its own."""
    if not sys.platform.startswith("linux"):
        return False
    if os.geteuid() == 0:
        return True
    import resource

    own = os.getpriority(os.PRIO_PROCESS, 0) if nice is None else nice
    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return soft == resource.RLIM_INFINITY or 20 - own <= soft


def _threads(pid: int) -> list[int]:
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return [pid]


def set_process_nice(pid: int, nice: int) -> bool:
    """Every thread of ``pid`` at ``nice`` (on Linux the nice value is per thread)."""
    done = False
    for tid in _threads(pid):
        try:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
            done = True
        except OSError:
            continue
    return done


class LowPriorityInit:
    """Around a worker's start: its process at :data:`INIT_NICE` as soon as it exists, back to
    the runtime's priority when the start returns. ``process`` finds the worker's process (it
    is created inside the start); the first one found alive is the one lowered."""

    def __init__(self, process: Callable[[], Any], enabled: bool = True) -> None:
        self._process = process
        self._enabled = enabled and can_restore()
        self._own = os.getpriority(os.PRIO_PROCESS, 0) if self._enabled else 0
        self._pid: int | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()

    def __enter__(self) -> LowPriorityInit:
        if self._enabled:
            threading.Thread(target=self._lower, name="atelier-lambda-nice", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        with self._lock:
            pid = self._pid
        if pid is not None:
            set_process_nice(pid, self._own)

    def _lower(self) -> None:
        deadline = time.monotonic() + _FIND_PROCESS_S
        while not self._done.is_set() and time.monotonic() < deadline:
            proc = self._process()
            if proc is not None and proc.poll() is None:
                with self._lock:
                    if self._done.is_set():
                        return
                    if set_process_nice(proc.pid, self._own + INIT_NICE):
                        self._pid = proc.pid
                return
            self._done.wait(0.001)
