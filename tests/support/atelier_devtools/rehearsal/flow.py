"""The branch flow of ``.github/workflows`` as an ordered list of steps, read from the workflows.

Three GitHub events make a release, one per account:

- ``qa``: a pull request into ``develop`` that changes every part;
- ``preprod``: that pull request merged with the label ``deploy:preprod``
  (``preprod-request.yml`` dispatches ``deploy-preprod.yml``: every part, then training and
  the evaluation);
- ``prod``: the merge to ``master`` (the release gate, then every part and the promotion).

For each event :func:`atelier.cicd.simulate.simulate` says which jobs run, in which GitHub
environment, and the ``nox -s`` commands their steps run with their arguments. Nothing here
lists a step by hand: add, remove or reorder a step in a workflow and the rehearsal follows, and
:func:`check_sync` fails when a workflow runs a session the rehearsal has no runner for.

GitHub runs the jobs of different workflows side by side. The rehearsal runs them one after the
other, each job's steps in the workflow's order, the jobs ordered so that each finds what it
reads (:data:`JOB_ORDER`): the gate first, then images and bundles, then Terraform (it reads
their tags and manifest), then the frontend (it reads Terraform's outputs), then training,
evaluation and promotion. A step that several workflows run alike (the release gate, once per
workflow of the release) is run once per phase.
"""

from __future__ import annotations

import ast
import shlex
from dataclasses import dataclass
from pathlib import Path

from atelier.cicd.simulate import Event, simulate

#: paths a change touches so that every part's workflow runs
EVERY_PART = (
    "pipelines/structured_data/structured_data/app.py",
    "pipelines/non_structured_data_images/non_structured_data_images/__init__.py",
    "pipelines/non_structured_al_data_images/non_structured_al_data_images/__init__.py",
    "lambdas/auth/handler.py",
    "terraform/modules/stack/main.tf",
    "frontend/src/main.ts",
)
#: github.sha in the simulator's rendering; the rehearsal puts its own commit there
SIMULATED_SHA = "0" * 40


@dataclass(frozen=True)
class Phase:
    name: str  # the account (stage) it deploys
    event: Event
    what: str


PHASES = (
    Phase("qa", Event("pull_request", "develop", paths=EVERY_PART),
          "a pull request into develop deploys qa"),
    Phase("preprod", Event("pull_request", "develop", action="closed", merged=True,
                           labels=("deploy:preprod",)),
          "the merge into develop (deploy:preprod) deploys preprod, trains and evaluates"),
    Phase("prod", Event("push", "master", paths=EVERY_PART),
          "the release (merge to master) passes the gate and promotes to prod"),
)  # fmt: skip

#: the order of jobs inside a phase, by the first session a job runs (see the module docstring)
JOB_ORDER = {
    "tests": 0, "validate": 0, "e2e": 0, "release_gate": 0,
    "image": 1, "package_lambdas": 1,
    "terraform_plan": 2,
    "build_frontend": 3,
    "train_candidates": 4, "preprod_evaluation": 5, "promote_models": 5,
}  # fmt: skip


@dataclass(frozen=True)
class Step:
    phase: str  # qa | preprod | prod: the account the step acts in
    workflow: str
    job: str
    environment: str | None  # the GitHub environment of the job (None: no AWS access)
    session: str
    args: tuple[str, ...]  # after ``--``, as the workflow passes them (placeholders kept)
    command: str

    @property
    def name(self) -> str:
        """``qa · image structured_data``: the account, the session, what it works on."""
        what = f" {self.args[0]}" if self.session in PER_PIPELINE and self.args else ""
        return f"{self.phase} · {self.session}{what}"


PER_PIPELINE = ("image", "deploy_image")


def _sessions_of(command: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each ``nox -s NAME [-- ARGS]`` of a run script, its arguments split as a shell would."""
    out = []
    for line in command.splitlines():
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        if len(words) >= 3 and words[0] == "nox" and "-s" in words:
            name = words[words.index("-s") + 1]
            args = tuple(words[words.index("--") + 1 :]) if "--" in words else ()
            out.append((name, args))
    return out


def plan(root: Path, phases: tuple[Phase, ...] = PHASES) -> list[Step]:
    """Every step of the flow, in the order the rehearsal runs them."""
    steps: list[Step] = []
    for phase in phases:
        jobs = []
        for position, run in enumerate(simulate(root, phase.event).runs):
            if run.result != "success" or not run.sessions:
                continue
            found = [s for c in run.commands for s in _sessions_of(c)]
            key = JOB_ORDER.get(found[0][0], 9) if found else 9
            jobs.append((key, position, run, found))
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for _, _, run, found in sorted(jobs, key=lambda j: (j[0], j[1])):
            for session, args in found:
                if (session, args) in seen:
                    continue
                seen.add((session, args))
                command = next(c for c in run.commands if f"-s {session}" in c
                               or f'-s "{session}"' in c)  # fmt: skip
                steps.append(Step(phase.name, run.workflow, run.job, run.environment, session,
                                  args, command.strip()))  # fmt: skip
    return steps


def nox_sessions(root: Path) -> set[str]:
    """The sessions ``noxfile.py`` and its modules (``noxfiles/``) define: functions decorated
    with ``nox.session``."""
    files = [root / "noxfile.py", *sorted((root / "noxfiles").glob("*.py"))]
    return {
        node.name
        for path in files
        if path.is_file()
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef)
        and any("session" in ast.unparse(d) for d in node.decorator_list)
    }


def check_sync(
    steps: list[Step], runners: set[str], not_replayed: dict[str, str], defined: set[str]
) -> list[str]:
    """Why the rehearsal and the workflows disagree (empty: they agree)."""
    used = {s.session for s in steps}
    problems = [
        f"the workflows run nox -s {s} ({', '.join(sorted({x.workflow for x in steps if x.session == s}))}),"
        " which the rehearsal cannot replay: give it a runner or a reason in NOT_REPLAYED"
        for s in sorted(used - runners - set(not_replayed))
    ]  # fmt: skip
    problems += [f"the rehearsal replays nox -s {s}, which no workflow of the flow runs"
                 for s in sorted((runners | set(not_replayed)) - used)]  # fmt: skip
    problems += [f"the workflows run nox -s {s}, which noxfile.py does not define"
                 for s in sorted(used - defined)]  # fmt: skip
    return problems
