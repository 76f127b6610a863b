"""``pip install atelier`` (a wheel, not the editable install): the command works from any
checkout, because the checkout is found from the working directory, not from where the package
is installed. Offline: the wheel is built without isolation and installed without its
dependencies, which come from this environment's site-packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from atelier_devtools.paths import REPO_ROOT

pytestmark = pytest.mark.slow  # builds a wheel and a virtualenv (~10-20 s)


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ATELIER_REPO_ROOT", "ATELIER_HOME")}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the atelier wheel; the dependencies are this environment's."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, src / name)
    shutil.copytree(
        REPO_ROOT / "platform", src / "platform", ignore=shutil.ignore_patterns("__pycache__")
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = _run(*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                 "-w", work / "dist", src)  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("atelier-*.whl")
    made = _run(sys.executable, "-m", "venv", "--without-pip", work / "venv")
    assert made.returncode == 0, made.stderr
    python = work / "venv" / "bin" / "python"
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    # a plain path line: the editable installs' own .pth files there are not processed
    Path(purelib.stdout.strip(), "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run(*pip, "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    assert installed.returncode == 0, installed.stderr
    return work / "venv"


def test_the_wheel_is_what_runs(venv: Path) -> None:
    where = _run(venv / "bin" / "python", "-c", "import atelier; print(atelier.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr


def test_a_command_runs_from_inside_a_checkout(venv: Path) -> None:
    """From a subdirectory of the checkout: topology.yaml, terraform/ and the price table (in
    the wheel) are all found."""
    proc = _run(venv / "bin" / "atelier", "cost", "--env", "qa", cwd=REPO_ROOT / "docs")
    assert proc.returncode == 0, proc.stderr
    assert "USD" in proc.stdout


def test_outside_a_checkout_the_command_says_so(venv: Path, tmp_path: Path) -> None:
    proc = _run(venv / "bin" / "atelier", "emulator", "status", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"Error: no Atelier checkout at or above {tmp_path.resolve()} (no topology.yaml): run "
        "from the repository or set ATELIER_REPO_ROOT"
    ]
