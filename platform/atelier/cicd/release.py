"""The two release steps around the gate, as CI runs them through nox.

``python -m atelier.cicd.release train --stage S [--pipeline P ...] [--code-version C]``
    ``atelier registry train P --env S`` for every trainable pipeline (default: all): each
    candidate trained by the pipeline's own code as an ECS task in that account, as its
    training role.
``python -m atelier.cicd.release evaluate [--bucket B] [--model M ...]``
    ``atelier evaluate --env preprod --candidate candidate`` for every model kind; all models
    are evaluated even when one blocks, then the exit code says whether any failed.
``python -m atelier.cicd.release promote [--fetch] DIR --environment E [--bucket B]``
    ``atelier registry promote ... --to prod`` for every verdict in DIR, with ``--approved``
    only in the prod-manual-approval environment (see :func:`atelier.cicd.gate.promote_commands`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from atelier.cicd import gate


def evaluate_commands(models: Sequence[str], bucket: str | None) -> list[list[str]]:
    commands = []
    for model in models:
        command = [
            "atelier",
            "evaluate",
            "--env",
            "preprod",
            "--model",
            model,
            "--candidate",
            "candidate",
        ]
        if bucket:
            command += ["--bucket", bucket]
        commands.append(command)
    return commands


def train_commands(stage: str, pipelines: Sequence[str], code_version: str) -> list[list[str]]:
    return [
        ["atelier", "registry", "train", p, "--env", stage, "--code-version", code_version]
        for p in pipelines
    ]


def _trainable() -> list[str]:
    from atelier.registry.training import TRAINABLE

    return sorted(TRAINABLE)


def _models() -> list[str]:
    from atelier.evaluation.adapters import KINDS  # the evaluation stack, only when evaluating

    return sorted(KINDS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier.cicd.release")
    sub = parser.add_subparsers(dest="step", required=True)
    ev = sub.add_parser("evaluate")
    ev.add_argument("--bucket", default=None)
    ev.add_argument("--model", action="append", default=[])
    tr = sub.add_parser("train")
    tr.add_argument("--stage", required=True)
    tr.add_argument("--pipeline", action="append", default=[])
    tr.add_argument("--code-version", default=os.environ.get("GITHUB_SHA", "local"))
    pr = sub.add_parser("promote")
    pr.add_argument("directory", type=Path)
    pr.add_argument("--fetch", action="store_true")
    pr.add_argument("--environment", required=True, choices=[gate.PROD, gate.PROD_MANUAL_APPROVAL])
    pr.add_argument("--bucket", default=None)
    args = parser.parse_args(argv)
    if args.step == "train":
        for command in train_commands(args.stage, args.pipeline or _trainable(), args.code_version):
            print("+ " + " ".join(command), flush=True)
            if subprocess.run(command, check=False).returncode != 0:
                print(f"::error::training {command[3]} in {args.stage} failed")
                return 1
        return 0
    if args.step == "evaluate":
        failed = []
        for command in evaluate_commands(args.model or _models(), args.bucket or None):
            print("+ " + " ".join(command), flush=True)
            if subprocess.run(command, check=False).returncode != 0:
                failed.append(command[command.index("--model") + 1])
        if failed:
            print(f"::error::evaluation blocked or failed for {', '.join(failed)}")
        return 1 if failed else 0
    if args.fetch:
        gate.fetch(args.directory, os.environ.get("GITHUB_REPOSITORY"))
    verdicts = gate.load_verdicts(args.directory) if args.directory.is_dir() else []
    if not verdicts:
        print("no verdict: no model to promote")
        return 0
    for command in gate.promote_commands(verdicts, args.environment, args.bucket or None):
        print("+ " + " ".join(command), flush=True)
        subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
