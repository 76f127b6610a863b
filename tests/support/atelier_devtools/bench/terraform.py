"""The Terraform benchmark: ``terraform apply`` of ``envs/local`` from scratch, then the plan right
after, on a fresh Atelier runtime and on plain MiniStack, for this tree's configuration and,
with ``--before REV``, for the ``terraform/`` directory of another git revision (same bundles,
same runtime code): a before/after of a configuration change in one run.

Besides the wall times it records, from ``terraform apply -json``, the longest create of each
resource type (the provider's own waits show there) and writes the "Terraform" section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from atelier.config import Settings
from atelier.deploy.terraform import TerraformFailed, Workspace, planned_changes
from atelier.deploy.terraform_engine import write_bundles
from atelier_devtools.bench.report import (
    fmt,
    header,
    machine,
    package_version,
    table,
    write_section,
)
from atelier_devtools.bench.targets import Target
from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.runtime import temporary_runtime

TARGETS_S = {"apply_s": 60.0, "plan_s": 10.0}
SLOWEST = 6  # resource types listed per run, longest create first


def elapsed_by_type(events: list[dict[str, Any]]) -> dict[str, float]:
    """Longest ``apply_complete`` elapsed time per resource type (``hook.elapsed_seconds``)."""
    out: dict[str, float] = {}
    for event in events:
        if event.get("type") != "apply_complete":
            continue
        hook = event.get("hook") or {}
        rtype = str((hook.get("resource") or {}).get("resource_type", "?"))
        out[rtype] = max(out.get(rtype, 0.0), float(hook.get("elapsed_seconds") or 0.0))
    return out


def measure(endpoint: str, root: Path) -> dict[str, Any]:
    """``root`` (an ``envs/local`` directory) applied from scratch to ``endpoint``, then planned."""
    work = Path(tempfile.mkdtemp(prefix="atelier-bench-tf-"))
    try:
        write_bundles(REPO_ROOT, "local", work / "dist", Settings().cache_dir)
        ws = Workspace(root=root, endpoint_url=endpoint, state_dir=work,
                       variables={"bundle_dir": str(work / "dist"), "runtime_endpoint": endpoint})  # fmt: skip
        ws.init()
        t0 = time.monotonic()
        events = ws.apply()
        applied = time.monotonic() - t0
        t0 = time.monotonic()
        code, plan_events = ws.plan()
        planned = time.monotonic() - t0
        left = planned_changes(plan_events)
        return {"apply_s": applied, "plan_s": planned, "plan_exit": code, "left": left,
                "slowest": elapsed_by_type(events)}  # fmt: skip
    except TerraformFailed as exc:
        return {"error": str(exc).splitlines()[0][:400]}
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def terraform_tree(rev: str | None) -> Iterator[Path]:
    """``envs/local`` of this tree, or of ``terraform/`` at git revision ``rev`` (exported)."""
    if rev is None:
        yield REPO_ROOT / "terraform" / "envs" / "local"
        return
    tmp = Path(tempfile.mkdtemp(prefix="atelier-bench-tf-rev-"))
    try:
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", rev, "terraform"],
                                 capture_output=True, check=True).stdout  # fmt: skip
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        # the topology module reads topology.yaml next to terraform/
        shutil.copy(REPO_ROOT / "topology.yaml", tmp / "topology.yaml")
        yield tmp / "terraform" / "envs" / "local"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def on_target(name: str, root: Path) -> dict[str, Any]:
    if name == "atelier":
        with temporary_runtime("atelier-bench-tf-home-") as runtime:
            return measure(runtime.endpoint_url, root)
    target = Target(name)
    try:
        target.start()
        return measure(target.endpoint_url, root)
    finally:
        target.stop()


def cell(result: dict[str, Any], key: str) -> str:
    if "error" in result:
        return f"n/a ({result['error']})"
    if key == "plan_exit":
        left = result["left"]
        return str(result["plan_exit"]) + (f" ({len(left)} changes)" if left else "")
    return fmt(float(result[key]))


def ratio(before: dict[str, Any], after: dict[str, Any], key: str) -> str:
    if "error" in before or "error" in after or not after.get(key):
        return "—"
    return f"{float(before[key]) / float(after[key]):.2f}x"


def slowest_line(label: str, result: dict[str, Any]) -> str:
    if "error" in result:
        return f"- {label}: n/a"
    top = sorted(result["slowest"].items(), key=lambda kv: -kv[1])[:SLOWEST]
    return f"- {label}: " + ", ".join(f"`{t}` {s:.0f} s" for t, s in top)


def main(argv: list[str], write: bool = True) -> int:
    parser = argparse.ArgumentParser(prog="bench terraform")
    parser.add_argument("--before", default=None, help="git revision whose terraform/ to compare")
    args = parser.parse_args(argv)
    machine_line = machine()
    configs = [("this tree", None)] + ([(f"`{args.before}`", args.before)] if args.before else [])
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for label, rev in configs:
        with terraform_tree(rev) as root:
            for name in ("atelier", "ministack"):  # one at a time: they never share the CPU
                results[(label, name)] = on_target(name, root)
                print(f"{label} on {name}: {results[(label, name)]}", flush=True)
    ms = f"plain MiniStack {package_version('ministack')}"
    rows = []
    for label, _ in configs:
        for name, shown in (("atelier", "Atelier runtime"), ("ministack", ms)):
            r = results[(label, name)]
            rows.append((label, shown, cell(r, "apply_s"), cell(r, "plan_s"), cell(r, "plan_exit")))
    lines = header(
        "Terraform",
        "terraform",
        machine_line,
        (
            "`terraform apply` of `terraform/envs/local` from scratch on a fresh target, then "
            "`terraform plan -detailed-exitcode` right after (Terraform "
            f"{_terraform_version()}, AWS provider from the filesystem mirror). Targets: apply ≤ "
            f"{TARGETS_S['apply_s']:.0f} s, plan ≤ {TARGETS_S['plan_s']:.0f} s. Each target runs "
            "alone, one after another."
        ),
    )
    lines += table(("configuration", "target", "apply from scratch", "plan right after",
                    "plan exit"), rows)  # fmt: skip
    if args.before:
        after, before = configs[0][0], configs[1][0]
        lines += table(("target", f"apply: {before} / {after}", f"plan: {before} / {after}"), [
            (shown, ratio(results[(before, n)], results[(after, n)], "apply_s"),
             ratio(results[(before, n)], results[(after, n)], "plan_s"))
            for n, shown in (("atelier", "Atelier runtime"), ("ministack", ms))
        ])  # fmt: skip
    lines += ["Longest create per resource type (from `apply -json`):", ""]
    lines += [slowest_line(f"{label}, {name}", results[(label, name)])
              for label, _ in configs for name in ("atelier", "ministack")]  # fmt: skip
    print(write_section("Terraform", [*lines, ""], write=write))
    return 0


def _terraform_version() -> str:
    from atelier.deploy.terraform import find_terraform

    run = subprocess.run([find_terraform(), "version"], capture_output=True, text=True)
    return run.stdout.split("\n", 1)[0].removeprefix("Terraform ").strip() or "?"
