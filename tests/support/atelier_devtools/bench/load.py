"""``python -m atelier_devtools.bench load``: the deployed, seeded runtime under locust load.

A private runtime is started, the topology deployed and seeded; once the runtime's process
tree is idle again (:func:`settle`: the Lambda workers started ahead after the deploy, the
service loading the seeded model), locust (headless, one process) drives, one scenario at a
time:

Clients are independent (Poisson arrivals, see ``locustfile``):

1. the structured path through API Gateway (token, Lambda, ALB, service) at 40 req/s for 60 s
   (under the local stage limit of 50 req/s), side by side with the same path straight to the
   ALB (no API Gateway, no Lambda), so the API's overhead is visible;
2. ``GET /jobs/{id}`` polled by 50 clients (0.8 req/s each), once that job has ended (its
   task's CPU is not the API's; on AWS it runs on a Fargate task of its own);
3. a burst above the local limit (100 req/s against 50): only 429s may fail;
4. the stage limit raised to 1,000 req/s: 100 clients at 1 req/s each (100 req/s offered)
   until 10,000 requests are answered, then the throughput the structured path sustains over
   10,000 requests: 8 clients, each sending its next request when the answer arrives (all
   clients start at once in both);
5. a burst of image jobs, each followed to its terminal state (``job_burst``; ``--no-jobs``
   skips it; ``--jobs-only`` runs it alone);
6. scenario 1 again on a second runtime with MiniStack's own Lambda worker pool
   (``ATELIER_LAMBDA_WARM_WORKERS=0``, ``ATELIER_LAMBDA_TUNING=0``; ``--no-plain`` skips it).

Writes the "Load" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from atelier_devtools.bench import job_burst
from atelier_devtools.bench.report import header, machine, table, write_section
from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.runtime import Runtime, start_runtime
from atelier_devtools.sandbox import stage_sources

ENV = "loadbench"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass
class Result:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p99: float
    max_ms: float
    failure_kinds: str
    early_p99: float | None = None  # requests sent in the first seconds (locustfile.EARLY_S)


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "atelier"), *args], env=env, check=True)


def _stack(rt: Runtime, work: Path) -> tuple[dict[str, Any], dict[str, str]]:
    (work / "repo").mkdir()
    root = stage_sources(REPO_ROOT, work / "repo", ENV)
    url = urlparse(rt.endpoint_url)
    env = {
        **os.environ, "ATELIER_HOST": url.hostname or "127.0.0.1", "ATELIER_PORT": str(url.port),
        "ATELIER_HOME": str(root / ".atelier"), "ATELIER_REPO_ROOT": str(root), "ATELIER_ENV": ENV,
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
    }  # fmt: skip
    _cli(env, "deploy", "--topology", str(root / "topology.yaml"), "--service-wait", "120")
    _cli(env, "seed", "--home", str(root / ".atelier"), "--endpoint-url", rt.endpoint_url)
    outputs = json.loads((root / ".atelier" / "outputs.json").read_text())
    creds = json.loads((root / ".atelier" / "credentials.json").read_text())
    return outputs, creds


def settle(pid: int, idle_cores: float = 0.15, quiet_s: int = 3, limit_s: int = 90) -> float:
    """Wait until the process ``pid`` and its children use under ``idle_cores`` of CPU for
    ``quiet_s`` seconds in a row (at most ``limit_s``); returns the seconds waited. The load
    then measures the deployed stack, not the deploy's and the seed's work still running."""
    import psutil

    started, quiet = time.monotonic(), 0

    def cpu() -> float:
        total = 0.0
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    before = cpu()
    while quiet < quiet_s and time.monotonic() - started < limit_s:
        time.sleep(1.0)
        now = cpu()
        quiet = quiet + 1 if now - before < idle_cores else 0
        before = now
    return time.monotonic() - started


def _post(url: str, body: dict[str, Any], token: str = "") -> dict[str, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        data: dict[str, Any] = json.loads(resp.read())
        return data


def _locust(
    name: str, host: str, users: int, user_rps: float, seconds: int, env: dict[str, str],
    work: Path, requests: int | None = None,
) -> Result:  # fmt: skip
    """``seconds`` of load, ramping up over the first tenth; with ``requests``, every client
    at once and until that many are answered (``seconds`` is then only a bound)."""
    prefix = work / name
    spawn_rate = users if requests else max(users // 10, 1)
    argv = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "-u", str(users), "-r", str(spawn_rate), "--host", host, "--csv", str(prefix),
        "--run-time", f"{seconds}s", "--stop-timeout", "30", "--loglevel", "ERROR",
    ]  # fmt: skip
    run_env = {**os.environ, **env, "LOAD_USER_RPS": str(user_rps),
               "LOAD_SUMMARY": f"{prefix}_summary.json"}  # fmt: skip
    if requests:
        run_env["LOAD_REQUESTS"] = str(requests)
    done = subprocess.run(argv, env=run_env, check=False, capture_output=True, text=True,
                          timeout=seconds + 120)  # fmt: skip
    with open(f"{prefix}_stats.csv") as fh:
        row = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    if int(row["Request Count"]) == 0:
        raise RuntimeError(f"locust made no request in {name!r}: {done.stderr[-2000:]}")
    kinds = ""
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with failures_csv.open() as fh:
            kinds = "; ".join(f"{r['Occurrences']}x {r['Error'][:90]}" for r in csv.DictReader(fh))
    count, failed, rps = (
        int(row["Request Count"]),
        int(row["Failure Count"]),
        float(row["Requests/s"]),
    )
    summary_file = Path(f"{prefix}_summary.json")
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    if requests:  # what the locust process counted itself (locustfile's module doc)
        count, failed = summary["answered"], summary["failed"]
        rps = count / summary["seconds"]
    return Result(
        name, count, failed, rps,
        float(row["50%"]), float(row["99%"]), float(row["Max Response Time"]), kinds,
        summary.get("early_p99_ms"),
    )  # fmt: skip


def _ended(api: str, token: str, job_id: str, limit_s: float = 120.0) -> float:
    """Wait until the job polled in scenario 2 has ended (it fails at once: its link names no
    object); returns the seconds waited. Its task imports PyTorch, ~2 s of CPU: on AWS that
    runs on a Fargate task of its own, here it would share the two cores with the first
    seconds of the polling it is not part of."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        status, body = job_burst._call("GET", f"{api}/jobs/{job_id}", token)
        if status == 200 and body.get("status") in job_burst.TERMINAL:
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"the polled job {job_id} did not end within {limit_s:.0f} s")


def _raise_limits(rt: Runtime, outputs: dict[str, Any], rate: int, burst: int) -> None:
    rt.client("apigateway").update_stage(
        restApiId=outputs["api_id"], stageName=outputs["api_stage"],
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(rate)},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(burst)},
        ],
    )  # fmt: skip


def _token(api: str, creds: dict[str, Any]) -> str:
    body = _post(f"{api}/auth", {"username": creds["username"], "password": creds["password"]})
    return str(body["token"])


def _plain_pool(work: Path) -> Result:
    """The first scenario again on a runtime with MiniStack's own Lambda worker pool (no warm
    workers, no cold-start cap, no worker fixes): what the runtime's pool changes."""
    rt = start_runtime(work / "home-plain", env={"ATELIER_LAMBDA_WARM_WORKERS": "0",
                                                "ATELIER_LAMBDA_TUNING": "0"})  # fmt: skip
    try:
        (work / "plain").mkdir()
        outputs, creds = _stack(rt, work / "plain")
        settle(rt.pid)  # the same start as the runtime's pool gets
        api = outputs["api_url"]
        env = {"LOAD_TOKEN": _token(api, creds), "LOAD_SCENARIO": "structured"}
        return _locust("structured via API, MiniStack's worker pool", api, 40, 1.0, 60, env, work)
    finally:
        rt.stop()


def main(argv: list[str], write: bool = True) -> int:
    host_line = machine()
    results: list[Result] = []
    burst: job_burst.Burst | None = None
    stopped = ""
    with tempfile.TemporaryDirectory(prefix="atelier-load-") as tmp:
        work = Path(tmp)
        # PostgreSQL runs as an unprivileged user when this runs as root: it must traverse
        # the (0700) temporary directory to reach the instance's data directory
        work.chmod(0o711)
        rt = start_runtime(work / "home")
        try:
            outputs, creds = _stack(rt, work)
            print(f"runtime idle after {settle(rt.pid):.0f} s", flush=True)
            api, alb = outputs["api_url"], outputs["alb_url"]
            token = _token(api, creds)
            env = {"LOAD_TOKEN": token}
            if "--jobs-only" not in argv:
                results.append(_locust("structured via API (40 req/s, 60 s)", api, 40, 1.0, 60,
                                       {**env, "LOAD_SCENARIO": "structured"}, work))  # fmt: skip
                results.append(_locust("structured via ALB only (40 req/s, 60 s)", alb, 40, 1.0, 60,
                                       {**env, "LOAD_SCENARIO": "structured_alb"}, work))  # fmt: skip
                job = _post(f"{api}/non_structured_data_images",
                            {"link": f"s3://{outputs['buckets']['inputs']}/none.png"}, token)  # fmt: skip
                ended_s = _ended(api, token, job["job_id"])
                print(f"polled job ended after {ended_s:.1f} s", flush=True)
                results.append(_locust("GET /jobs/{id}, 50 clients (40 req/s, 60 s)", api, 50, 0.8, 60,
                                       {**env, "LOAD_SCENARIO": "poll", "LOAD_JOB_ID": job["job_id"]},
                                       work))  # fmt: skip
                results.append(_locust("burst above the limit (100 req/s vs 50, 30 s)", api, 100, 1.0, 30,
                                       {**env, "LOAD_SCENARIO": "structured"}, work))  # fmt: skip
                _raise_limits(rt, outputs, 1000, 2000)
                time.sleep(1.0)
                results.append(_locust("limits raised: 100 req/s offered, 10,000 requests", api, 100,
                                       1.0, 300, {**env, "LOAD_SCENARIO": "structured"}, work,
                                       requests=10_000))  # fmt: skip
                results.append(_locust("limits raised: sustained, 8 closed-loop clients, 10,000 "
                                       "requests", api, 8, 0.0, 300,
                                       {**env, "LOAD_SCENARIO": "structured"}, work,
                                       requests=10_000))  # fmt: skip
            if "--no-jobs" not in argv:
                link = f"s3://{outputs['buckets']['inputs']}/images/composite-0.png"
                burst = job_burst.run(api, token, link)  # the token lives an hour
        except Exception as exc:  # noqa: BLE001 - what was measured is still written, with why it stopped
            stopped = f"The run stopped early: {type(exc).__name__}: {str(exc)[:200]}"
        finally:
            rt.stop()
        if "--no-plain" not in argv and "--jobs-only" not in argv and not stopped:
            try:
                results.append(_plain_pool(work))
            except Exception as exc:  # noqa: BLE001
                stopped = f"The MiniStack-pool run failed: {type(exc).__name__}: {str(exc)[:200]}"
    rows = [
        (r.name, f"{r.requests:,}", f"{r.rps:.1f}", f"{r.p50:.0f}", f"{r.p99:.0f}",
         "n/a" if r.early_p99 is None else f"{r.early_p99:.0f}", f"{r.max_ms:.0f}",
         f"{r.failures}" + (f" ({r.failure_kinds})" if r.failure_kinds else ""))
        for r in results
    ]  # fmt: skip
    lines = header(
        "Load", "load", host_line,
        "locust (headless, one process) against a deployed, seeded runtime; latencies in ms. "
        "The machine is shared: see the load average.",
    )  # fmt: skip
    lines += table(("scenario", "requests", "req/s", "p50", "p99", "p99, first 5 s", "max",
                    "failures"), rows)  # fmt: skip
    if stopped:
        lines += [stopped, ""]
    if len(results) > 1 and results[-1].name.endswith("MiniStack's worker pool"):
        first, plain = results[0], results[-1]
        lines += [
            "Structured path via API, the runtime's Lambda pool vs MiniStack's own (same "
            f"scenario, its own deployment, run after): p50 {_ratio(plain.p50, first.p50)}, "
            f"p99 {_ratio(plain.p99, first.p99)}, errors {first.failures} vs {plain.failures}.",
            "",
        ]
    if burst is not None:
        lines += [
            "**Job burst** (`job_burst`):",
            "",
            *table(("measure", "value"), job_burst.rows(burst)),
        ]
    text = write_section("Load", lines, write=write)
    print(text)
    return 1 if stopped or (burst is not None and burst.lost) else 0


def _ratio(plain: float, ours: float) -> str:
    if ours <= 0 or plain <= 0:
        return "n/a"
    return f"{plain / ours:.1f}x faster" if plain >= ours else f"{ours / plain:.1f}x slower"
