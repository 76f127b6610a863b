"""`atelier evaluate`: candidate vs baseline on the target environment's validation sets."""

from __future__ import annotations

import click
from rich.console import Console

from atelier.cli_settings import current_settings
from atelier.evaluation.adapters import KINDS
from atelier.evaluation.report import evaluate as run_evaluation
from atelier.registry.cli import bucket_option, models_bucket
from atelier.registry.registry import record_lineage
from atelier.validation.lineage import validation_hashes
from ml_common import model_store


def _load(bucket: str, model: str, ref: str) -> model_store.LoadedModel:
    """``ref`` is a stage name (candidate, preprod, prod) or a version id."""
    if ref in model_store.STAGES:
        return model_store.load_model(bucket, model, stage=ref)
    return model_store.load_model(bucket, model, version=ref)


@click.command()
@click.option("--candidate", required=True, help="Candidate version (or stage name).")
@click.option("--baseline", default="prod", show_default=True, help="Baseline version or stage.")
@click.option(
    "--env",
    "env",
    default="preprod",
    show_default=True,
    help="Environment whose registry holds the models (its endpoint comes from configuration).",
)
@click.option(
    "--model",
    "model",
    type=click.Choice(sorted(KINDS)),
    default="structured_data",
    show_default=True,
)
@bucket_option
def evaluate(candidate: str, baseline: str, env: str, model: str, bucket: str | None) -> None:
    """Write reports/evaluation/<version>/index.html and verdict.json; exit 1 on 'block'."""
    from atelier.registry.cli import _use_endpoint

    _use_endpoint()
    settings = current_settings()
    console = Console()
    kind = KINDS[model]
    where = models_bucket(bucket)
    with console.status(f"loading {model} {candidate} and {baseline} from s3://{where}…"):
        cand, base = (
            kind.load(_load(where, model, candidate)),
            kind.load(_load(where, model, baseline)),
        )
        x, y = kind.validation_set()
    out = settings.repo_root / "reports" / "evaluation" / cand.version
    lineage = {
        **validation_hashes(settings.repo_root, model),
        "verdict": "",
        "baseline": base.version,
        "env": env,
    }
    with console.status(f"evaluating on {len(y)} validation rows (bootstrap CIs, plots)…"):
        verdict = run_evaluation(base, cand, x, y, out, model_name=model, env=env, lineage=lineage)
    record_lineage(where, model, cand.version, {**lineage, "verdict": verdict.decision})
    colour = {"promote": "green", "block": "red", "manual_review": "yellow"}[verdict.decision]
    console.print(f"[{colour}]{verdict.decision}[/]: " + "; ".join(verdict.reasons))
    console.print(f"report: {out / 'index.html'}")
    if verdict.decision == "block":
        raise SystemExit(1)
