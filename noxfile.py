"""Atelier's one task runner: every entry point is a session here.

nox -s tests      unit + integration tests against a real runtime (the default)
nox -s e2e        the laptop run: start, deploy, seed, run the three pipelines, browser test
nox -s validate   the PR gate: Great Expectations suites and golden-model tests
nox -s gates      the model gate's full mutation matrix (``tests`` runs a subset)
nox -s bench      benchmarks (``nox -s bench -- runtime`` for one group)
nox -s lint       ruff, ruff format --check, mypy --strict (also the first step of tests)
nox -s typecheck  mypy --strict alone
nox -s lock       refresh constraints.txt, the lock every session installs from
nox -s fresh      the README's commands in a clean clone, HOME and pip cache
"""

# ruff: noqa: I001, RUF022 (import order is session order; __all__ follows it)
from __future__ import annotations

import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).resolve().parent))  # nox does not put this directory there

# The helpers, for sessions defined here (a new session may live in this file or in noxfiles/).
from noxfiles.common import (
    CONSTRAINTS,
    DEVTOOLS,
    LINTED,
    PYTHON,
    ROOT,
    WORKSPACE,
    _install,
    _pip,
)

# Import order is `nox -l` order.
from noxfiles.testing import (
    tests,
    e2e,
    validate,
    gates,
    bench,
    load,
    soak,
    lint,
    typecheck,
    lock,
)
from noxfiles.deploy import deploy_terraform_local, rehearse_terraform, rehearse
from noxfiles.cicd import (
    build_frontend,
    deploy_image,
    image,
    lint_workflows,
    package_lambdas,
    preprod_evaluation,
    promote_models,
    publish_frontend,
    publish_lambdas,
    release_gate,
    terraform_apply,
    terraform_plan,
    train_candidates,
)
from noxfiles.fresh import fresh

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_external_run = True

__all__ = [
    "CONSTRAINTS", "DEVTOOLS", "LINTED", "PYTHON", "ROOT", "WORKSPACE", "_install", "_pip",
    "tests", "e2e", "validate", "gates", "bench", "load", "soak", "lint", "typecheck", "lock",
    "deploy_terraform_local", "rehearse_terraform", "rehearse",
    "image", "package_lambdas", "publish_lambdas", "deploy_image", "build_frontend",
    "publish_frontend", "terraform_plan", "terraform_apply", "train_candidates",
    "preprod_evaluation", "release_gate", "promote_models", "lint_workflows", "fresh",
]  # fmt: skip
