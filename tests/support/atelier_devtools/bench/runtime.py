"""The runtime benchmark: Atelier vs plain MiniStack vs moto server, in one run.

Measures start -> ready, Lambda cold and warm invoke (boto3), API Gateway + TOKEN authorizer,
RunTask -> process running and RDS create -> connectable, and writes the "Runtime" section of
``docs/benchmarks.md``. Each emulator runs alone (the others are stopped) so they do not
compete for the CPU.
"""

from __future__ import annotations

import http.client
import io
import statistics
import time
import zipfile
from collections.abc import Callable
from typing import Any

from atelier_devtools.bench.compute import bench_rds, bench_runtask
from atelier_devtools.bench.report import Row, comparison_table, header, machine, write_section
from atelier_devtools.bench.targets import Target, client
from atelier_devtools.runtime import token_authorized_api

ROLE = "arn:aws:iam::000000000000:role/bench"
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
AUTHORIZER = (
    "def handler(event, context):\n"
    "    effect = 'Allow' if event.get('authorizationToken') == 'Bearer ok' else 'Deny'\n"
    "    return {'principalId': 'u', 'policyDocument': {'Version': '2012-10-17', 'Statement': [\n"
    "        {'Action': 'execute-api:Invoke', 'Effect': effect, 'Resource': event['methodArn']}]}}\n"
)
BACKEND = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
Stats = dict[str, float]
READY_ROUNDS = 7


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", source)
    return buf.getvalue()


def _function(lam: Any, name: str, source: str) -> str:
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": _zip(source)},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return str(arn["FunctionArn"])


def _timed(call: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def _invoke(lam: Any, name: str) -> None:
    resp = lam.invoke(FunctionName=name, Payload=b"{}")
    payload = resp["Payload"].read()
    if resp.get("FunctionError"):
        raise RuntimeError(f"invoke failed: {payload[:200]!r}")


def bench_lambda(target: Target, cold_n: int = 7, warm_n: int = 200) -> Stats:
    lam = client(target, "lambda")
    cold = []
    for i in range(cold_n):
        _function(lam, f"cold{i}", HANDLER)
        cold.append(_timed(lambda i=i: _invoke(lam, f"cold{i}")))  # type: ignore[misc]
    _function(lam, "warm", HANDLER)
    for _ in range(5):
        _invoke(lam, "warm")
    warm = [_timed(lambda: _invoke(lam, "warm")) for _ in range(warm_n)]
    return {
        "cold_p50": statistics.median(cold),
        "warm_p50": statistics.median(warm),
        "warm_p99": pct(warm, 0.99),
    }


def bench_apigw(target: Target, n: int = 100) -> Stats:
    lam, apigw = client(target, "lambda"), client(target, "apigateway")
    auth, backend = _function(lam, "authz", AUTHORIZER), _function(lam, "backend", BACKEND)
    api = token_authorized_api(apigw, "bench", auth, backend, path_part="r", stage="b")
    conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=60)
    path = f"/_aws/execute-api/{api}/b/r"

    def request() -> None:
        conn.request("GET", path, headers={"Authorization": "Bearer ok"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"API answered {resp.status}: {body[:200]!r}")

    for _ in range(3):
        request()
    samples = [_timed(request) for _ in range(n)]
    return {"p50": statistics.median(samples), "p99": pct(samples, 0.99)}


def _run(target: Target, name: str, fn: Callable[[Target], Stats]) -> Stats | str:
    try:
        return fn(target)
    except Exception as exc:  # noqa: BLE001 (a benchmark reports what failed and goes on)
        return f"failed: {type(exc).__name__}: {str(exc)[:80]}"


def measure_ready(names: tuple[str, ...], rounds: int) -> dict[str, float]:
    """Start -> ready, the emulators interleaved round by round so load drifts hit all alike."""
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            target = Target(name)
            try:
                samples[name].append(target.start())
            finally:
                target.stop()
    return {name: statistics.median(values) for name, values in samples.items()}


def measure(name: str) -> dict[str, Any]:
    target = Target(name)
    results: dict[str, Any] = {}
    target.start()
    try:
        if name in ("atelier", "ministack"):
            results["lambda"] = _run(target, name, bench_lambda)
            results["apigw"] = _run(target, name, bench_apigw)
        if name == "atelier":
            results["runtask"] = _run(target, name, bench_runtask)
            results["rds"] = _run(target, name, bench_rds)
    finally:
        target.stop()
    return results


def rows(res: dict[str, dict[str, Any]]) -> list[Row]:
    def get(name: str, group: str, key: str | None = None) -> float | str | None:
        value = res.get(name, {}).get(group)
        if value is None or isinstance(value, str) or key is None:
            return value
        return float(value[key])

    no_docker = "n/a (needs Docker)"
    no_process = "n/a (task stays RUNNING, no process)"
    no_database = "n/a (no database without Docker)"
    return [
        Row(
            f"start → ready (median of {READY_ROUNDS}, interleaved)",
            get("atelier", "ready"),
            get("ministack", "ready"),
            get("moto", "ready"),
            "≤ 1 s",
        ),
        Row(
            "Lambda cold invoke p50",
            get("atelier", "lambda", "cold_p50"),
            get("ministack", "lambda", "cold_p50"),
            no_docker,
            "≤ 150 ms",
        ),
        Row(
            "Lambda warm invoke p50",
            get("atelier", "lambda", "warm_p50"),
            get("ministack", "lambda", "warm_p50"),
            no_docker,
            "≤ 10 ms",
        ),
        Row(
            "Lambda warm invoke p99",
            get("atelier", "lambda", "warm_p99"),
            get("ministack", "lambda", "warm_p99"),
            no_docker,
            "",
        ),
        Row(
            "API GW + TOKEN authorizer p50",
            get("atelier", "apigw", "p50"),
            get("ministack", "apigw", "p50"),
            no_docker,
            "",
        ),
        Row(
            "RunTask → RUNNING with a pid p50",
            get("atelier", "runtask", "running_p50"),
            no_process,
            no_process,
            "≤ 0.5 s",
        ),
        Row(
            "RunTask → process printed its first line p50",
            get("atelier", "runtask", "first_line_p50"),
            no_process,
            no_process,
            "",
        ),
        Row(
            "RDS create → psycopg connects, cold (first instance of a fresh home)",
            get("atelier", "rds", "cold"),
            no_database,
            no_docker,
            "",
        ),
        Row(
            "RDS create → connects, warm, back to back (median of 3)",
            get("atelier", "rds", "warm_back_to_back_p50"),
            no_database,
            no_docker,
            "",
        ),
        Row(
            "RDS create → connects, warm, 2 s apart (median of 3)",
            get("atelier", "rds", "warm_spaced_p50"),
            no_database,
            no_docker,
            "",
        ),
    ]


def main(argv: list[str], write: bool = True) -> int:
    machine_line = machine()  # before the run: the load average it started under
    names = ("atelier", "ministack", "moto")
    ready = measure_ready(names, rounds=READY_ROUNDS)
    results = {name: {"ready": ready[name], **measure(name)} for name in names}
    intro = (
        "Each emulator runs alone, started from scratch in a temporary directory; calls go "
        "through boto3 (API Gateway through a kept-alive HTTP connection)."
    )
    lines = header("Runtime", "runtime", machine_line, intro) + comparison_table(rows(results))
    print(write_section("Runtime", lines, write=write))
    return 0
