"""The deploy benchmark: ``atelier deploy`` from scratch, a repeat and a destroy, in one run
against a fresh Atelier runtime, plain MiniStack and moto server (each alone, one after another).

The measure itself is :func:`atelier_devtools.bench.deploy_measure.measure`; this module starts the targets,
turns a step that fails on one of them into an "n/a (<why>)" cell and writes the "Deploy"
section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from atelier_devtools.bench.deploy_measure import TARGETS_S, DeployBenchFailed, measure
from atelier_devtools.bench.report import (
    Cell,
    Row,
    comparison_table,
    header,
    machine,
    write_section,
)
from atelier_devtools.bench.targets import Target
from atelier_devtools.runtime import temporary_runtime

NAMES = ("atelier", "ministack", "moto")
# what each step of atelier_devtools.bench.deploy_measure.measure yields, in order
STEP_KEYS = {
    "clean": (),
    "fresh_deploy": ("fresh_deploy_s", "fresh_deploy_cpu_s"),
    "repeat_deploy": (
        "repeat_deploy_s",
        "repeat_deploy_cpu_s",
        "repeat_reported_no_changes",
        "load_average_1m",
    ),
    "destroy": ("destroy_s",),
}


def short_reason(message: str, limit: int = 70) -> str:
    """The gist of a failed command: the AWS operation and error code, else its error line."""
    found = re.search(r"\(([\w.]+)\) when calling the (\w+) operation", message)
    if found:
        return f"{found.group(2)}: {found.group(1)}"
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    gist = (errors or lines or ["failed"])[-1].removeprefix("Error:").strip()
    return gist if len(gist) <= limit else gist[: limit - 1] + "…"


def outcome(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The measures of ``run``; those it could not take are "n/a (<step>: <why>)"."""
    try:
        return run()
    except DeployBenchFailed as exc:
        result = dict(exc.partial)
        reason = f"n/a ({exc.step.replace('_', ' ')}: {short_reason(exc.message)})"
    except Exception as exc:  # noqa: BLE001 (a target that does not start is a cell, not a crash)
        result, reason = {}, f"n/a ({short_reason(str(exc)) or type(exc).__name__})"
    for keys in STEP_KEYS.values():
        for key in keys:
            result.setdefault(key, reason)
    return result


TF_TARGETS_S = {"tf_apply_s": 60.0, "tf_plan_s": 10.0}
TF_KEYS = ("tf_apply_s", "tf_plan_s", "tf_plan_exit")


def measure_terraform(endpoint: str) -> dict[str, Any]:
    """terraform/envs/local applied from scratch to ``endpoint``, then planned again (the
    Terraform bench's measure, as this table's cells)."""
    from atelier_devtools.bench import terraform as tf_bench
    from atelier_devtools.paths import REPO_ROOT

    result = tf_bench.measure(endpoint, REPO_ROOT / "terraform" / "envs" / "local")
    if "error" in result:
        return dict.fromkeys(TF_KEYS, f"n/a ({short_reason(result['error'])})")
    left = result["left"]
    exit_cell = str(result["plan_exit"])
    if left:
        exit_cell += f" ({len(left)} changes: {', '.join(left)[:60]})"
    return {
        "tf_apply_s": result["apply_s"],
        "tf_plan_s": result["plan_s"],
        "tf_plan_exit": exit_cell,
    }


def with_terraform(endpoint: str, run_terraform: bool) -> dict[str, Any]:
    result = outcome(partial(measure, endpoint))
    if run_terraform:
        result.update(measure_terraform(endpoint))
    else:
        result.update(dict.fromkeys(TF_KEYS, "n/a (not measured)"))
    return result


def on_atelier() -> dict[str, Any]:
    with temporary_runtime("atelier-bench-deploy-") as runtime:
        return with_terraform(runtime.endpoint_url, True)


def on_alternative(name: str) -> dict[str, Any]:
    target = Target(name)
    try:
        target.start()
        return with_terraform(target.endpoint_url, name == "ministack")
    finally:
        target.stop()


def rows(res: dict[str, dict[str, Any]]) -> list[Row]:
    def cells(key: str, show: Callable[[Any], Cell] = float) -> tuple[Cell, Cell, Cell]:
        values = [res[name].get(key) for name in NAMES]
        shown = [v if isinstance(v, str) or v is None else show(v) for v in values]
        return shown[0], shown[1], shown[2]

    def yes_no(value: Any) -> str:
        return "yes" if value else "**no**"

    def load(value: Any) -> str:
        return f"{float(value):.2f}"

    fresh, repeat = TARGETS_S["fresh_deploy_s"], TARGETS_S["repeat_deploy_s"]
    return [
        Row("deploy from scratch, wall", *cells("fresh_deploy_s"), f"≤ {fresh:.0f} s"),
        Row("deploy from scratch, CPU of the deploy process", *cells("fresh_deploy_cpu_s"), ""),
        Row("repeat deploy, wall", *cells("repeat_deploy_s"), f"≤ {repeat:.0f} s"),
        Row("repeat deploy, CPU of the deploy process", *cells("repeat_deploy_cpu_s"), ""),
        Row("repeat said “no changes”", *cells("repeat_reported_no_changes", yes_no), "yes"),
        Row("destroy, wall", *cells("destroy_s"), ""),
        Row("load average (1 min) after the repeat", *cells("load_average_1m", load), ""),
        Row(
            "terraform apply of envs/local from scratch, wall",
            *cells("tf_apply_s"),
            f"≤ {TF_TARGETS_S['tf_apply_s']:.0f} s",
        ),
        Row(
            "terraform plan right after, wall",
            *cells("tf_plan_s"),
            f"≤ {TF_TARGETS_S['tf_plan_s']:.0f} s",
        ),
        Row("that plan's exit code (0: nothing to change)", *cells("tf_plan_exit", str), "0"),
    ]


def main(argv: list[str], write: bool = True) -> int:
    machine_line = machine()  # before the run: the load average it started under
    results: dict[str, dict[str, Any]] = {}
    for name in NAMES:  # one at a time, so they never compete for the CPU
        results[name] = outcome(on_atelier if name == "atelier" else partial(on_alternative, name))
        print(f"{name}: {results[name]}", flush=True)
    intro = (
        "Each target runs alone, started fresh on a free port. Each command is a new "
        "`python -m atelier.cli` process (interpreter start and imports included) deploying "
        "the `bench` environment (`atelier-bench-*`, a clone of `local`) from a copy of the "
        "sources; CPU is the deploy process's own (user + system), which does not depend on "
        "the machine's load the way wall time does."
    )
    lines = header("Deploy", "deploy", machine_line, intro) + comparison_table(rows(results))
    print(write_section("Deploy", lines, write=write))
    return 0
