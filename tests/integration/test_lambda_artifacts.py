"""Terraform deploys CI's stored Lambda artifact (atelier.cicd.lambda_artifacts and
terraform/modules/lambda_code), applied by real Terraform to the runtime in its own account:

- the bundle stored content-addressed in the artifacts bucket is what the function runs (its
  CodeSha256 is the manifest's hash), and a second plan with the same manifest is empty;
- a changed bundle, stored again, shows in the plan as an update of that function;
- without a manifest the same module hands the local zip and its hash (the local engine's path;
  the module is provider-free, applied offline here);
- a manifest whose object is missing or was overwritten fails before Terraform, naming it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

import boto3
import pytest

from atelier.cicd import lambda_artifacts as la
from atelier.deploy.terraform import Workspace, planned_changes
from atelier_devtools.runtime import Runtime
from atelier_devtools.terraform_tools import require_terraform

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "545454545454"
BUCKET = "lac-545454545454-artifacts"
MAIN_TF = """
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}

variable "bundle_dir" {
  type    = string
  default = ""
}

variable "lambda_artifacts" {
  type = object({
    bucket  = string
    objects = map(object({ key = string, sha256 = string }))
  })
  default = null
}

resource "aws_iam_role" "fn" {
  name = "lac-fn"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
    Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
}

module "code" {
  source     = "MODULE"
  name       = "hello"
  bundle_dir = var.bundle_dir
  artifacts  = var.lambda_artifacts
}

resource "aws_lambda_function" "hello" {
  function_name    = "lac-hello"
  role             = aws_iam_role.fn.arn
  handler          = "index.handler"
  runtime          = "python3.11"
  filename         = module.code.filename
  s3_bucket        = module.code.s3_bucket
  s3_key           = module.code.s3_key
  source_code_hash = module.code.source_code_hash
}
"""


def _bundle(directory: Path, answer: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("index.py", date_time=(1980, 1, 1, 0, 0, 0))
        zf.writestr(info, f"def handler(event, context):\n    return {answer!r}\n")
    path = directory / "hello.zip"
    path.write_bytes(buf.getvalue())
    return path


def _tfvars(s3: object, path: Path) -> Path:
    """What ``nox -s terraform_plan`` writes from the stored manifest."""
    path.write_text(json.dumps({"lambda_artifacts": la.stored(s3, BUCKET)}))
    return path


@pytest.fixture(scope="module")
def s3(runtime: Runtime) -> object:
    client = boto3.client("s3", endpoint_url=runtime.endpoint_url, region_name="us-east-1",
                          aws_access_key_id=ACCOUNT, aws_secret_access_key="test")  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    return client


def test_terraform_deploys_the_stored_artifact_and_plans_a_changed_one(
    runtime: Runtime, s3: object, tmp_path: Path
) -> None:
    require_terraform()
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(
        MAIN_TF.replace("MODULE", str(ROOT / "terraform" / "modules" / "lambda_code"))
    )
    first = la.publish(s3, BUCKET, _bundle(tmp_path / "build-1", "v1").parent, commit="c1")
    tfvars = _tfvars(s3, tmp_path / "lambda_artifacts.auto.tfvars.json")
    ws = Workspace(root=root, endpoint_url=runtime.endpoint_url, state_dir=tmp_path / "state",
                   access_key=ACCOUNT, var_files=[tfvars])  # fmt: skip
    ws.init()
    ws.apply()
    code, events = ws.plan()
    assert code == 0, f"the same stored artifact must plan no change: {ws.plan_diff()}"
    lam = boto3.client("lambda", endpoint_url=runtime.endpoint_url, region_name="us-east-1",
                       aws_access_key_id=ACCOUNT, aws_secret_access_key="test")  # fmt: skip
    deployed = lam.get_function(FunctionName="lac-hello")["Configuration"]
    assert deployed["CodeSha256"] == first["hello"]["sha256"]  # the stored bytes, not a rebuild

    second = la.publish(s3, BUCKET, _bundle(tmp_path / "build-2", "v2").parent, commit="c2")
    assert second["hello"]["key"] != first["hello"]["key"]
    _tfvars(s3, tfvars)
    code, events = ws.plan()
    assert code == 2 and planned_changes(events) == ["update aws_lambda_function.hello"], (
        planned_changes(events)
    )


def test_without_a_manifest_the_module_reads_the_local_zip(tmp_path: Path) -> None:
    require_terraform()
    zip_path = _bundle(tmp_path / "dist", "local")
    root = tmp_path / "root"
    root.mkdir()
    module = ROOT / "terraform" / "modules" / "lambda_code"
    (root / "main.tf").write_text(
        f'module "code" {{\n  source = "{module}"\n  name = "hello"\n'
        f'  bundle_dir = "{zip_path.parent}"\n}}\n'
        'output "code" {\n  value = module.code\n}\n'
    )
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        subprocess.run(["terraform", f"-chdir={root}", *args], env=env, check=True,
                       capture_output=True)  # fmt: skip
    out = subprocess.run(["terraform", f"-chdir={root}", "output", "-json", "code"], env=env,
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    code = json.loads(out)
    assert code["filename"] == str(zip_path) and code["s3_key"] is None
    assert code["source_code_hash"] == la.digest(zip_path.read_bytes())[1]


def test_a_missing_or_overwritten_artifact_fails_before_terraform(
    s3: object, tmp_path: Path
) -> None:
    stored = la.publish(s3, BUCKET, _bundle(tmp_path / "b", "v3").parent)
    key = stored["hello"]["key"]
    other = b"not the bundle"
    s3.put_object(Bucket=BUCKET, Key=key, Body=other,  # type: ignore[attr-defined]
                  Metadata={"sha256": la.digest(other)[1]})  # fmt: skip
    with pytest.raises(la.ArtifactError, match=f"bundle hello: s3://{BUCKET}/{key} has hash"):
        la.stored(s3, BUCKET)
    s3.delete_object(Bucket=BUCKET, Key=key)  # type: ignore[attr-defined]
    with pytest.raises(la.ArtifactError, match=f"bundle hello: s3://{BUCKET}/{key} is missing"):
        la.stored(s3, BUCKET)
