"""The pieces the rule checks stand on: YAML's `on:`, GitHub's filter globs, expressions and
the event simulator on small hand-written workflows."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.cicd.expressions import ExpressionError, condition, evaluate, render
from atelier.cicd.simulate import Event, SimulationError, simulate
from atelier.cicd.workflows import load, load_all, matches

ROOT = Path(__file__).resolve().parents[3]


def write(root: Path, name: str, text: str) -> Path:
    path = root / ".github" / "workflows" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_on_key_that_yaml_reads_as_true_is_the_trigger_map(tmp_path: Path) -> None:
    wf = load(write(tmp_path, "a.yml", "on:\n  push:\n    branches: [develop]\njobs: {}\n"))
    assert True in wf.data  # PyYAML (YAML 1.1) turns the key `on` into True
    assert wf.triggers == {"push": {"branches": ["develop"]}}
    assert load(write(tmp_path, "b.yml", "on: [push, pull_request]\njobs: {}\n")).triggers == {
        "push": {},
        "pull_request": {},
    }


def test_every_repository_workflow_parses_with_triggers_and_jobs() -> None:
    workflows = load_all(ROOT)
    assert len(workflows) >= 10
    for wf in workflows.values():
        assert wf.triggers, wf.name
        assert wf.jobs, wf.name


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        (["pipelines/common/**"], "pipelines/common/ml_common/store.py", True),
        (["pipelines/common/**"], "pipelines/commons/x.py", False),
        (["lambdas/*"], "lambdas/auth/handler.py", False),
        (["lambdas/**"], "lambdas/auth/handler.py", True),
        (["topology.yaml"], "topology.yaml", True),
        (["**.md", "!docs/**"], "docs/a.md", False),
        (["release/*"], "release/1.0", True),
        (["develop"], "develop-2", False),
    ],
)
def test_github_filter_globs(patterns: list[str], path: str, expected: bool) -> None:
    assert matches(patterns, path) is expected


def test_expressions_follow_github_semantics() -> None:
    ctx = {
        "github": {
            "event_name": "push",
            "ref": "refs/heads/develop",
            "event": {"pull_request": {"labels": [{"name": "deploy:preprod"}]}},
        },
        "needs": {"a": {"result": "success"}, "b": {"result": "failure"}},
    }
    assert evaluate("github.event_name == 'PUSH'", ctx) is True  # case-insensitive strings
    assert (
        evaluate("contains(github.event.pull_request.labels.*.name, 'deploy:preprod')", ctx) is True
    )
    assert evaluate("github.missing || 'fallback'", ctx) == "fallback"
    assert evaluate("contains(needs.*.result, 'failure')", ctx) is True
    assert render("x-${{ github.ref }}", ctx) == "x-refs/heads/develop"
    assert (
        condition("github.event_name == 'push'", ctx, {"success": False}) is False
    )  # implicit success()
    assert condition("always() && github.event_name == 'push'", ctx, {"success": False}) is True
    with pytest.raises(ExpressionError, match="hashFiles"):
        evaluate("hashFiles('x')", ctx)
    with pytest.raises(ExpressionError, match="unknown context"):
        evaluate("nosuch.thing", ctx)


def test_simulator_follows_filters_needs_reusable_calls_and_environments(tmp_path: Path) -> None:
    write(
        tmp_path,
        "called.yml",
        """
on:
  workflow_call:
    inputs:
      environment: {type: string, required: true}
jobs:
  deploy:
    environment: ${{ inputs.environment }}
    steps:
      - env: {S: deploy_it}
        run: nox -s "$S"
""",
    )
    write(
        tmp_path,
        "caller.yml",
        """
on:
  push:
    branches: [develop]
    paths: [app/**]
jobs:
  first:
    steps: [{run: nox -s build}]
  second:
    needs: first
    if: github.ref == 'refs/heads/develop'
    uses: ./.github/workflows/called.yml
    with:
      environment: preprod
  never:
    if: github.event_name == 'pull_request'
    steps: [{run: nox -s nope}]
""",
    )
    sim = simulate(tmp_path, Event("push", "develop", ("app/x.py",)))
    assert [(r.job, r.environment, r.sessions) for r in sim.runs] == [
        ("first", None, ("build",)),
        ("second / deploy", "preprod", ("deploy_it",)),
    ]
    assert simulate(tmp_path, Event("push", "develop", ("docs/x.md",))).runs == []
    assert simulate(tmp_path, Event("push", "master", ("app/x.py",))).runs == []


def test_simulator_refuses_what_it_does_not_model(tmp_path: Path) -> None:
    write(
        tmp_path,
        "remote.yml",
        """
on: push
jobs:
  x:
    uses: someone/else/.github/workflows/x.yml@0123456789012345678901234567890123456789
""",
    )
    with pytest.raises(SimulationError, match="not local"):
        simulate(tmp_path, Event("push", "develop", ("a",)))
