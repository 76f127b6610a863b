"""The rehearsal's guards, on the session runtime (the full rehearsal is `nox -s rehearse_terraform`).

- the committed terraform.tfvars placeholders still fail, on purpose, naming the variable;
- a deploy role in another account than the root's `account_id` is refused by the provider
  (`allowed_account_ids`), in one line naming the account;
- the deploy role is created in its own account (the runtime keys accounts by access key and
  resolves an STS session to the role's account);
- after each failure the runtime still answers.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest

from atelier.deploy import rehearse
from atelier.deploy.terraform import TerraformFailed, Workspace, provider_mirror
from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def qa_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = shutil.which("terraform") is None or provider_mirror() is None
    if missing and os.environ.get("CI"):
        pytest.fail("CI has Terraform and the provider mirror, yet one is missing")
    if missing:
        pytest.skip("terraform or the AWS provider mirror is missing")
    return rehearse.stage_copy(REPO_ROOT, tmp_path_factory.mktemp("rehearse"), "qa")


@pytest.fixture(scope="module")
def dist(qa_root: Path) -> Path:
    """Every zip the stage reads, as in the rehearsal, so a plan's only errors are the ones a
    test provokes (without them terraform also reports each missing file, in an order that
    varies with load). The real source bundles; deps-layer.zip as an empty zip: a plan only
    hashes it, and building it means a pip install of the Lambda requirements."""
    out = qa_root / "dist"
    rehearse.build_bundles(REPO_ROOT, out, qa_root / "cache", deps=False)
    with zipfile.ZipFile(out / "deps-layer.zip", "w"):
        pass
    return out


def _answers(rt: Runtime) -> bool:
    with urllib.request.urlopen(f"{rt.endpoint_url}/_localstack/health", timeout=5) as resp:
        return bool(resp.status == 200)


def test_the_deploy_role_lives_in_its_own_account(runtime: Runtime) -> None:
    arn = rehearse.bootstrap_account(runtime.endpoint_url, "111111111111", "us-east-1")
    assert arn == "arn:aws:iam::111111111111:role/atelier-terraform"
    sts = boto3.client("sts", endpoint_url=runtime.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="111111111111", aws_secret_access_key="test")  # fmt: skip
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="rehearsal")["Credentials"]
    who = boto3.client("sts", endpoint_url=runtime.endpoint_url, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"]).get_caller_identity()  # fmt: skip
    assert who["Account"] == "111111111111"
    default = boto3.client("iam", endpoint_url=runtime.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    names = [r["RoleName"] for r in default.list_roles()["Roles"]]
    assert "atelier-terraform" not in names, "the role leaked into the default account"


def test_the_committed_placeholders_fail_on_purpose(
    runtime: Runtime, qa_root: Path, dist: Path
) -> None:
    ws = Workspace(root=qa_root, endpoint_url=runtime.endpoint_url,
                   state_dir=qa_root.parent.parent.parent / "tf-qa",
                   access_key="111111111111", var_files=[qa_root / "terraform.tfvars"],
                   variables={"image_tag": "t", "bundle_dir": str(dist)})  # fmt: skip
    ws.init(backend_config={"path": str(ws.state_dir / "qa.tfstate")})
    with pytest.raises(TerraformFailed) as info:
        ws.plan()
    message = str(info.value)
    assert "\n" not in message
    assert (
        "account_id must be the 12-digit id" in message or "Invalid value for variable" in message
    )
    assert _answers(runtime)


def test_a_role_of_another_account_is_refused_naming_it(
    runtime: Runtime, qa_root: Path, dist: Path
) -> None:
    other = rehearse.bootstrap_account(runtime.endpoint_url, "222222222222", "us-east-1")
    ws = rehearse.workspace(qa_root, runtime.endpoint_url, "qa", "111111111111", other,
                            dist, qa_root.parent.parent.parent / "tf-qa")  # fmt: skip
    ws.access_key = "222222222222"
    ws.init(backend_config={"path": str(ws.state_dir / "qa.tfstate")})
    with pytest.raises(TerraformFailed) as info:
        ws.plan()
    message = str(info.value)
    assert "\n" not in message and "222222222222" in message, message
    errors = info.value.details.split("\n\n")
    assert all("AWS account ID not allowed: 222222222222" in e for e in errors), errors
    assert _answers(runtime)
    json.dumps(message)  # a line fit for the JSON report


def test_the_terraform_engine_fails_in_one_line_and_the_runtime_serves_on(
    runtime: Runtime, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from atelier.deploy.cli import deploy

    env = {"ATELIER_HOME": str(tmp_path), "ATELIER_PORT": str(runtime.port),
           "ATELIER_TF_PLUGIN_DIR": str(tmp_path / "no-mirror")}  # fmt: skip
    result = CliRunner().invoke(deploy, ["--engine", "terraform"], env=env)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: ATELIER_TF_PLUGIN_DIR={tmp_path / 'no-mirror'} holds no "
        "registry.terraform.io/hashicorp/aws provider (expected "
        "<dir>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/)"
    ], result.output
    assert not (tmp_path / "outputs.json").exists()
    assert _answers(runtime)
