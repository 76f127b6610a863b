"""Two measured fixes to MiniStack's local Lambda workers, applied at runtime start.

Profiled with timers around ``ministack.core.lambda_runtime.Worker`` (``docs/benchmarks.md``):

1. Warm invoke: ``Worker._drain_stderr_bounded`` waits up to 50 ms for a first stderr line
   after every invocation, so a handler that logs nothing pays 50 of the ~54 ms. The worker
   writes its (line-buffered) stderr before its response on stdout, so once the response is in
   every log byte is already in the pipe: we drain until the pipe is empty and the queue has
   been quiet for 2 ms. The quiet time is one blocking wait on the queue (it wakes at once for
   a line), not a poll: a first version looked at the pipe every 0.2 ms, ~10 wake-ups per
   invocation, 7-8 % of the runtime's busy samples at 100 invocations a second.
2. Cold invoke: the Python worker imports ``botocore.handlers`` at init (~200 ms here) only to
   add the recursion-depth header to boto3 calls. We defer that until the handler itself
   imports botocore, so a function that never uses boto3 does not pay for it, and one that
   does pays it once, as it would anyway.

Each checks that the code it replaces is still there and leaves MiniStack untouched otherwise.
"""

from __future__ import annotations

import logging
import queue
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ministack.core.lambda_runtime import Worker

log = logging.getLogger("atelier.lambda")

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.lambda_runtime": (
        "Worker",
        "Worker._drain_stderr_bounded",
        "Worker._proc",
        "Worker._stderr_queue",
        "_PYTHON_WORKER_SCRIPT",
    ),
}

EAGER_CALL = "    _ms_install_invoke_depth()\n"
LAZY_INSTALL = """
def _ms_install_invoke_depth_lazy():
    import sys
    if "botocore.handlers" in sys.modules:
        _ms_install_invoke_depth()
        return
    import importlib.abc
    import importlib.util

    class _MsDepthHook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "botocore.handlers":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            original = spec.loader.exec_module

            def exec_module(module):
                original(module)
                # the import system binds the submodule on its parent only after this
                # returns; bind it now so the installer's own import resolves
                setattr(sys.modules["botocore"], "handlers", module)
                _ms_install_invoke_depth()

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _MsDepthHook())

"""


QUIET_S = 0.002  # the queue quiet this long, with the pipe empty: every line is in
DRAIN_CAP_S = 0.25  # MiniStack's own ceiling for a contended pipe


def drain_worker_stderr(self: Worker, *_args: Any, **_kwargs: Any) -> str:
    """Replacement for ``Worker._drain_stderr_bounded`` (see module docstring, 1)."""
    lines: list[str] = []
    q: queue.Queue[str] = self._stderr_queue
    proc = self._proc
    fd = proc.stderr.fileno() if proc is not None and proc.stderr is not None else None
    deadline = time.monotonic() + DRAIN_CAP_S
    while True:
        try:
            lines.append(q.get_nowait())
            continue
        except queue.Empty:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:  # one wait, woken by the reader thread's next line
            lines.append(q.get(timeout=min(QUIET_S, left)))
            continue
        except queue.Empty:
            pass
        if fd is None or pipe_pending(fd) <= 0:
            break  # quiet, and nothing left for the reader thread to read
    return "\n".join(lines)


def apply() -> list[str]:
    """Apply both fixes; returns the names of those applied."""
    from ministack.core import lambda_runtime

    applied: list[str] = []
    if hasattr(lambda_runtime.Worker, "_drain_stderr_bounded"):
        lambda_runtime.Worker._drain_stderr_bounded = drain_worker_stderr
        applied.append("fast-log-drain")
    script = getattr(lambda_runtime, "_PYTHON_WORKER_SCRIPT", "")
    if script.count(EAGER_CALL) == 1 and "def _ms_install_invoke_depth():" in script:
        head, tail = script.split("def run():", 1)
        patched = (
            head
            + LAZY_INSTALL
            + "def run():"
            + tail.replace(EAGER_CALL, "    _ms_install_invoke_depth_lazy()\n")
        )
        lambda_runtime._PYTHON_WORKER_SCRIPT = patched
        applied.append("lazy-botocore-depth-hook")
    else:
        log.warning("MiniStack's Lambda worker script changed: cold-start fix not applied")
    return applied


def pipe_pending(fd: int) -> int:
    """Bytes waiting to be read in a pipe (FIONREAD)."""
    import fcntl
    import struct
    import termios

    try:
        raw = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return 0
    return int(struct.unpack("i", raw)[0])
