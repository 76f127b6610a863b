"""``nox -s rehearse_terraform``: the qa, preprod and prod roots applied to one runtime as three
AWS accounts, then planned again (each plan must exit 0).

Each root runs as CI runs it, but for the backend: a copy of ``terraform/`` (and
``topology.yaml``) gets a ``backend_override.tf`` with a local backend, nothing else changes.
The provider still assumes ``deploy_role_arn``; the rehearsal first creates that role in each
account, as the bootstrap in docs/deployment.md does (the runtime keys an account by a 12-digit
access key, and an STS session by the role's account). The committed ``terraform.tfvars`` is
passed, then the rehearsal's own account, role, image tag and bundle directory override its
placeholders (which fail on purpose when used as they are). The session's runner (a fresh
runtime, the table, the JSON report) is ``atelier_devtools.rehearse``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from atelier.deploy.terraform import Listener, TerraformFailed, Workspace, planned_changes

STAGES = ("qa", "preprod", "prod")
ACCOUNTS = {"qa": "111111111111", "preprod": "222222222222", "prod": "333333333333"}
DEPLOY_ROLE = "atelier-terraform"
LOCAL_BACKEND = 'terraform {\n  backend "local" {\n    path = "{path}"\n  }\n}\n'


@dataclass
class StageReport:
    stage: str
    account: str
    apply_s: float = 0.0
    plan_s: float = 0.0
    plan_exit: int | None = None
    resources: int = 0
    changes_left: list[str] = field(default_factory=list)
    error: str | None = None
    errors: list[str] = field(default_factory=list)  # every error of the failed command

    @property
    def ok(self) -> bool:
        return self.error is None and self.plan_exit == 0


def stage_copy(repo: Path, work: Path, stage: str) -> Path:
    """terraform/ and topology.yaml copied under ``work``; the stage root with a local backend."""
    if not (work / "terraform").is_dir():
        shutil.copytree(repo / "terraform", work / "terraform",
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "__pycache__"))  # fmt: skip
        shutil.copy2(repo / "topology.yaml", work / "topology.yaml")
    root = work / "terraform" / "envs" / stage
    state = work / "state" / f"{stage}.tfstate"
    (root / "backend_override.tf").write_text(LOCAL_BACKEND.replace("{path}", str(state)))
    return root


def _client(service: str, endpoint: str, account: str, region: str) -> Any:
    """A client of ``account`` on the runtime (its 12-digit id is the access key)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="test",  # noqa: S106 - the runtime's fixed test secret
    )


def bootstrap_account(endpoint: str, account: str, region: str) -> str:
    """The deploy role in ``account`` (trusting the account, allowed everything); its ARN."""
    iam = _client("iam", endpoint, account, region)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}  # fmt: skip
    try:
        arn = iam.get_role(RoleName=DEPLOY_ROLE)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        made = iam.create_role(RoleName=DEPLOY_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        arn = made["Role"]["Arn"]
    admin = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # fmt: skip
    iam.put_role_policy(RoleName=DEPLOY_ROLE, PolicyName="deploy", PolicyDocument=json.dumps(admin))
    return str(arn)


def workspace(root: Path, endpoint: str, stage: str, account: str, role_arn: str,
              bundle_dir: Path, state_dir: Path) -> Workspace:  # fmt: skip
    return Workspace(
        root=root,
        endpoint_url=endpoint,
        state_dir=state_dir,
        access_key=account,
        region="us-east-1",
        var_files=[root / "terraform.tfvars"],
        variables={
            "account_id": account,
            "deploy_role_arn": role_arn,
            "image_tag": "rehearsal",
            "bundle_dir": str(bundle_dir),
        },
    )


def rehearse_stage(
    repo: Path, work: Path, endpoint: str, stage: str, bundle_dir: Path,
    on_event: Listener | None = None, say: Callable[[str], None] = lambda _: None,
) -> StageReport:  # fmt: skip
    account = ACCOUNTS[stage]
    report = StageReport(stage, account)
    t0 = time.monotonic()
    phase = "apply"
    try:
        root = stage_copy(repo, work, stage)
        from atelier.topology import expand, load

        region = expand(load(repo / "topology.yaml"), stage).region
        role = bootstrap_account(endpoint, account, region)
        ws = workspace(root, endpoint, stage, account, role, bundle_dir, work / "tf" / stage)
        ws.init(backend_config={"path": str(work / "state" / f"{stage}.tfstate")})
        say(f"{stage}: terraform apply as account {account}")
        t0 = time.monotonic()
        events = ws.apply(on_event)
        report.apply_s = time.monotonic() - t0
        report.resources = sum(e.get("type") == "apply_complete" for e in events)
        say(f"{stage}: terraform plan")
        phase = "plan"
        t0 = time.monotonic()
        report.plan_exit, plan_events = ws.plan()
        report.plan_s = time.monotonic() - t0
        report.changes_left = planned_changes(plan_events)
    except TerraformFailed as exc:
        setattr(report, f"{phase}_s", time.monotonic() - t0)
        report.error = str(exc)
        report.errors = [e for e in exc.details.split("\n\n") if e.strip()] or [str(exc)]
    return report


def write_report(reports: list[StageReport], out_dir: Path, meta: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"rehearse-{stamp}.json"
    data = {**meta, "stages": [{**asdict(r), "ok": r.ok} for r in reports]}
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def build_bundles(repo: Path, out: Path, cache_dir: Path, deps: bool = True) -> None:
    """The zips every stage reads, third-party layer included unless ``deps`` is False (built
    once, then reused)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "atelier_tf_bundles", repo / "terraform" / "bundles.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out.mkdir(parents=True, exist_ok=True)
    for name, bundle in module.bundles("qa").items():
        (out / name).write_bytes(bundle.data)
    if deps and not (out / "deps-layer.zip").is_file():
        (out / "deps-layer.zip").write_bytes(module.deps_layer(cache_dir).data)
