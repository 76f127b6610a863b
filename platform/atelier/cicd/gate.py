"""The release gate: route a production deployment by the preprod evaluation verdicts.

``atelier evaluate ... --env preprod`` writes ``reports/evaluation/<version>/verdict.json``
with a ``decision``: ``promote``, ``manual_review`` or ``block``. Before anything deploys to
prod, CI runs ``nox -s release_gate`` which calls :func:`main`:

- every verdict says ``promote`` → GitHub environment ``prod`` (no reviewer);
- any says ``manual_review``, or there is no verdict at all → ``prod-manual-approval``, an
  environment with required reviewers (a person decides);
- any says ``block`` → the gate fails and nothing reaches prod.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

PROD = "prod"
PROD_MANUAL_APPROVAL = "prod-manual-approval"
ROUTES = {"promote": PROD, "manual_review": PROD_MANUAL_APPROVAL}
DECISIONS = (*ROUTES, "block")
PREPROD_WORKFLOW = "deploy-preprod.yml"
VERDICTS_ARTIFACT = "evaluation-verdicts"


class ReleaseBlocked(RuntimeError):
    """A verdict says block."""


def route(decisions: Iterable[str]) -> str:
    """The GitHub environment a prod deployment must use, given the verdicts' decisions."""
    seen = list(decisions)
    unknown = [d for d in seen if d not in DECISIONS]
    if unknown:
        raise ValueError(f"unknown verdict decision(s) {unknown}; expected one of {DECISIONS}")
    if "block" in seen:
        raise ReleaseBlocked("the preprod evaluation blocked this release")
    if not seen or "manual_review" in seen:
        return PROD_MANUAL_APPROVAL
    return PROD


def load_verdicts(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every ``<version>/verdict.json`` under ``directory``, sorted by path."""
    found = []
    for path in sorted(directory.glob("*/verdict.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or "decision" not in document:
            raise ValueError(f"{path}: not a verdict (no 'decision')")
        found.append((path, document))
    return found


def fetch(directory: Path, repository: str | None = None) -> int | None:
    """Download the verdicts of the latest COMPLETED preprod run on develop, whatever its
    conclusion: a run that blocked fails, and falling back to an older successful run would
    release what was just blocked. No run, or a run without verdicts → no verdict, which routes
    to manual approval. Needs ``gh`` and GH_TOKEN with ``actions: read``. Returns the run id."""
    repo = ["--repo", repository] if repository else []
    listed = subprocess.run(
        [
            "gh",
            "run",
            "list",
            *repo,
            "--workflow",
            PREPROD_WORKFLOW,
            "--branch",
            "develop",
            "--status",
            "completed",
            "--limit",
            "1",
            "--json",
            "databaseId",
            "--jq",
            ".[0].databaseId",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not listed or listed == "null":
        return None
    directory.mkdir(parents=True, exist_ok=True)
    downloaded = subprocess.run(
        [
            "gh",
            "run",
            "download",
            listed,
            *repo,
            "--name",
            VERDICTS_ARTIFACT,
            "--dir",
            str(directory),
        ],
        check=False,
    )
    if downloaded.returncode != 0:
        print(f"run {listed} left no {VERDICTS_ARTIFACT} artifact")
    return int(listed)


def promote_commands(
    verdicts: Sequence[tuple[Path, dict[str, Any]]], environment: str, bucket: str | None
) -> list[list[str]]:
    """``atelier registry promote`` for each evaluated candidate; ``--approved`` only in the
    approval environment, and a manual_review verdict is never promoted from plain ``prod``."""
    if environment not in (PROD, PROD_MANUAL_APPROVAL):
        raise ValueError(f"promotion runs in {PROD} or {PROD_MANUAL_APPROVAL}, not {environment!r}")
    route(d["decision"] for _, d in verdicts)  # re-check: block never promotes
    commands = []
    for path, doc in verdicts:
        if doc["decision"] == "manual_review" and environment != PROD_MANUAL_APPROVAL:
            raise ValueError(f"{path}: manual_review needs the {PROD_MANUAL_APPROVAL} environment")
        command = [
            "atelier",
            "registry",
            "promote",
            str(doc["model"]),
            str(doc["candidate"]),
            "--to",
            "prod",
            "--verdict",
            str(path),
            # The candidate lives in the preprod account's registry: copied across, verified.
            "--from-env",
            "preprod",
        ]
        if environment == PROD_MANUAL_APPROVAL:
            command.append("--approved")
        if bucket:
            command += ["--bucket", bucket]
        commands.append(command)
    return commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="release_gate", description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where the <version>/verdict.json files are")
    parser.add_argument("--fetch", action="store_true", help="download them from the preprod run")
    args = parser.parse_args(argv)
    if args.fetch:
        run_id = fetch(args.directory, os.environ.get("GITHUB_REPOSITORY"))
        print(
            f"verdicts from {PREPROD_WORKFLOW} run {run_id}" if run_id else "no preprod run found"
        )
    verdicts = load_verdicts(args.directory) if args.directory.is_dir() else []
    for path, doc in verdicts:
        print(f"{path}: {doc['decision']} ({doc.get('model')} {doc.get('candidate')})")
        for reason in doc.get("reasons", []):
            print(f"    {reason}")
    try:
        environment = route(d["decision"] for _, d in verdicts)
    except ReleaseBlocked as exc:
        print(f"::error::{exc}: see the reasons above", file=sys.stderr)
        return 1
    if not verdicts:
        print("no verdict found: a person approves this release")
    print(f"release environment: {environment}")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as fh:
            fh.write(f"environment={environment}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
