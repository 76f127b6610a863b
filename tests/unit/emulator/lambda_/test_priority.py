"""A worker's init at low priority (``atelier.emulator.lambda_.priority``), on real processes:
lowered while it starts, every thread set back once the start returns."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from atelier.emulator.lambda_ import priority
from atelier.emulator.lambda_.priority import INIT_NICE, LowPriorityInit

pytestmark = pytest.mark.skipif(
    not priority.can_restore(), reason="this user may not lower a nice value again (not root, "
    "RLIMIT_NICE below 20): the runtime then starts workers at the normal priority"
)  # fmt: skip

# a process that starts a thread during its "init" (as a library may), then waits
CHILD = """
import sys, threading, time
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
sys.stdout.write("ready\\n"); sys.stdout.flush()
time.sleep(60)
"""


def _nice(pid: int) -> list[int]:
    return sorted({os.getpriority(os.PRIO_PROCESS, tid) for tid in priority._threads(pid)})


@pytest.fixture
def child() -> Iterator[list[subprocess.Popen[str]]]:
    box: list[subprocess.Popen[str]] = []
    yield box
    for proc in box:
        proc.kill()
        proc.wait()


def _start(box: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """Starts the child and waits for its init, as ``Worker._spawn`` does."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    box.append(proc)
    assert proc.stdout is not None
    time.sleep(0.2)  # the lowering thread finds the process meanwhile
    assert proc.stdout.readline() == "ready\n"
    return proc


def test_the_init_runs_lowered_and_every_thread_is_set_back(
    child: list[subprocess.Popen[str]],
) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    seen: list[int] = []
    with LowPriorityInit(lambda: child[0] if child else None):
        proc = _start(child)
        seen = _nice(proc.pid)
    assert seen == [own + INIT_NICE], "the init did not run at low priority"
    assert len(priority._threads(proc.pid)) >= 2
    assert _nice(proc.pid) == [own], "a thread of the worker kept the init's priority"


def test_disabled_it_leaves_the_worker_alone(child: list[subprocess.Popen[str]]) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    with LowPriorityInit(lambda: child[0] if child else None, enabled=False):
        proc = _start(child)
        assert _nice(proc.pid) == [own]


def test_a_dead_process_from_an_earlier_start_is_not_the_one_lowered(
    child: list[subprocess.Popen[str]],
) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    current: list[subprocess.Popen[str] | subprocess.Popen[bytes]] = [dead]
    seen: list[int] = []
    with LowPriorityInit(lambda: current[-1]):
        time.sleep(0.05)
        proc = _start(child)
        current.append(proc)
        time.sleep(0.1)
        seen = _nice(proc.pid)
    assert seen == [own + INIT_NICE] and _nice(proc.pid) == [own]


def test_without_the_right_to_lower_it_again_nothing_is_raised(
    monkeypatch: pytest.MonkeyPatch, child: list[subprocess.Popen[str]]
) -> None:
    monkeypatch.setattr(priority, "can_restore", lambda nice=None: False)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    with LowPriorityInit(lambda: child[0] if child else None):
        proc = _start(child)
        assert _nice(proc.pid) == [own], "a worker this user could not set back was lowered"
