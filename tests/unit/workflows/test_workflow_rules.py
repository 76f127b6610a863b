"""Each CI/CD rule of atelier.cicd.rules holds for .github/workflows (simulated events).

A failure message starts with ``[rule-id] title:`` and lists what the event started instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.cicd.checks import CHECKS, check
from atelier.cicd.rules import RULES, components, pipelines
from atelier.cicd.simulate import Event, simulate

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_holds(rule_id: str) -> None:
    failures = check(rule_id, ROOT)
    assert not failures, "\n\n".join(failures)


def test_every_rule_has_a_check() -> None:
    assert set(CHECKS) == set(RULES)


def test_every_pipeline_folder_is_a_component_with_its_own_workflow() -> None:
    names = pipelines(ROOT)
    assert {
        "structured_data",
        "non_structured_data_images",
        "non_structured_al_data_images",
    } <= set(names)
    image_workflows = {c.workflow for c in components(ROOT) if c.rule == "image-per-pipeline"}
    assert image_workflows == {f"image-{n}.yml" for n in names}
    for name in names:
        assert (ROOT / ".github" / "workflows" / f"image-{name}.yml").is_file()


def test_a_pr_to_develop_changing_one_pipeline_builds_only_that_image_in_qa() -> None:
    sim = simulate(ROOT, Event("pull_request", "develop", ("pipelines/structured_data/x.py",)))
    images = [r for r in sim.runs if "image" in r.sessions]
    assert [(r.workflow, r.environment, r.inputs["pipeline"]) for r in images] == [
        ("image-structured_data.yml", "qa", "structured_data")
    ], sim.summary()
    assert {"tests", "validate", "e2e", "rehearse", "rehearse_terraform"} <= {
        s for r in sim.runs for s in r.sessions
    }


def test_manual_review_sends_every_prod_job_through_the_approval_environment() -> None:
    sim = simulate(
        ROOT, Event("push", "master", ("terraform/modules/ecs/main.tf",), verdict="manual_review")
    )
    deployed = sim.deployments()
    assert deployed, sim.summary()
    assert {r.environment for r in deployed} == {"prod-manual-approval"}, sim.summary()
    assert any("terraform_apply" in r.sessions for r in deployed)
    assert any("promote_models" in r.sessions for r in deployed)


def test_a_blocked_verdict_deploys_nothing_and_fails_the_gate() -> None:
    sim = simulate(ROOT, Event("push", "master", ("pipelines/common/x.py",), verdict="block"))
    assert sim.deployments() == [], sim.summary()
    assert all(r.result == "failure" for r in sim.running("release_gate")), sim.summary()


def test_a_preprod_label_on_a_merged_pr_dispatches_the_full_preprod_deployment() -> None:
    sim = simulate(
        ROOT,
        Event(
            "pull_request",
            "develop",
            ("docs/x.md",),
            action="closed",
            merged=True,
            labels=("deploy:preprod",),
        ),
    )
    assert "deploy-preprod.yml" in sim.triggered, sim.summary()
    assert {r.environment for r in sim.deployments()} == {"preprod"}
    assert any("preprod_evaluation" in r.sessions for r in sim.deployments())
