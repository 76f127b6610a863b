"""The rehearsal's steps are the workflows' steps (atelier_devtools.rehearsal.flow): read from
.github/workflows through the simulator, checked against the rehearsal's runners and the
noxfile, so a step added to, removed from or reordered in a workflow cannot drift silently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atelier.cicd.simulate import simulate
from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.rehearsal import flow, runners


def _sync(root: Path, runner_names: set[str] | None = None) -> list[str]:
    steps = flow.plan(root)
    names = set(runners.RUNNERS) if runner_names is None else runner_names
    return flow.check_sync(steps, names, runners.NOT_REPLAYED, flow.nox_sessions(root))


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The workflows and the noxfile, to break on purpose."""
    shutil.copytree(REPO_ROOT / ".github", tmp_path / ".github")
    shutil.copy2(REPO_ROOT / "noxfile.py", tmp_path / "noxfile.py")
    shutil.copytree(REPO_ROOT / "noxfiles", tmp_path / "noxfiles")
    return tmp_path


def test_the_rehearsal_and_the_workflows_agree() -> None:
    assert _sync(REPO_ROOT) == []


def test_every_phase_deploys_its_account_with_the_workflows_sessions() -> None:
    steps = flow.plan(REPO_ROOT)
    by_phase = {p.name: [s.session for s in steps if s.phase == p.name] for p in flow.PHASES}
    for phase in ("qa", "preprod", "prod"):
        for session in ("image", "deploy_image", "package_lambdas", "publish_lambdas",
                        "terraform_plan", "terraform_apply", "publish_frontend"):  # fmt: skip
            assert session in by_phase[phase], (phase, session)
    assert by_phase["preprod"][-2:] == ["train_candidates", "preprod_evaluation"]
    assert by_phase["prod"][0] == "release_gate" and by_phase["prod"][-1] == "promote_models"
    assert by_phase["prod"].count("release_gate") == 1  # one gate, however many workflows ask
    # images and bundles before the plan that reads their tags and manifest
    qa = by_phase["qa"]
    assert max(qa.index("image"), qa.index("publish_lambdas")) < qa.index("terraform_plan")


def test_each_job_runs_its_steps_in_the_workflows_order() -> None:
    """For every job of the flow, the rehearsal's sessions are the job's own, in its order."""
    steps = flow.plan(REPO_ROOT)
    for phase in flow.PHASES:
        for run in simulate(REPO_ROOT, phase.event).runs:
            mine = [s.session for s in steps if (s.phase, s.workflow, s.job)
                    == (phase.name, run.workflow, run.job)]  # fmt: skip
            if run.sessions and mine:  # (a job whose steps all ran elsewhere is deduplicated)
                assert tuple(mine) == run.sessions, (run.workflow, run.job)


def test_a_step_added_to_a_workflow_fails_the_sync_naming_it(repo_copy: Path) -> None:
    path = repo_copy / ".github" / "workflows" / "reusable-terraform.yml"
    text = path.read_text()
    anchor = "      - name: nox -s terraform_apply\n"
    path.write_text(text.replace(anchor, "      - name: nox -s smoke_test\n"
                                         "        run: nox -s smoke_test\n" + anchor))  # fmt: skip
    problems = _sync(repo_copy)
    assert any("nox -s smoke_test (deploy-preprod.yml, terraform.yml)" in p
               and "cannot replay" in p for p in problems), problems  # fmt: skip
    assert any("noxfile.py does not define" in p and "smoke_test" in p for p in problems)


def test_a_reordered_workflow_reorders_the_rehearsal(repo_copy: Path) -> None:
    path = repo_copy / ".github" / "workflows" / "reusable-frontend.yml"
    text = path.read_text()
    build = text[
        text.index("      - name: nox -s build_frontend") : text.index(
            "      - name: AWS credentials"
        )
    ]
    path.write_text(text.replace(build, "").replace("      - name: nox -s publish_frontend",
                                                    build + "      - name: nox -s publish_frontend"))  # fmt: skip
    qa = [s.session for s in flow.plan(repo_copy) if s.phase == "qa"]
    assert qa.index("build_frontend") == qa.index("publish_frontend") - 1
    assert _sync(repo_copy) == []


def test_a_session_without_a_runner_or_a_stale_runner_is_named() -> None:
    problems = _sync(REPO_ROOT, set(runners.RUNNERS) - {"deploy_image"})
    assert problems and "nox -s deploy_image" in problems[0], problems
    stale = _sync(REPO_ROOT, set(runners.RUNNERS) | {"publish_docs"})
    assert stale == [
        "the rehearsal replays nox -s publish_docs, which no workflow of the flow runs"
    ]


def test_a_step_removed_from_a_workflow_leaves_the_rehearsal(repo_copy: Path) -> None:
    path = repo_copy / ".github" / "workflows" / "reusable-image.yml"
    text = path.read_text()
    start = text.index("      - name: nox -s deploy_image")
    path.write_text(text[:start])
    steps = flow.plan(repo_copy)
    assert "deploy_image" not in {s.session for s in steps}
    assert "the rehearsal replays nox -s deploy_image, which no workflow of the flow runs" in (
        _sync(repo_copy)
    )
