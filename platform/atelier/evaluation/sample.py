"""Regenerate the committed sample report, docs/reports/evaluation-sample/.

    python -m atelier.evaluation.sample

Baseline: the structured-data model as the pipeline trains it (C=1.0). Candidate: the same
training code with C=0.05 (over-regularised): slightly worse accuracy, clearly worse log loss
and calibration. The verdict must say why it is not promoted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from atelier.config import find_repo_root
from atelier.evaluation.candidate import EvaluatedModel
from atelier.evaluation.report import evaluate
from atelier.validation.lineage import validation_hashes

OUT = Path("docs") / "reports" / "evaluation-sample"  # in the checkout


def main() -> None:
    from structured_data.features import load_dataset
    from structured_data.train import train

    root = find_repo_root()
    out = root / OUT
    data = load_dataset()
    models = {}
    for role, c in (("baseline", 1.0), ("candidate", 0.05)):
        clf = train(data, {"C": c}).classifier
        models[role] = EvaluatedModel(
            f"sample-{role}-C{c}", clf.predict_proba, list(clf.columns), [0, 1]
        )
    shutil.rmtree(out, ignore_errors=True)
    verdict = evaluate(
        models["baseline"],
        models["candidate"],
        data.X[data.test_mask],
        data.y[data.test_mask],
        out,
        model_name="structured_data",
        env="preprod",
        lineage=validation_hashes(root, "structured_data"),
    )
    print(verdict.decision, verdict.reasons)


if __name__ == "__main__":
    main()
