"""``python -m atelier_devtools.bench startup``: start -> ready of the runtime vs plain MiniStack.

Only the start-up part of the ``runtime`` group, with more rounds (the emulators interleaved
round by round so the shared machine's load drifts hit both alike), so it can be re-run in a
minute: spawn to the first successful health check, median and spread of ``ROUNDS`` starts.
Writes the "Start-up" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import compileall
import os
import statistics
from pathlib import Path

import atelier
from atelier_devtools.bench.report import header, machine, table, write_section
from atelier_devtools.bench.targets import Target

ROUNDS = 15
NAMES = ("atelier", "ministack")


def byte_compile() -> None:
    """Atelier's modules byte-compiled, as a wheel install leaves them (pip compiled MiniStack's):
    an editable checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (CI, this machine) would compile
    every module from source on every start, which no installed runtime does."""
    compileall.compile_dir(Path(atelier.__file__).parent, quiet=1)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(rounds: int = ROUNDS) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Seconds from spawn to ready, and the CPU seconds the process had used by then (less
    sensitive to the shared machine's load than the wall time), per emulator."""
    byte_compile()
    samples: dict[str, list[float]] = {name: [] for name in NAMES}
    cpu: dict[str, list[float]] = {name: [] for name in NAMES}
    for _ in range(rounds):
        for name in NAMES:
            target = Target(name)
            try:
                samples[name].append(target.start())
                assert target.proc is not None
                cpu[name].append(cpu_seconds(target.proc.pid))
            finally:
                target.stop()
    return samples, cpu


def main(argv: list[str], write: bool = True) -> int:
    machine_line = machine()
    samples, cpu = measure(int(argv[0]) if argv else ROUNDS)
    rows = []
    for name in NAMES:
        values = sorted(samples[name])
        rows.append((
            {"atelier": "Atelier runtime", "ministack": "plain MiniStack"}[name],
            f"{statistics.median(values) * 1000:.0f}",
            f"{values[0] * 1000:.0f}",
            f"{values[-1] * 1000:.0f}",
            f"{statistics.median(cpu[name]) * 1000:.0f}",
        ))  # fmt: skip
    ratio = statistics.median(samples["atelier"]) / statistics.median(samples["ministack"])
    intro = (
        f"Spawn to the first successful health check, {len(samples['atelier'])} starts each from "
        "a fresh temporary directory, the two interleaved, Atelier's modules byte-compiled "
        "first (as an installed wheel has them; pip compiled MiniStack's); milliseconds."
    )
    lines = header("Start-up", "startup", machine_line, intro)
    lines += table(("emulator", "median", "fastest", "slowest", "CPU used by then, median"), rows)
    verdict = f"{ratio:.2f}x slower" if ratio > 1 else f"{1 / ratio:.2f}x faster"
    cpu_ratio = statistics.median(cpu["atelier"]) / statistics.median(cpu["ministack"])
    lines += [
        f"Atelier vs plain MiniStack (medians): {verdict}; CPU used by ready: {cpu_ratio:.2f}x.",
        "",
    ]
    print(write_section("Start-up", lines, write=write))
    return 0
