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
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_external_run = True

PYTHON = "3.11"
# torch is pinned: a plain requirement pulls a multi-GB CUDA build.
TORCH = "torch==2.13.0"


def _install(session: nox.Session, *extras: str) -> None:
    """Install Atelier with the given extras (torch first, so pip takes the CPU file)."""
    if "app" in extras:
        session.install(TORCH)
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, integration and offline-proof tests (integration tests start a real runtime)."""
    _install(session, "app", "gates", "test")
    args = session.posargs or ["tests/unit", "tests/integration"]
    session.run("pytest", *args, env={"ATELIER_HOME": str(ROOT / ".atelier" / "test")})


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """The laptop run: runtime, deploy, seed, three pipelines through the API, browser test."""
    _install(session, "app", "gates", "test")
    session.run("python", "-m", "atelier.e2e", *session.posargs)


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """The PR gate: Great Expectations checkpoints and golden-model tests."""
    _install(session, "app", "gates", "test")
    session.run("atelier", "validate", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (not tests): ``nox -s bench -- runtime|deploy|e2e``; writes docs/benchmarks.md."""
    _install(session, "app", "gates", "test")
    session.run("python", "-m", "atelier.bench", *session.posargs)


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
    """tflocal init/apply of terraform/envs/local against the running runtime (needs providers)."""
    session.install("terraform-local")
    env_dir = ROOT / "terraform" / "envs" / "local"
    if not os.environ.get("ATELIER_TF_PROVIDERS_AVAILABLE") and not (env_dir / ".terraform").exists():
        session.skip(
            "Terraform providers cannot be downloaded on this machine; set "
            "ATELIER_TF_PROVIDERS_AVAILABLE=1 where the registry (or a provider mirror) is reachable."
        )
    session.run("tflocal", f"-chdir={env_dir}", "init", external=True)
    session.run("tflocal", f"-chdir={env_dir}", "apply", "-auto-approve", external=True)
