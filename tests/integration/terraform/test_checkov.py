"""checkov finds 0 failed checks in terraform/, every skip carries its reason in place, and
the frontend bucket it skips checks on is opened by the local root only."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
TF = ROOT / "terraform"
MODULES = TF / "modules"
TF_FILES = sorted(TF.rglob("*.tf"))


def _checkov() -> str | None:
    return os.environ.get("ATELIER_CHECKOV") or shutil.which("checkov")


def run_checkov(directory: Path) -> dict[str, Any]:
    binary = _checkov()
    if binary is None:
        pytest.skip("checkov not found: set ATELIER_CHECKOV to its path (nox installs it in a "
                    "separate virtualenv because it pins another botocore)")  # fmt: skip
    run = subprocess.run(
        [binary, "-d", str(directory), "--framework", "terraform", "--quiet", "--compact",
         "--skip-download", "-o", "json"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_EXPERIMENTAL_TERRAFORM_MANAGED_MODULES": "False"},
    )  # fmt: skip
    assert run.stdout.strip(), f"checkov printed nothing: {run.stderr[-2000:]}"
    report = json.loads(run.stdout)
    reports = report if isinstance(report, list) else [report]
    merged: dict[str, Any] = {"failed": [], "skipped": [], "passed": 0}
    for rep in reports:
        results = rep.get("results", {})
        merged["failed"] += results.get("failed_checks", [])
        merged["skipped"] += results.get("skipped_checks", [])
        merged["passed"] += rep.get("summary", {}).get("passed", 0)
    return merged


def test_checkov_finds_no_failed_check() -> None:
    report = run_checkov(TF)
    failed = [f"{f['check_id']} {f['resource']} ({f['file_path']}): {f['check_name']}"
              for f in report["failed"]]  # fmt: skip
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert report["passed"] > 100, "checkov passed almost nothing: is it scanning terraform/?"


def test_every_checkov_skip_is_justified_in_place() -> None:
    skip = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    found = 0
    for path in TF_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = skip.search(line)
            if match:
                found += 1
                reason = (match.group(2) or "").strip()
                assert len(reason) >= 20, (
                    f"{path}:{number}: skip of {match.group(1)} lacks a reason"
                )
    assert found, "no skips at all: this test would prove nothing"


def test_checkov_catches_an_unencrypted_public_bucket(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "leaky" {\n  bucket = "atelier-qa-leaky"\n}\n'
        'resource "aws_s3_bucket_public_access_block" "leaky" {\n'
        "  bucket            = aws_s3_bucket.leaky.id\n  block_public_acls = false\n}\n"
    )
    report = run_checkov(tmp_path)
    assert "CKV_AWS_53" in {f["check_id"] for f in report["failed"]}  # public ACLs not blocked


def test_only_the_local_root_opens_the_frontend_bucket() -> None:
    """The frontend bucket's public-access settings and its public read policy follow
    ``enable_cdn`` (checkov skips CKV_AWS_54/56/70 and CKV2_AWS_6 on that ground): no AWS root
    may turn it off, and the module's default keeps it on."""
    setting = re.compile(r"^\s*enable_cdn\s*=\s*(\S+)", re.MULTILINE)
    for env in ("qa", "preprod", "prod"):
        for path in (TF / "envs" / env).glob("*.tf*"):
            assert all(v == "true" for v in setting.findall(path.read_text())), path
    local = setting.findall((TF / "envs" / "local" / "main.tf").read_text())
    assert local == ["false"], "the local root serves the bucket as the website (no CloudFront)"
    variables = (TF / "modules" / "frontend" / "variables.tf").read_text()
    block = variables[variables.index('variable "enable_cdn"') :]
    assert re.search(r"default\s*=\s*true", block.split("}")[0]), "enable_cdn must default to true"
