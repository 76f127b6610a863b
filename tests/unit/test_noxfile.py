"""The README's commands exist: every ``nox -s <name>`` it shows is a session of noxfile.py (or
its noxfiles/ modules), and its quick start installs the nox that CI (``.ci/run``) pins.
``nox -s fresh`` runs those commands in a clean clone; this is the fast check."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from atelier_devtools.paths import REPO_ROOT

NOX_SESSION = re.compile(r"\bnox -s ([a-z0-9_]+)")


def session_names(files: list[Path]) -> set[str]:
    """Functions decorated ``@nox.session(...)`` (their ``name=`` when given)."""
    names = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                call = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(call) != "nox.session":
                    continue
                named = [
                    k.value.value
                    for k in getattr(deco, "keywords", [])
                    if k.arg == "name" and isinstance(k.value, ast.Constant)
                ]
                names.add(str(named[0]) if named else node.name)
    return names


def readme_sessions(text: str) -> set[str]:
    return set(NOX_SESSION.findall(text))


SESSIONS = session_names([REPO_ROOT / "noxfile.py", *sorted((REPO_ROOT / "noxfiles").glob("*.py"))])


def test_every_nox_session_the_readme_names_exists() -> None:
    named = readme_sessions((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert {"tests", "e2e", "fresh"} <= named
    assert named - SESSIONS == set()


def test_the_check_names_a_session_that_does_not_exist() -> None:
    assert readme_sessions("run `nox -s tests` then `nox -s e2e_full`") - SESSIONS == {"e2e_full"}


def test_the_quick_start_installs_the_nox_ci_pins() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    pinned = re.search(r'NOX_VERSION="([\w.]+)"', (REPO_ROOT / ".ci" / "run").read_text())
    assert pinned is not None
    assert f"pip install nox=={pinned.group(1)}" in quick
    assert re.search(r"nox -s e2e\b", quick) and re.search(r"nox -s tests\b", quick)


def test_the_noxfile_is_linted_and_typed_against_the_nox_ci_pins() -> None:
    """``nox -s tests`` lints noxfile.py and noxfiles/ (ruff: LINTED; mypy: its files), and mypy
    reads the types of the very nox .ci/run installs (the lint extra pins it)."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = re.search(r'NOX_VERSION="([\w.]+)"', (REPO_ROOT / ".ci" / "run").read_text())
    assert pinned is not None
    assert f"nox=={pinned.group(1)}" in pyproject["project"]["optional-dependencies"]["lint"]
    assert {"noxfile.py", "noxfiles"} <= set(pyproject["tool"]["mypy"]["files"])
    common = ast.parse((REPO_ROOT / "noxfiles" / "common.py").read_text(encoding="utf-8"))
    (linted,) = [
        ast.literal_eval(node.value)
        for node in common.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "LINTED"
    ]
    assert {"noxfile.py", "noxfiles"} <= set(linted)


def test_only_the_fast_tier_runs_on_every_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """``-m "not slow"`` gets pytest-xdist; the full run keeps one process (its integration tests
    share the session's runtime); an explicit ``-n`` wins."""
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    from noxfiles.testing import _on_every_core

    fast = ["-m", "not slow"]
    assert _on_every_core(fast) == [*fast, "-n", "auto", "--dist", "loadscope"]
    assert _on_every_core(["tests/unit", "tests/integration"]) == [
        "tests/unit",
        "tests/integration",
    ]
    assert _on_every_core([*fast, "-n", "0"]) == [*fast, "-n", "0"]
    assert _on_every_core(["-m", "slow"]) == ["-m", "slow"]
