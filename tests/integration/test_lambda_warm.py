"""Lambda workers warmed ahead of load and for the concurrency a function has seen, and cold
starts that run a few at a time in the background, never in a request
(``ministack_compat.lambda_warm``), on the running runtime.

Worker processes are counted from outside: each runs from a directory named after its function
(``ministack-lambda-<name>-*``), as a child of the runtime.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration

SLOW = """
import time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"ok": True}
"""


def _bundle(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", source)
    return buf.getvalue()


def _function(runtime: Runtime) -> str:
    lam = runtime.client("lambda")
    name = f"warm-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=runtime.role("warm-tests"),
        Handler="index.handler", Code={"ZipFile": _bundle(SLOW)}, Timeout=30,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def _started(runtime: Runtime, name: str) -> list[float]:
    """When each worker process of ``name`` started (sorted)."""
    found = []
    for child in psutil.Process(runtime.pid).children(recursive=True):
        try:
            if any(f"ministack-lambda-{name}-" in part for part in child.cmdline()):
                found.append(child.create_time())
        except psutil.Error:
            continue
    return sorted(found)


def _workers(runtime: Runtime, name: str) -> int:
    return len(_started(runtime, name))


def _wait_workers(runtime: Runtime, name: str, wanted: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while (seen := _workers(runtime, name)) < wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen


def test_a_new_function_gets_its_warm_workers_before_any_invoke(runtime: Runtime) -> None:
    name = _function(runtime)
    assert runtime.settings is not None
    warm = runtime.settings.lambda_warm_workers
    assert warm >= 1
    assert _wait_workers(runtime, name, warm) == warm, f"{name}: not {warm} warm workers"


def test_provisioned_concurrency_is_honoured_with_that_many_warm_workers(
    runtime: Runtime,
) -> None:
    name = _function(runtime)
    runtime.client("lambda").put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=4
    )
    assert _wait_workers(runtime, name, 4) == 4


INIT_LOGGED = """
import json, os, time
_started = time.time()
time.sleep(float(os.environ["INIT_SLEEP"]))
with open(os.path.join(os.environ["INIT_LOG"], "%d.json" % os.getpid()), "w") as fh:
    json.dump([_started, time.time()], fh)

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid()}
"""


def _init_logged_function(runtime: Runtime, log_dir: Path, init_sleep: float) -> str:
    """A function whose every worker writes ``<pid>.json``: [init start, init end]."""
    lam = runtime.client("lambda")
    name = f"warm-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=runtime.role("warm-tests"),
        Handler="index.handler", Code={"ZipFile": _bundle(INIT_LOGGED)}, Timeout=30,
        Environment={"Variables": {"INIT_LOG": str(log_dir), "INIT_SLEEP": str(init_sleep)}},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def _inits(log_dir: Path) -> dict[int, tuple[float, float]]:
    found = {}
    for path in log_dir.glob("*.json"):
        with contextlib.suppress(ValueError):  # being written
            start, end = json.loads(path.read_text())
            found[int(path.stem)] = (float(start), float(end))
    return found


def _wait_inits(log_dir: Path, wanted: int, timeout: float = 90) -> dict[int, tuple[float, float]]:
    deadline = time.monotonic() + timeout
    while len(seen := _inits(log_dir)) < wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most intervals open at the same instant."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    level = best = 0
    for _, step in edges:
        level += step
        best = max(best, level)
    return best


def test_a_burst_is_served_by_warm_workers_and_starts_new_ones_a_few_at_a_time(
    runtime: Runtime, tmp_path: Path
) -> None:
    """8 concurrent 0.1 s invokes on a function with 2 warm workers whose init takes 3 s.
    Every request is served by one of the 2 warm workers, handed over as each comes free: no
    request waits for a cold start (MiniStack alone starts one per waiting request, in it).
    The workers the burst asks for start in the background, ``lambda_cold_start_cap`` at a
    time: more than one at once (the first version of the pool started one at a time), never
    more than the cap. The pool then keeps 8, the concurrency the function has just seen."""
    assert runtime.settings is not None
    cap, warm = runtime.settings.lambda_cold_start_cap, runtime.settings.lambda_warm_workers
    assert 2 <= cap < 8 - warm
    name = _init_logged_function(runtime, tmp_path, init_sleep=3.0)
    warm_pids = set(_wait_inits(tmp_path, warm))
    assert len(warm_pids) == warm
    lam = runtime.client("lambda")

    def invoke(_: int) -> int:
        resp = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 0.1}).encode())
        payload = resp["Payload"].read()
        assert "FunctionError" not in resp, payload
        return int(json.loads(payload)["pid"])

    with ThreadPoolExecutor(8) as pool:
        served_by = set(pool.map(invoke, range(8)))
    assert served_by <= warm_pids, f"served by workers started in the burst: {served_by}"

    inits = _wait_inits(tmp_path, 8)
    assert len(inits) == 8, f"the pool kept {len(inits)} workers, not the 8 it saw at once"
    started = [span for pid, span in inits.items() if pid not in warm_pids]
    at_once = _most_at_once(started)
    assert 2 <= at_once <= cap, f"{at_once} cold starts at once (cap {cap}): {sorted(started)}"
    assert _wait_workers(runtime, name, 8) == 8


def test_a_dead_warm_worker_is_replaced(runtime: Runtime, tmp_path: Path) -> None:
    """The pool keeps live workers: one killed (SIGKILL, as an OOM kill would) is started again
    in the background before any request needs it."""
    assert runtime.settings is not None
    warm = runtime.settings.lambda_warm_workers
    name = _init_logged_function(runtime, tmp_path, init_sleep=0.0)
    pids = set(_wait_inits(tmp_path, warm))
    victim = psutil.Process(min(pids))
    victim.kill()
    victim.wait(timeout=10)
    replaced = _wait_inits(tmp_path, warm + 1, timeout=30)
    assert len(replaced) == warm + 1, "the killed worker was not replaced"
    assert _wait_workers(runtime, name, warm) == warm


def test_the_pool_forgets_concurrency_older_than_its_window(tmp_path: Path) -> None:
    """On a runtime remembering concurrency for 3 s: the workers a burst of 8 added are
    stopped once the function has been idle for the window, and the pool is back at its floor
    of 2 (the default window is 5 minutes)."""
    from atelier_devtools.runtime import start_runtime

    rt = start_runtime(tmp_path / "home", env={
        "ATELIER_LAMBDA_WARM_WINDOW_S": "3",
    })  # fmt: skip
    try:
        assert rt.settings is not None
        name = _function(rt)
        assert _wait_workers(rt, name, 2) == 2
        lam = rt.client("lambda")

        def invoke(_: int) -> None:
            resp = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 1.0}).encode())
            assert "FunctionError" not in resp, resp["Payload"].read()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(invoke, range(8)))
        assert _workers(rt, name) > 2, "the burst added no worker"
        deadline = time.monotonic() + 30
        while _workers(rt, name) > 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _workers(rt, name) == 2, "the burst's workers outlived the window"
    finally:
        rt.stop()
