"""The cost benchmark: a replayed week of the workload profile, metered and priced.

``python -m atelier_devtools.bench cost [--days 7] [--env prod] [--endpoint URL --home DIR]``: starts an
Atelier runtime (or reuses a deployed, seeded one), deploys and seeds it, replays the span,
and writes the "Cost" section of ``docs/benchmarks.md``: estimate vs meter per service, the
replay's speed, and the meter's overhead on S3 PutObject against plain MiniStack in the same
run (plain MiniStack has no meter, no compute and so no replay).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from atelier.cost import prices as cost_prices
from atelier.cost import replay
from atelier.cost.compare import compare
from atelier.topology import load as load_topology
from atelier_devtools.bench.report import header, machine, table, write_section
from atelier_devtools.bench.targets import Target, client, free_port

PUTS = 200


def put_latency(name: str) -> float:
    """Median S3 PutObject (1 KB) on a fresh emulator, seconds."""
    target = Target(name)
    target.start()
    try:
        s3 = client(target, "s3")
        s3.create_bucket(Bucket="bench-meter")
        samples = []
        for i in range(PUTS):
            start = time.perf_counter()
            s3.put_object(Bucket="bench-meter", Key=f"k{i}", Body=b"x" * 1024)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)
    finally:
        target.stop()


def _atelier(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "atelier.cli", *args], env=env, check=True)


def deployed_runtime(home: Path) -> tuple[str, dict[str, str]]:
    port = free_port()
    env = {**os.environ, "ATELIER_HOME": str(home), "ATELIER_PORT": str(port)}
    _atelier("emulator", "start", env=env)
    _atelier("deploy", env=env)
    _atelier("seed", env=env)
    return f"http://127.0.0.1:{port}", env


def main(argv: list[str], write: bool = True) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier_devtools.bench cost")
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--endpoint", default=None, help="a deployed, seeded runtime to reuse")
    parser.add_argument("--home", type=Path, default=None, help="its ATELIER_HOME")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    load_line = f"load average {os.getloadavg()[0]:.1f} at start"
    overhead = {name: put_latency(name) for name in ("atelier", "ministack")}
    started_here = args.endpoint is None
    env: dict[str, str] = {}
    if started_here:
        home = Path(Target("atelier").home)
        endpoint, env = deployed_runtime(home)
    else:
        endpoint, home = args.endpoint, args.home
    topology, prices = load_topology(), cost_prices.load()
    try:
        result = replay.run(topology, prices, args.env, args.days * 24, "mon 00:00", endpoint,
                            home, workers=args.workers)  # fmt: skip
    finally:
        if started_here:
            _atelier("emulator", "stop", env=env)
    ratio = overhead["atelier"] / overhead["ministack"] if overhead["ministack"] else 0.0
    lines = header(
        "Cost",
        "cost",
        f"{machine()}; {load_line}",
        f"`atelier cost replay --env {args.env} --days {args.days:g}` through a deployed, seeded "
        f"runtime: {sum(result.counts.values())} requests in {result.real_seconds:.0f} s real "
        f"for {result.span_hours:g} h simulated; the meter priced and compared per service with "
        "the estimate of the same requests (tolerance ±5 %).",
    )
    lines += table(
        ["service", "estimate USD/month", "metered USD/month", "difference"],
        [[n, f"{a:,.2f}", f"{b:,.2f}", f"{d:+.1%}"] for n, a, b, d in result.rows],
    )
    lines += [f"Replayed: {', '.join(f'{k} {v}' for k, v in sorted(result.counts.items()))}. "
              + "; ".join(result.notes) + ".", ""]  # fmt: skip
    lines += table(
        ["measure", "Atelier runtime (metered)", "plain MiniStack", "ratio"],
        [[f"S3 PutObject 1 KB, median of {PUTS}", f"{overhead['atelier'] * 1000:.1f} ms",
          f"{overhead['ministack'] * 1000:.1f} ms", f"{ratio:.2f}x"]],
    )  # fmt: skip
    lines += ["Monthly estimates (`atelier cost --compare qa,preprod,prod`):", ""]
    lines += [compare(topology, ["qa", "preprod", "prod"], prices).markdown(), ""]
    print("\n".join(lines))
    write_section("Cost", lines, write=write)
    return 0 if result.agrees else 1
