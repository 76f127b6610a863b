"""What each ``nox -s`` session of the workflows does on the runtime, in the step's account.

A runner runs the same entry point its nox session runs (``python -m atelier.cicd...``,
``terraform/bundles.py``, the Terraform root of the stage), with the arguments the workflow
passes, as the stage's account: ``AWS_ENDPOINT_URL`` is the runtime and the access key is the
account's 12-digit id. Where CI uses a tool the laptop lacks, the runner says what stands in:

- ``image``: no Docker engine; ``nox -s image --dry-run`` checks the build (pipeline, tag,
  build arguments) and the push is an ECR ``PutImage`` of a manifest whose digest is the image
  source's hash (the runtime runs images from their source);
- ``terraform_plan`` / ``terraform_apply``: the stage's own root, copied with a local backend
  (:mod:`atelier.deploy.rehearse`), planned then applied in the same workspace;
- ``release_gate`` / ``promote_models``: ``--fetch`` downloads the evaluation-verdicts artifact
  of the preprod run; here that artifact is the directory the preprod evaluation step filled;
- ``publish_frontend``: S3 upload with boto3 in place of ``aws s3 sync``, the CloudFront
  invalidation only where the stage has a distribution.

The PR gate sessions (``tests``, ``validate``, ``e2e``) are not replayed: CI runs them itself
(``.ci/run``); the rehearsal replays the path to the accounts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from atelier.deploy import rehearse
from atelier.deploy.terraform import Workspace, planned_changes
from atelier_devtools.rehearsal.flow import SIMULATED_SHA, Step

#: what the stage roots use that the runtime has no API for, switched off in the rehearsal's
#: copy of the root (a Terraform override file; summary.json lists it)
RUNTIME_OVERRIDES: dict[str, str] = {}  # (none needed now: the runtime has every API used)
RUNTIME_OVERRIDE = (
    'module "stack" {\n' + "".join(f"  {name} = false\n" for name in RUNTIME_OVERRIDES) + "}\n"
)

NOT_REPLAYED = {
    "tests": "the PR gate: CI runs it itself (.ci/run); the rehearsal replays the deployment",
    "validate": "the PR gate: CI runs it itself; the rehearsal replays the deployment",
    "e2e": "the PR gate: CI runs it itself (nox -s e2e); the rehearsal replays the deployment",
    "rehearse": "the PR gate's job that runs this rehearsal: replaying it would recurse",
    "rehearse_terraform": "the PR gate: its own session (the three Terraform roots applied and "
    "planned again); the rehearsal replays the deployment",
}
#: trained and evaluated in the rehearsal: the served model (the CNN models train for minutes)
MODELS = ("structured_data",)
VERDICTS = "reports/evaluation"


class StepFailed(RuntimeError):
    """A step failed; the message says what broke."""


@dataclass
class Context:
    repo: Path
    work: Path
    endpoint: str
    commit: str
    accounts: dict[str, str] = field(default_factory=lambda: dict(rehearse.ACCOUNTS))
    state: dict[str, Any] = field(default_factory=dict)
    say: Callable[[str], None] = lambda _: None

    def region(self, stage: str) -> str:
        from atelier.topology import expand, load

        return expand(load(self.repo / "topology.yaml"), stage).region

    def env(self, stage: str, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATELIER_"))}
        return {
            **keep,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.accounts[stage],
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": self.region(stage),
            "AWS_REGION": self.region(stage),
            "ATELIER_HOME": str(self.work / "home"),
            # the other accounts, as `atelier registry` reads them locally
            **{f"ATELIER_{e.upper()}_ACCESS_KEY_ID": k for e, k in self.accounts.items()},
            **{f"ATELIER_{e.upper()}_SECRET_ACCESS_KEY": "test" for e in self.accounts},
            "ATELIER_PREPROD_MODELS_BUCKET": "atelier-preprod-models",
            "GITHUB_SHA": self.commit,
            # the session's virtualenv first, as nox puts it (the steps call `atelier ...`)
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            **extra,
        }

    def client(self, stage: str, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region(stage),
                            aws_access_key_id=self.accounts[stage],
                            aws_secret_access_key="test")  # fmt: skip

    def github_vars(self, stage: str) -> dict[str, str]:
        """The GitHub environment's variables the workflows read (vars.*)."""
        return {
            "vars.ARTIFACTS_BUCKET": f"atelier-{stage}-artifacts",
            "vars.MODELS_BUCKET": f"atelier-{stage}-models",
            "vars.FRONTEND_BUCKET": f"atelier-{stage}-frontend",
            "vars.CLOUDFRONT_DISTRIBUTION_ID": "",
            "steps.ecr.outputs.registry": "",
        }

    def args(self, step: Step) -> list[str]:
        """The step's arguments with the commit and the stage's variables in place."""
        out = []
        for arg in step.args:
            arg = arg.replace(SIMULATED_SHA, self.commit)
            for name, value in self.github_vars(step.phase).items():
                arg = arg.replace(f"<{name}>", value)
            out.append(arg)
        return out

    def run(
        self,
        step: Step,
        argv: list[str],
        cwd: Path | None = None,
        extra: dict[str, str] | None = None,
    ) -> str:
        """Run ``argv`` as the step's account; its output goes to the step's log."""
        logs = self.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{step.phase}-{step.session}.log"
        with log.open("a") as out:
            out.write(f"+ {' '.join(argv)}\n")
            out.flush()
            done = subprocess.run(argv, cwd=cwd or self.repo, env=self.env(step.phase, **(extra or {})),
                                  stdout=out, stderr=subprocess.STDOUT, check=False)  # fmt: skip
        text = log.read_text(errors="replace")
        if done.returncode != 0:
            tail = [ln for ln in text.splitlines() if ln.strip()][-6:]
            raise StepFailed(f"{' '.join(argv[:4])} exited {done.returncode}: "
                             + " | ".join(tail))  # fmt: skip
        return text

    def workspace(self, stage: str) -> Workspace:
        root = rehearse.stage_copy(self.repo, self.work, stage)
        if RUNTIME_OVERRIDES:
            (root / "runtime_override.tf").write_text(RUNTIME_OVERRIDE)
        role = self.state.setdefault(f"role:{stage}", rehearse.bootstrap_account(
            self.endpoint, self.accounts[stage], self.region(stage)))  # fmt: skip
        ws = Workspace(root=root, endpoint_url=self.endpoint, state_dir=self.work / "tf" / stage,
                       access_key=self.accounts[stage], region=self.region(stage),
                       var_files=[root / "terraform.tfvars"],
                       variables={"account_id": self.accounts[stage], "deploy_role_arn": role,
                                  "image_tag": self.commit})  # fmt: skip
        ws.init(backend_config={"path": str(self.work / "state" / f"{stage}.tfstate")})
        return ws


Runner = Callable[[Context, Step], str]
PYTHON = sys.executable


def _image_digest(repo: Path, pipeline: str) -> str:
    digest = hashlib.sha256()
    for base in (repo / "pipelines" / pipeline, repo / "pipelines" / "common"):
        for path in sorted(
            p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ):
            digest.update(path.relative_to(repo).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def image(ctx: Context, step: Step) -> str:
    args = ctx.args(step)
    pipeline = args[0]
    tag = args[args.index("--tag") + 1]
    ctx.run(step, [PYTHON, "-m", "atelier.cicd.artifacts", "image", *args, "--dry-run"])
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "digest": f"sha256:{_image_digest(ctx.repo, pipeline)}", "size": 0},
                "layers": []}  # fmt: skip
    ecr = ctx.client(step.phase, "ecr")
    ecr.put_image(repositoryName=f"atelier/{pipeline}", imageTag=tag,
                  imageManifest=json.dumps(manifest))  # fmt: skip
    return f"atelier/{pipeline}:{tag[:12]} pushed to {ctx.accounts[step.phase]}'s ECR"


def deploy_image(ctx: Context, step: Step) -> str:
    pipeline, stage, tag = ctx.args(step)
    out = ctx.run(step, [PYTHON, "-m", "atelier.cicd.rollout", pipeline, "--stage", stage,
                         "--tag", tag, "--timeout", "300"])  # fmt: skip
    return out.strip().splitlines()[-1]


def package_lambdas(ctx: Context, step: Step) -> str:
    (stage,) = ctx.args(step)
    out = ctx.work / "build" / stage / "lambdas"
    ctx.run(step, [PYTHON, "terraform/bundles.py", "--env", stage, "--deps", "--out", str(out)])
    return f"{len(list(out.glob('*.zip')))} bundles"


def publish_lambdas(ctx: Context, step: Step) -> str:
    (bucket,) = ctx.args(step)
    built = ctx.work / "build" / step.phase / "lambdas"
    ctx.run(step, [PYTHON, "-m", "atelier.cicd.lambda_artifacts", "publish", bucket, str(built),
                   "--commit", ctx.commit])  # fmt: skip
    return f"stored in s3://{bucket}/lambdas/ with their manifest"


def terraform_plan(ctx: Context, step: Step) -> str:
    stage, tag, bucket = ctx.args(step)
    ws = ctx.workspace(stage)
    ctx.run(step, [PYTHON, "-m", "atelier.cicd.artifacts", "image-tags",
                   "--out", str(ws.root / "image_tags.auto.tfvars.json")])  # fmt: skip
    ctx.run(step, [PYTHON, "-m", "atelier.cicd.lambda_artifacts", "tfvars", bucket,
                   "--out", str(ws.root / "lambda_artifacts.auto.tfvars.json")])  # fmt: skip
    ws.variables["image_tag"] = tag
    code, events = ws.plan()
    return f"{len(planned_changes(events))} changes planned (exit {code})"


def terraform_apply(ctx: Context, step: Step) -> str:
    (stage,) = ctx.args(step)
    ws = ctx.workspace(stage)
    events = ws.apply()
    done = sum(e.get("type") == "apply_complete" for e in events)
    # CI applies its plan and stops; the convergence check is nox -s rehearse_terraform's
    return f"{done} resources applied"


def build_frontend(ctx: Context, step: Step) -> str:
    frontend = ctx.repo / "frontend"
    npm = shutil.which("npm")
    if npm is None:
        raise StepFailed("npm is not on PATH: the frontend cannot be built")
    if not (frontend / "node_modules").is_dir():
        ctx.run(step, [npm, "ci", "--no-audit", "--no-fund"], cwd=frontend)
    ctx.run(step, [npm, "run", "build"], cwd=frontend)
    return "frontend/dist built"


def publish_frontend(ctx: Context, step: Step) -> str:
    stage, bucket, distribution = ctx.args(step)
    build = ctx.work / "frontend" / stage
    if build.exists():
        shutil.rmtree(build)
    shutil.copytree(ctx.repo / "frontend" / "dist", build)
    ws = ctx.workspace(stage)
    # config.json from the stage's Terraform outputs, as the session does (its workspace's env)
    ctx.run(step, [PYTHON, "-m", "atelier.deploy.frontend_config", "terraform", str(ws.root),
                   "--out", str(build)], extra=ws.env())  # fmt: skip
    s3 = ctx.client(stage, "s3")
    files = [p for p in build.rglob("*") if p.is_file()]
    wanted = {p.relative_to(build).as_posix() for p in files}
    for path in files:
        s3.put_object(Bucket=bucket, Key=path.relative_to(build).as_posix(), Body=path.read_bytes())
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            if obj["Key"] not in wanted:  # `aws s3 sync --delete`
                s3.delete_object(Bucket=bucket, Key=obj["Key"])
    where = f", invalidated {distribution}" if distribution else " (no CloudFront here)"
    return f"{len(files)} files with config.json to s3://{bucket}/{where}"


def train_candidates(ctx: Context, step: Step) -> str:
    (stage, *rest) = ctx.args(step)
    picks = [a for m in MODELS for a in ("--pipeline", m)]
    out = ctx.run(step, [PYTHON, "-m", "atelier.cicd.release", "train", "--stage", stage,
                         *rest, *picks, "--code-version", ctx.commit])  # fmt: skip
    version = [ln for ln in out.splitlines() if ln.strip()][-1].strip()
    ctx.state["candidate"] = version
    return f"candidate {version} trained as an ECS task in {stage}"


def preprod_evaluation(ctx: Context, step: Step) -> str:
    args = ctx.args(step)
    picks = [a for m in MODELS for a in ("--model", m)]
    ctx.run(step, [PYTHON, "-m", "atelier.cicd.release", "evaluate", *args, *picks])
    version = ctx.state.get("candidate")
    source = ctx.repo / VERDICTS / str(version)
    if not (source / "verdict.json").is_file():
        raise StepFailed(f"the evaluation wrote no verdict for candidate {version}")
    artifact = ctx.work / "evaluation-verdicts"  # upload-artifact: this run's verdicts only
    shutil.rmtree(artifact, ignore_errors=True)
    shutil.copytree(source, artifact / str(version))
    decision = json.loads((source / "verdict.json").read_text())["decision"]
    return f"verdict for {version}: {decision}"


def _verdicts(ctx: Context, args: list[str]) -> list[str]:
    """``--fetch reports/evaluation`` → the evaluation-verdicts artifact of this rehearsal."""
    return [str(ctx.work / "evaluation-verdicts") if a == VERDICTS else a
            for a in args if a != "--fetch"]  # fmt: skip


def release_gate(ctx: Context, step: Step) -> str:
    out = ctx.run(step, [PYTHON, "-m", "atelier.cicd.gate", *_verdicts(ctx, ctx.args(step))])
    line = next(ln for ln in out.splitlines() if ln.startswith("release environment:"))
    ctx.state["environment"] = line.split(":", 1)[1].strip()
    return line


def promote_models(ctx: Context, step: Step) -> str:
    args = _verdicts(ctx, ctx.args(step))
    if "--environment" in args:  # the environment the gate chose (needs.release-gate.outputs)
        args[args.index("--environment") + 1] = ctx.state.get("environment", "prod")
    ctx.run(step, [PYTHON, "-m", "atelier.cicd.release", "promote", *args])
    from ml_common import model_store

    s3 = ctx.client("prod", "s3")
    version = model_store.resolve_version("atelier-prod-models", MODELS[0], "prod", s3=s3)
    ctx.state["promoted_version"] = version
    return f"{MODELS[0]} {version} promoted to the prod account's registry"


def smoke(ctx: Context, timeout: float = 120.0) -> str:
    """The prod service answers with the promoted version (it follows the prod pointer)."""
    from atelier.topology import expand, load

    svc = expand(load(ctx.repo / "topology.yaml"), "prod").services[MODELS[0]]
    url = f"{ctx.endpoint}/_alb/{svc.alb_name}/version"
    wanted, seen = ctx.state.get("promoted_version"), None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # signed as the prod account: the runtime keeps each account's load balancers apart
        signed = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials(ctx.accounts["prod"], "test"), "elasticloadbalancing",
                  ctx.region("prod")).add_auth(signed)  # fmt: skip
        try:
            request = urllib.request.Request(url, headers=dict(signed.headers.items()))
            with urllib.request.urlopen(request, timeout=5) as resp:
                seen = json.loads(resp.read()).get("model_version")
        except OSError as exc:
            seen = f"no answer ({exc})"
        if seen == wanted:
            ctx.state["prod_serving_version"] = seen
            return f"prod serves {seen}"
        time.sleep(2)
    ctx.state["prod_serving_version"] = seen
    raise StepFailed(f"prod serves {seen}, not the promoted {wanted} ({url})")


#: an account's first apply (docs/deployment.md, bootstrap): what the first images and bundles
#: need before the first full plan can read them
BOOTSTRAP_TARGETS = (
    "module.stack.module.ecs_task.aws_ecr_repository.this",
    "module.stack.module.data.aws_s3_bucket.this",
)


def bootstrap(ctx: Context, stage: str) -> str:
    """The once-per-account bootstrap: the deploy role, the first targeted apply (ECR
    repositories and buckets), and the registry's first production model (the served model
    needs one to start), trained by the pipeline's own code."""
    ws = ctx.workspace(stage)
    ws.apply(targets=BOOTSTRAP_TARGETS)
    seed = (f"from atelier.seed.models import seed_model; "
            f"print(seed_model('atelier-{stage}-models', '{MODELS[0]}'))")  # fmt: skip
    step = Step(stage, "bootstrap", "bootstrap", None, "bootstrap", (), "bootstrap")
    ctx.run(step, [PYTHON, "-c", seed])
    return f"deploy role, ECR repositories and buckets, first {MODELS[0]} model in {stage}"


RUNNERS: dict[str, Runner] = {
    "image": image,
    "deploy_image": deploy_image,
    "package_lambdas": package_lambdas,
    "publish_lambdas": publish_lambdas,
    "terraform_plan": terraform_plan,
    "terraform_apply": terraform_apply,
    "build_frontend": build_frontend,
    "publish_frontend": publish_frontend,
    "train_candidates": train_candidates,
    "preprod_evaluation": preprod_evaluation,
    "release_gate": release_gate,
    "promote_models": promote_models,
}
