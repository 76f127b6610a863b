"""Test, gate, benchmark and upkeep sessions: tests, e2e, validate, gates, bench, soak, lint,
typecheck, lock."""

from __future__ import annotations

import os

import nox

from noxfiles.common import (
    CONSTRAINTS,
    PYTHON,
    ROOT,
    _browser,
    _checkov,
    _frontend_tests,
    _install,
    _install_browser_asked,
    _pip,
    _static_checks,
)


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
    session.run("pytest", *_on_every_core(args), env=env)
    if not session.posargs:
        _frontend_tests(session, install)


def _on_every_core(args: list[str]) -> list[str]:
    """The fast tier (``-m "not slow"``) runs on every core: a pytest-xdist worker per CPU, each
    module on one worker (its module fixtures built once). It starts no runtime; the full run
    stays in one process, its integration tests sharing the session's runtime. ``-n`` given
    (``-n 0``: one process) wins."""
    fast = any("not slow" in arg for arg in args)
    chosen = any(arg.startswith(("-n", "--numprocesses")) for arg in args)
    return [*args, "-n", "auto", "--dist", "loadscope"] if fast and not chosen else args


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
def load(session: nox.Session) -> None:
    """The deployed runtime under locust load (``nox -s bench -- load``, by its own name)."""
    _install(session, "app", "gates", "test", "bench", devtools=True)
    session.run("python", "-m", "atelier_devtools.bench", "load", *session.posargs)


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """Crash safety at length: the runtime SIGKILLed and restarted 100 times during writes."""
    _install(session, "app", "gates", "test", devtools=True)
    session.run(
        "pytest", "tests/integration/test_persist_crash.py", "-q", "-x", *session.posargs,
        env={"CRASH_REPETITIONS": os.environ.get("CRASH_REPETITIONS", "100"),
             "CRASH_PROGRESS": os.environ.get("CRASH_PROGRESS", "reports/soak-progress.txt")},
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
    """Refresh the lock: install everything in a fresh venv, write constraints.txt.

    Run after changing a dependency in any pyproject.toml; commit the new constraints.txt.
    The current pins are kept (a new dependency adds only its own); ``nox -s lock -- --upgrade``
    resolves everything afresh, without the old lock.
    """
    _install(session, "app", "gates", "test", "lint", "bench", devtools=True)
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
