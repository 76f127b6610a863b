"""What every session shares: the paths, the lock, how Atelier and its workspace are installed,
the static checks, checkov, the browser and the frontend tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent.parent  # the repository (noxfile.py's directory)

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
LINTED = ("platform", "pipelines", "lambdas", "terraform", "tests", "noxfile.py", "noxfiles")


def _pip(session: nox.Session, *args: str) -> None:
    """``pip install`` under the lock (when it exists; `nox -s lock -- --upgrade` without it)."""
    unlocked = session.name == "lock" and "--upgrade" in session.posargs
    locked = ["-c", str(CONSTRAINTS)] if CONSTRAINTS.exists() and not unlocked else []
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
