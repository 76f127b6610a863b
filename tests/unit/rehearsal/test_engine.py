"""The rehearsal fails at the step that is broken and names it (atelier_devtools.rehearsal.engine),
and its report says so offline. The steps are the real flow read from the workflows; the
broken steps run their real runner (the release gate's, the image's), the others stand in."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from atelier.validation.offline import external_urls
from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.rehearsal import engine, flow, report, runners


def _flow(
    ctx: runners.Context, real: set[str]
) -> list[tuple[flow.Step | None, str, Callable[[], str]]]:
    """The workflows' steps; only the sessions in ``real`` run their runner."""
    out: list[tuple[flow.Step | None, str, Callable[[], str]]] = []
    for step in flow.plan(REPO_ROOT):
        runner = runners.RUNNERS[step.session] if step.session in real else None
        out.append((step, step.name, partial(runner, ctx, step) if runner else (lambda: "ok")))
    return out


def _verdict(ctx: runners.Context, decision: str) -> None:
    folder = ctx.work / "evaluation-verdicts" / "v1"
    folder.mkdir(parents=True)
    doc = {"candidate": "v1", "model": "structured_data", "decision": decision, "reasons": ["r"]}
    (folder / "verdict.json").write_text(json.dumps(doc))


@pytest.fixture
def ctx(tmp_path: Path) -> runners.Context:
    return runners.Context(REPO_ROOT, tmp_path, "http://127.0.0.1:9", "a" * 40)


def test_a_blocking_verdict_fails_the_rehearsal_at_the_release_gate(
    ctx: runners.Context, tmp_path: Path
) -> None:
    _verdict(ctx, "block")
    with pytest.raises(engine.RehearsalFailed) as failed:
        engine.run(_flow(ctx, {"release_gate"}), runners.NOT_REPLAYED)
    outcome = failed.value.outcome
    assert outcome.name == "prod · release_gate" and outcome.status == "failed"
    assert "atelier.cicd.gate" in outcome.detail and "block" in outcome.detail, outcome.detail
    assert "prod · release_gate" in str(failed.value) and "deploy-prod.yml" in str(failed.value)
    after = failed.value.outcomes[failed.value.outcomes.index(outcome) + 1 :]
    assert after and {o.status for o in after} == {engine.NOT_RUN}  # nothing reaches prod
    before = failed.value.outcomes[: failed.value.outcomes.index(outcome)]
    assert {o.status for o in before} == {engine.PASSED, engine.NOT_REPLAYED}

    data = report.summary(failed.value.outcomes, ctx.accounts, ctx.state, {"commit": ctx.commit})
    page = report.write(tmp_path / "report", data, failed.value.outcomes)
    saved = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert saved["ok"] is False and saved["failed_step"] == "prod · release_gate"
    assert saved["accounts"] == {"qa": "111111111111", "preprod": "222222222222",
                                 "prod": "333333333333"}  # fmt: skip
    assert {s["status"] for s in saved["steps"]} >= {"failed", "not run", "not replayed"}
    html = page.read_text()
    assert "FAILED at prod · release_gate" in html and "<svg" in html
    assert external_urls(html) == []


def test_a_promote_verdict_passes_the_gate(ctx: runners.Context) -> None:
    _verdict(ctx, "promote")
    outcomes = engine.run(_flow(ctx, {"release_gate"}), runners.NOT_REPLAYED)
    gate = next(o for o in outcomes if o.session == "release_gate")
    assert gate.status == "passed" and ctx.state["environment"] == "prod"


def test_a_bad_image_reference_fails_at_the_image_step_naming_it(tmp_path: Path) -> None:
    """A commit that is no valid image tag: the image build check refuses it before any push."""
    ctx = runners.Context(REPO_ROOT, tmp_path, "http://127.0.0.1:9", "not a tag!")
    with pytest.raises(engine.RehearsalFailed) as failed:
        engine.run(_flow(ctx, {"image"}), runners.NOT_REPLAYED)
    outcome = failed.value.outcome
    assert outcome.name.startswith("qa · image ") and "invalid image tag" in outcome.detail, (
        outcome.detail
    )
