"""The load bench waits for the deployed runtime to be idle before it measures."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from atelier_devtools.bench.load import settle

BUSY_FOR = "import time\nend = time.time() + {s}\nwhile time.time() < end: pass\ntime.sleep(60)\n"


@pytest.fixture
def parent() -> Iterator[subprocess.Popen[bytes]]:
    """A process whose child burns a core for 3 s, then sleeps (a worker started ahead)."""
    child = (
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BUSY_FOR.format(s=3)!r}])"
    )
    proc = subprocess.Popen([sys.executable, "-c", child])
    try:
        yield proc
    finally:
        for p in psutil.Process(proc.pid).children(recursive=True):
            p.kill()
        proc.kill()
        proc.wait()


def test_it_waits_while_a_child_works_then_returns_once_quiet(
    parent: subprocess.Popen[bytes],
) -> None:
    waited = settle(parent.pid, quiet_s=2, limit_s=30)
    assert 3 <= waited < 30, f"waited {waited:.1f} s for a child busy 3 s"


def test_it_gives_up_at_its_limit(parent: subprocess.Popen[bytes]) -> None:
    assert 1.9 <= settle(parent.pid, quiet_s=2, limit_s=2) < 3.5
