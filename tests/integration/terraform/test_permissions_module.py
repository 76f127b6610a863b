"""The provider-free permissions module, applied by terraform, grants every role what the
deployer grants (atelier.deploy.policies), statement by statement."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from atelier.topology import expand, load
from atelier_devtools.terraform_tools import needs_terraform, tf, tf_env

ROOT = Path(__file__).resolve().parents[3]
TF = ROOT / "terraform"
MODULES = TF / "modules"


def apply_permissions(tmp: Path, exp: Any, kms_key_arn: str) -> dict[str, dict[str, Any]]:
    """Apply a copy of the provider-free modules/permissions to every role of ``exp``, as
    modules/stack wires it; role key ("lambda:<n>", "pipeline:<n>") -> its policy document."""
    roles = {
        **{f"lambda:{n}": {"log_group": fn.log_group, "in_vpc": fn.in_vpc,
                           "permissions": fn.permissions.model_dump()}
           for n, fn in exp.lambdas.items()},
        **{f"pipeline:{n}": {"log_group": p.log_group, "permissions": p.permissions.model_dump()}
           for n, p in exp.pipelines.items()},
    }  # fmt: skip
    work = tmp / "permissions"
    shutil.copytree(MODULES / "permissions", work)
    variables = {"roles": roles, "region": exp.region, "account_id": exp.account_id,
                 "cluster": exp.cluster, "kms_key_arn": kms_key_arn}  # fmt: skip
    (work / "terraform.tfvars.json").write_text(json.dumps(variables))
    tfenv = tf_env(tmp)
    for args in (["init", "-input=false", "-no-color"],
                 ["apply", "-auto-approve", "-input=false", "-no-color"]):  # fmt: skip
        run = tf(args, work, tfenv)
        assert run.returncode == 0, run.stderr
    out = tf(["output", "-json", "-no-color", "policies"], work, tfenv)
    assert out.returncode == 0, out.stderr
    return {key: json.loads(doc) for key, doc in json.loads(out.stdout).items()}


def _by_sid(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        s["Sid"]: {**s, "Action": sorted(s["Action"]), "Resource": sorted(s["Resource"])}
        for s in doc.get("Statement", [])
    }


@needs_terraform
@pytest.mark.parametrize("env", ["local", "qa"])
def test_the_permissions_module_grants_what_the_deployer_grants(env: str, tmp_path: Path) -> None:
    """Every role's IAM document from modules/permissions equals atelier.deploy.policies' one,
    statement by statement (the environment key's data-key grant included), but for a task
    role's OwnLogs, which the deployer grants on the task's execution role instead."""
    from atelier.deploy.policies import Arns, execution_policies, lambda_policies, task_policies

    exp = expand(load(), env).model_copy(update={"account_id": "123456789012"})
    kms = f"arn:aws:kms:{exp.region}:123456789012:key/test"
    terraform = apply_permissions(tmp_path, exp, kms)
    arns = Arns(exp.region, "123456789012", kms)
    deployer = {
        **{f"lambda:{n}": lambda_policies(exp, fn, arns)["least-privilege"]
           for n, fn in exp.lambdas.items()},
        **{f"pipeline:{n}": task_policies(p, arns).get("least-privilege", {})
           for n, p in exp.pipelines.items()},
    }  # fmt: skip
    assert set(terraform) == set(deployer)
    for key, doc in terraform.items():
        tf_sids = _by_sid(doc)
        if key.startswith("pipeline:"):
            execution = execution_policies(exp.pipelines[key.split(":", 1)[1]], arns)
            assert tf_sids.pop("OwnLogs") == _by_sid(execution["task-execution"])["OwnLogs"]
        assert tf_sids == _by_sid(deployer[key]), key
    # a prefix read of an SSE-KMS bucket needs the data key too (kms:Decrypt through S3)
    assert _by_sid(terraform["lambda:operations"])["DataKey"]["Resource"] == [kms]
    jobs = _by_sid(terraform["lambda:jobs"])
    assert jobs["DescribeOwnTasks"]["Resource"] == [
        f"arn:aws:ecs:{exp.region}:123456789012:task/{exp.cluster}/*"
    ]
    table = f"arn:aws:dynamodb:{exp.region}:123456789012:table/{exp.prefix}jobs"
    assert jobs["TablesWrite"]["Resource"] == [table, f"{table}/index/*"]  # GET /jobs: the index
    assert "RunOwnTasks" not in jobs and "PassTaskRoles" not in jobs
