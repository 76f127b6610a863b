"""Lineage: which validation data each model version is judged on, kept in validation_data/lineage.json.

The team's rule: every new model version comes with updated validation data, and validation
data never changes without a new model version. The manifest pairs, per model, a model version
label with two fingerprints:

- ``training``: the model's training code and parameters (Python files hashed by their syntax
  tree without docstrings, so comments, formatting and docs do not count as a change);
- ``validation``: the validation data, suites and golden cases it is judged on (bytes).

`atelier validate` recomputes both and fails on any difference, saying what to update;
`atelier validate --record-lineage MODEL --model-version V` records a new pairing and refuses
one that breaks the rule (new training without new data, or anything new under an old version).
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "validation_data/lineage.json"

# What each model's training is, and what it is judged on (paths relative to the repository).
MODELS: dict[str, dict[str, list[str]]] = {
    "structured_data": {
        "training": [
            "pipelines/structured_data/structured_data/train.py",
            "pipelines/structured_data/structured_data/model.py",
            "pipelines/structured_data/structured_data/features.py",
        ],
        "validation": [
            "validation_data/data/structured_features.csv",
            "validation_data/suites/structured_features.json",
            "validation_data/golden/structured_data.json",
        ],
    },
    "digits_cnn": {
        "training": [
            "pipelines/non_structured_data_images/non_structured_data_images/train.py",
            "pipelines/common/ml_common/digits_net.py",
        ],
        "validation": [
            "validation_data/data/digit_images.csv",
            "validation_data/suites/digit_images.json",
            "validation_data/golden/digits_cnn.json",
        ],
    },
    "al_digits_cnn": {
        "training": [
            "pipelines/non_structured_al_data_images/non_structured_al_data_images/train.py",
            "pipelines/non_structured_al_data_images/non_structured_al_data_images/al.py",
            "pipelines/common/ml_common/digits_net.py",
        ],
        "validation": [
            "validation_data/data/al_pools.csv",
            "validation_data/suites/al_pools.json",
            "validation_data/suites/al_pools_in_manifest.json",
        ],
    },
}


class LineageRefused(Exception):
    """A pairing the rule does not allow; the message says what to update."""


def _is_command_line_entry(node: ast.stmt) -> bool:
    """``def main(...)`` and ``if __name__ == "__main__":`` at module level: argument parsing
    that hands over to the training function, which is what the fingerprint covers."""
    if isinstance(node, ast.FunctionDef) and node.name == "main":
        return True
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _code_fingerprint(source: str) -> str:
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not _is_command_line_entry(node)]
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body.pop(0)
    return ast.dump(tree, annotate_fields=False)


def fingerprint(root: Path, files: list[str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        path = root / name
        digest.update(name.encode() + b"\0")
        if not path.exists():
            digest.update(b"<missing>")
            continue
        if path.suffix == ".py":
            digest.update(_code_fingerprint(path.read_text(encoding="utf-8")).encode())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def current(root: Path, model: str) -> dict[str, str]:
    spec = MODELS[model]
    return {
        "training": fingerprint(root, spec["training"]),
        "validation": fingerprint(root, spec["validation"]),
    }


def load(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.exists():
        return {"models": {}}
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


@dataclass
class LineageProblem:
    model: str
    message: str


def check(root: Path) -> list[LineageProblem]:
    """Every model whose committed pairing no longer matches the repository, and why."""
    recorded = load(root).get("models", {})
    problems = []
    for model, spec in MODELS.items():
        entry = recorded.get(model)
        record = f"`atelier validate --record-lineage {model} --model-version <new version>`"
        if entry is None:
            problems.append(LineageProblem(model, f"no lineage recorded: run {record}"))
            continue
        now = current(root, model)
        training_changed = now["training"] != entry["training"]
        data_changed = now["validation"] != entry["validation"]
        if training_changed and not data_changed:
            problems.append(
                LineageProblem(
                    model,
                    f"{model}'s training code or parameters changed ({', '.join(spec['training'])}) "
                    f"but its validation data did not: update {', '.join(spec['validation'])} "
                    f"for the new model version (then run {record})",
                )
            )
        elif data_changed and not training_changed:
            problems.append(
                LineageProblem(
                    model,
                    f"{model}'s validation data changed ({', '.join(spec['validation'])}) without a "
                    f"new model version (still {entry['model_version']}): train and register a new "
                    f"version, then run {record}",
                )
            )
        elif data_changed and training_changed:
            problems.append(
                LineageProblem(
                    model,
                    f"{model}'s training and validation data both changed but the pairing is not "
                    f"recorded (still {entry['model_version']}): run {record}",
                )
            )
    return problems


def record(root: Path, model: str, model_version: str) -> dict[str, str]:
    """Record ``model_version`` of ``model`` with the current fingerprints, if the rule allows."""
    if model not in MODELS:
        raise LineageRefused(f"unknown model {model!r}; known: {sorted(MODELS)}")
    doc = load(root)
    models = doc.setdefault("models", {})
    entry = models.get(model)
    now = current(root, model)
    if entry is not None:
        if now == {"training": entry["training"], "validation": entry["validation"]}:
            if model_version != entry["model_version"]:
                raise LineageRefused(
                    f"{model}: nothing changed since {entry['model_version']}; a new version "
                    "needs new training or new validation data"
                )
            return now
        if model_version == entry["model_version"]:
            raise LineageRefused(
                f"{model}: training or validation data changed: record a new model version, "
                f"not {model_version} again"
            )
        if now["training"] != entry["training"] and now["validation"] == entry["validation"]:
            raise LineageRefused(
                f"{model}: the training changed but the validation data did not: update "
                f"{', '.join(MODELS[model]['validation'])} first"
            )
    models[model] = {"model_version": model_version, **now}
    (root / MANIFEST).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return now


def validation_hashes(root: Path, model: str) -> dict[str, str]:
    """What the registry stores with a version judged by the evaluation: data and suites hashes."""
    spec = MODELS.get(model)
    if spec is None:
        return {}
    data = [f for f in spec["validation"] if f.startswith("validation_data/data/")]
    suites = [f for f in spec["validation"] if not f.startswith("validation_data/data/")]
    entry = load(root).get("models", {}).get(model, {})
    return {
        "validation_data_sha256": fingerprint(root, data),
        "suites_sha256": fingerprint(root, suites),
        "lineage_model_version": str(entry.get("model_version", "")),
    }
