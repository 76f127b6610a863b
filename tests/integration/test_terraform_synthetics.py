"""The monitoring module's canary, applied by Terraform to the runtime, converges and runs.

A small root around ``terraform/modules/monitoring`` (``enable_canary = true``, as in qa,
preprod and prod) with its own KMS key and artifacts bucket, in its own 12-digit account on the
session runtime: ``terraform apply`` creates and starts the canary (the provider waits for READY
then RUNNING), ``terraform plan -detailed-exitcode`` right after exits 0, and the canary has
run; it is stopped after (no destroy: the test runtime is thrown away). Skips (saying why)
without terraform or the provider mirror, except under ``CI``.
"""

from __future__ import annotations

import time
from pathlib import Path

import boto3
import pytest

from atelier.deploy.bundle import build_dir
from atelier.deploy.terraform import Workspace
from atelier_devtools.runtime import Runtime
from atelier_devtools.terraform_tools import require_terraform

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "444444444444"
MAIN_TF = """
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}

variable "canary_zip" {
  type = string
}

resource "aws_kms_key" "this" {
  description = "synthetics test"
}

resource "aws_s3_bucket" "artifacts" {
  bucket        = "synthetics-tf-artifacts"
  force_destroy = true # the canary writes its run logs there, as on AWS
}

module "monitoring" {
  source             = "MODULE"
  name_prefix        = "syntf-"
  log_group_names    = []
  task_log_groups    = []
  log_retention_days = 7
  alarms             = {}
  alerts_topic       = "syntf-alerts"
  kms_key_arn        = aws_kms_key.this.arn
  enable_canary      = true
  api_url            = "http://127.0.0.1:9"
  canary_zip         = var.canary_zip
  artifacts_bucket   = aws_s3_bucket.artifacts.bucket
  inputs_bucket      = aws_s3_bucket.artifacts.bucket
}

output "canary_name" {
  value = module.monitoring.canary_name
}
"""


def test_the_monitoring_canary_applies_converges_and_runs(runtime: Runtime, tmp_path: Path) -> None:
    require_terraform()
    root = tmp_path / "root"
    root.mkdir()
    module = ROOT / "terraform" / "modules" / "monitoring"
    (root / "main.tf").write_text(MAIN_TF.replace("MODULE", str(module)))
    zip_path = tmp_path / "canary.zip"
    zip_path.write_bytes(build_dir("canary", module / "canary").data)
    ws = Workspace(root=root, endpoint_url=runtime.endpoint_url, state_dir=tmp_path / "state",
                   access_key=ACCOUNT, variables={"canary_zip": str(zip_path)})  # fmt: skip
    ws.init()
    ws.apply()
    code, _ = ws.plan()
    assert code == 0, f"the second plan is not empty: {ws.plan_diff()}"
    name = ws.outputs()["canary_name"]
    syn = boto3.client("synthetics", endpoint_url=runtime.endpoint_url, region_name="us-east-1",
                       aws_access_key_id=ACCOUNT, aws_secret_access_key="test")  # fmt: skip
    assert syn.get_canary(Name=name)["Canary"]["Status"]["State"] == "RUNNING"
    deadline = time.monotonic() + 20
    while not syn.get_canary_runs(Name=name)["CanaryRuns"] and time.monotonic() < deadline:
        time.sleep(0.2)
    runs = syn.get_canary_runs(Name=name)["CanaryRuns"]
    assert runs, "the started canary never ran"
    syn.stop_canary(Name=name)  # the runtime outlives the test: its account stays quiet
