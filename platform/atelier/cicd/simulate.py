"""A static simulator of GitHub Actions for this repository's workflows.

Given an event (a pull request into ``develop`` changing ``lambdas/x.py``, a push to ``master``,
a manual dispatch, ...) it decides which workflows start (``on:`` filters: types, branches,
paths), which jobs run (``needs``, ``if:``), follows local reusable workflows (``uses:
./.github/workflows/x.yml`` with ``with:`` inputs), expands matrices, resolves each job's
``environment`` and lists the nox sessions its steps run. Two effects are modelled because the
rules depend on them: ``nox -s release_gate`` routes by the evaluation verdict of the scenario
(through the real :mod:`atelier.cicd.gate`), and ``gh workflow run X --ref B`` dispatches X.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path, PurePosixPath
from typing import Any

from atelier.cicd import gate
from atelier.cicd.expressions import Placeholder, condition, render, to_string
from atelier.cicd.workflows import Workflow, load_all, matches, steps

REPOSITORY = "atelier-team/atelier"
DEFAULT_PR_TYPES = ("opened", "synchronize", "reopened")
_NOX = re.compile(r"\bnox\s+(?:--?[\w-]+\s+)*-s\s+[\"']?([A-Za-z0-9_-]+)")
_DISPATCH = re.compile(r"\bgh\s+workflow\s+run\s+[\"']?([\w.-]+)[\"']?.*?--ref\s+[\"']?([\w./-]+)")
_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")


class SimulationError(RuntimeError):
    """The workflows use something the simulator does not model."""


@dataclass(frozen=True)
class Event:
    """What happened on GitHub. ``branch`` is the base branch of a pull request, the pushed
    branch of a push, the ref of a dispatch. ``verdict`` is the decision of the latest preprod
    evaluation the release gate will read (``None``: there is none)."""

    name: str
    branch: str
    paths: tuple[str, ...] = ()
    action: str = "opened"
    merged: bool = False
    labels: tuple[str, ...] = ()
    fork: bool = False
    workflow: str | None = None
    inputs: tuple[tuple[str, str], ...] = ()
    verdict: str | None = "promote"

    def describe(self) -> str:
        if self.name == "pull_request":
            what = f"pull_request ({self.action}{', merged' if self.merged else ''}) into {self.branch}"
            if self.labels:
                what += f" labelled {', '.join(self.labels)}"
            if self.fork:
                what += " from a fork"
        elif self.name == "workflow_dispatch":
            what = f"workflow_dispatch of {self.workflow} on {self.branch}"
        else:
            what = f"{self.name} to {self.branch}"
        if self.paths:
            what += f" changing {', '.join(self.paths)}"
        if self.verdict != "promote":
            what += f" (evaluation verdict: {self.verdict or 'none'})"
        return what


@dataclass(frozen=True)
class JobRun:
    """One job that runs: where it comes from, its environment and the nox sessions it runs."""

    workflow: str
    job: str
    environment: str | None
    sessions: tuple[str, ...]
    commands: tuple[str, ...]
    inputs: Mapping[str, Any]
    result: str
    called: tuple[str, ...] = ()

    def __str__(self) -> str:
        env = f" in environment {self.environment}" if self.environment else ""
        return f"{self.workflow} / {self.job}{env} (nox -s {', '.join(self.sessions) or '-'})"


@dataclass
class Simulation:
    event: Event
    triggered: list[str] = field(default_factory=list)
    runs: list[JobRun] = field(default_factory=list)

    def in_environment(self, *names: str) -> list[JobRun]:
        return [r for r in self.runs if r.environment in names]

    def running(self, session: str) -> list[JobRun]:
        return [r for r in self.runs if session in r.sessions]

    def deployments(self) -> list[JobRun]:
        return [r for r in self.runs if r.environment]

    def summary(self) -> str:
        lines = [f"{self.event.describe()} starts: {', '.join(self.triggered) or 'nothing'}"]
        lines += [f"  - {r}" + (" [FAILED]" if r.result == "failure" else "") for r in self.runs]
        return "\n".join(lines)


def triggered_by(wf: Workflow, event: Event) -> bool:
    if event.name == "workflow_dispatch":
        return "workflow_dispatch" in wf.triggers and wf.name == event.workflow
    spec = wf.triggers.get(event.name)
    if spec is None:
        return False
    if event.name == "pull_request" and event.action not in _list(
        spec.get("types", DEFAULT_PR_TYPES)
    ):
        return False
    if (
        event.name == "push"
        and ("tags" in spec or "tags-ignore" in spec)
        and "branches" not in spec
    ):
        return False
    if "branches" in spec and not matches(_list(spec["branches"]), event.branch):
        return False
    if "branches-ignore" in spec and matches(_list(spec["branches-ignore"]), event.branch):
        return False
    if "paths" in spec and not any(matches(_list(spec["paths"]), p) for p in event.paths):
        return False
    return not (
        "paths-ignore" in spec
        and event.paths
        and all(matches(_list(spec["paths-ignore"]), p) for p in event.paths)
    )


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _github(event: Event, wf: Workflow) -> dict[str, Any]:
    payload: dict[str, Any] = {"action": event.action}
    if event.name == "pull_request":
        head_repo = "someone-else/atelier" if event.fork else REPOSITORY
        payload["number"] = 42
        payload["pull_request"] = {
            "number": 42,
            "merged": event.merged,
            "labels": [{"name": label} for label in event.labels],
            "base": {"ref": event.branch},
            "head": {"ref": "feature/x", "repo": {"full_name": head_repo}},
        }
        ref, base_ref, head_ref = "refs/pull/42/merge", event.branch, "feature/x"
    else:
        ref, base_ref, head_ref = f"refs/heads/{event.branch}", "", ""
    if event.name == "workflow_dispatch":
        payload["inputs"] = dict(event.inputs)
    return {
        "event_name": event.name,
        "event": payload,
        "ref": ref,
        "ref_name": event.branch if event.name != "pull_request" else "42/merge",
        "base_ref": base_ref,
        "head_ref": head_ref,
        "repository": REPOSITORY,
        "sha": "0" * 40,
        "token": "<github.token>",
        "workflow": wf.data.get("name", wf.name),
    }


class _Steps(Placeholder):
    def __init__(self, known: dict[str, dict[str, Any]]) -> None:
        super().__init__("steps")
        self.known = known

    def lookup(self, name: str) -> Any:
        return self.known.get(name, {"outputs": Placeholder(f"steps.{name}.outputs")})


def _matrix(job: dict[str, Any], ctx: Mapping[str, Any]) -> list[dict[str, Any]]:
    matrix = (job.get("strategy") or {}).get("matrix")
    if not matrix:
        return [{}]
    if not isinstance(matrix, dict) or {"include", "exclude"} & set(matrix):
        raise SimulationError("only plain matrices (lists of values) are simulated")
    keys = list(matrix)
    values = [_list(render(matrix[k], ctx)) for k in keys]
    return [dict(zip(keys, combo, strict=True)) for combo in product(*values)]


def _order(jobs: Mapping[str, dict[str, Any]]) -> list[str]:
    done: list[str] = []
    pending = dict(jobs)
    while pending:
        ready = [
            j for j, spec in pending.items() if all(n in done for n in _list(spec.get("needs")))
        ]
        if not ready:
            raise SimulationError(f"jobs with unknown or circular needs: {sorted(pending)}")
        for j in ready:
            done.append(j)
            del pending[j]
    return done


@dataclass
class _Runner:
    workflows: dict[str, Workflow]
    event: Event
    runs: list[JobRun] = field(default_factory=list)
    dispatches: list[Event] = field(default_factory=list)

    def workflow(
        self,
        wf: Workflow,
        inputs: dict[str, Any],
        prefix: str,
        top: str,
        called_from: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        base = {
            "github": _github(self.event, wf),
            "inputs": inputs,
            "vars": Placeholder("vars"),
            "secrets": Placeholder("secrets"),
            "runner": Placeholder("runner"),
            "env": {},
            "strategy": {},
        }
        results: dict[str, dict[str, Any]] = {}
        for jid in _order(wf.jobs):
            job = wf.jobs[jid]
            needs = _list(job.get("needs"))
            status = {
                "success": all(results[n]["result"] == "success" for n in needs),
                "failure": any(results[n]["result"] == "failure" for n in needs),
                "always": True,
                "cancelled": False,
            }
            ctx = {**base, "needs": {n: results[n] for n in needs}, "matrix": {}}
            if not condition(job.get("if"), ctx, status):
                results[jid] = {"result": "skipped", "outputs": {}}
                continue
            result = "success"
            outputs: dict[str, Any] = {}
            called = (
                (*called_from, str(job["uses"]).rsplit("/", 1)[-1])
                if "uses" in job
                else called_from
            )
            for combo in _matrix(job, ctx):
                mctx = {**ctx, "matrix": combo}
                suffix = f" ({', '.join(map(str, combo.values()))})" if combo else ""
                name = f"{prefix}{jid}{suffix}"
                if "uses" in job:
                    ok, outputs = self.call(job, mctx, f"{name} / ", top, called)
                else:
                    ok, outputs = self.job(job, mctx, name, top, inputs, called)
                if not ok:
                    result = "failure"
            results[jid] = {"result": result, "outputs": outputs}
        return results

    def call(
        self,
        job: dict[str, Any],
        ctx: dict[str, Any],
        prefix: str,
        top: str,
        called: tuple[str, ...],
    ) -> tuple[bool, dict[str, Any]]:
        target = str(job["uses"])
        if not target.startswith("./.github/workflows/"):
            raise SimulationError(f"reusable workflow {target!r} is not local")
        callee = self.workflows.get(PurePosixPath(target).name)
        if callee is None or not callee.reusable:
            raise SimulationError(f"{target} does not exist or has no workflow_call trigger")
        declared = callee.triggers["workflow_call"].get("inputs") or {}
        given = {k: render(v, ctx) for k, v in (job.get("with") or {}).items()}
        unknown = set(given) - set(declared)
        if unknown:
            raise SimulationError(f"{target} has no input(s) {sorted(unknown)}")
        inputs = {k: (spec or {}).get("default") for k, spec in declared.items()}
        inputs.update(given)
        missing = [
            k for k, spec in declared.items() if (spec or {}).get("required") and k not in given
        ]
        if missing:
            raise SimulationError(f"{target} called without required input(s) {missing}")
        results = self.workflow(callee, inputs, prefix, top, called)
        ok = all(r["result"] != "failure" for r in results.values())
        outputs = {
            k: render((spec or {}).get("value"), {**ctx, "jobs": results})
            for k, spec in (callee.triggers["workflow_call"].get("outputs") or {}).items()
        }
        return ok, outputs

    def job(
        self,
        job: dict[str, Any],
        ctx: dict[str, Any],
        name: str,
        top: str,
        inputs: Mapping[str, Any],
        called: tuple[str, ...],
    ) -> tuple[bool, dict[str, Any]]:
        environment = render(job.get("environment"), ctx)
        if isinstance(environment, dict):
            environment = render(environment.get("name"), ctx)
        known: dict[str, dict[str, Any]] = {}
        sessions: list[str] = []
        commands: list[str] = []
        ok = True
        job_env = {k: to_string(render(v, ctx)) for k, v in (job.get("env") or {}).items()}
        for step in steps(job):
            if "run" not in step:
                continue
            sctx = {**ctx, "steps": _Steps(known)}
            step_env = {k: to_string(render(v, sctx)) for k, v in (step.get("env") or {}).items()}
            env = {**job_env, **step_env}
            text = _substitute(str(step["run"]), env)
            text = to_string(render(text, sctx))
            commands.append(text)
            for session in _NOX.findall(text):
                sessions.append(session)
                step_ok, outputs = _effect(session, self.event)
                if "id" in step:
                    known[str(step["id"])] = {"outputs": outputs}
                ok = ok and step_ok
            for workflow, ref in _DISPATCH.findall(text):
                self.dispatches.append(
                    Event("workflow_dispatch", ref, workflow=workflow, verdict=self.event.verdict)
                )
            if not ok:
                break
        outputs = {
            k: render(v, {**ctx, "steps": _Steps(known)})
            for k, v in (job.get("outputs") or {}).items()
        }
        self.runs.append(
            JobRun(
                top,
                name,
                to_string(environment) or None,
                tuple(sessions),
                tuple(commands),
                dict(inputs),
                "success" if ok else "failure",
                called,
            )
        )
        return ok, outputs


def _substitute(script: str, env: Mapping[str, str]) -> str:
    """Expand ``$VAR`` / ``${VAR}`` from the step's ``env:`` (others stay as written)."""
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), script)


def _effect(session: str, event: Event) -> tuple[bool, dict[str, Any]]:
    if session == "release_gate":
        try:
            return True, {"environment": gate.route([event.verdict] if event.verdict else [])}
        except gate.ReleaseBlocked:
            return False, {}
    return True, {}


def simulate(root: Path, event: Event, *, max_dispatches: int = 5) -> Simulation:
    workflows = load_all(root)
    sim = Simulation(event)
    queue = [event]
    handled = 0
    while queue:
        current = queue.pop(0)
        handled += 1
        if handled > max_dispatches + 1:
            raise SimulationError("workflows keep dispatching each other")
        for wf in workflows.values():
            if not triggered_by(wf, current):
                continue
            runner = _Runner(workflows, current)
            runner.workflow(wf, dict(current.inputs), "", wf.name)
            sim.triggered.append(wf.name)
            sim.runs.extend(runner.runs)
            queue.extend(runner.dispatches)
    return sim


def simulate_many(root: Path, events: Iterable[Event]) -> list[Simulation]:
    return [simulate(root, e) for e in events]
