"""The one settings object: made where a process starts, the checkout found (not assumed from
where the package is installed), and no code that changes the process environment."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from atelier import config
from atelier.config import RepoNotFoundError, Settings, SettingsError, find_repo_root
from atelier_devtools.paths import REPO_ROOT


@pytest.fixture
def no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATELIER_REPO_ROOT", raising=False)
    monkeypatch.delenv("ATELIER_HOME", raising=False)


def test_the_checkout_is_found_upward_from_the_working_directory(
    tmp_path: Path, no_override: None
) -> None:
    (tmp_path / "topology.yaml").write_text("x: 1\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_repo_root(deep) == tmp_path.resolve()
    settings = Settings(repo_root=find_repo_root(deep))
    assert settings.home == tmp_path.resolve() / ".atelier"


def test_atelier_repo_root_overrides_the_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATELIER_REPO_ROOT", str(tmp_path / "elsewhere"))
    assert find_repo_root(REPO_ROOT) == tmp_path / "elsewhere"
    assert Settings().repo_root == tmp_path / "elsewhere"


def test_no_checkout_is_one_clear_error(tmp_path: Path, no_override: None) -> None:
    with pytest.raises(RepoNotFoundError) as err:
        find_repo_root(tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path.resolve()) in message and "ATELIER_REPO_ROOT" in message


def test_a_command_outside_a_checkout_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ATELIER_REPO_ROOT", "ATELIER_HOME")}
    proc = subprocess.run(
        [sys.executable, "-m", "atelier.cli", "emulator", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"Error: no Atelier checkout at or above {tmp_path.resolve()} (no topology.yaml): run "
        "from the repository or set ATELIER_REPO_ROOT"
    ]


def test_a_command_uses_the_settings_it_is_given(tmp_path: Path) -> None:
    """What the ``atelier`` entry point does: one object, passed down (no cache to clear)."""
    from atelier.monitor.logs_cli import logs

    queries = tmp_path / "terraform" / "modules" / "monitoring" / "queries"
    queries.mkdir(parents=True)
    (queries / "mine.logsinsights").write_text("fields @message\n")
    outcome = CliRunner().invoke(logs, ["query"], obj=Settings(repo_root=tmp_path))
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output == "mine: fields @message\n"


def test_nothing_caches_the_settings() -> None:
    assert not hasattr(config, "get_settings")
    assert not hasattr(config, "REPO_ROOT")


# Writing the process environment from product code: assignment, update/setdefault/pop, putenv.
ENV_WRITE = re.compile(
    r"os\.environ\[[^\]]+\]\s*=(?!=)|os\.environ\.(update|setdefault|pop|clear)\(|os\.putenv\("
    r"|del os\.environ\["
)
# The runtime's own process configures MiniStack, which reads its settings only from there.
ALLOWED = {"platform/atelier/emulator/server.py"}


def env_writes(root: Path) -> list[str]:
    found = []
    for top in ("platform", "lambdas", "pipelines", "terraform"):
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ENV_WRITE.search(line) and rel not in ALLOWED:
                    found.append(f"{rel}:{n}: {line.strip()}")
    return found


def test_no_product_code_changes_the_process_environment() -> None:
    assert env_writes(REPO_ROOT) == []


def test_the_environment_check_names_a_write(tmp_path: Path) -> None:
    bad = tmp_path / "platform" / "atelier" / "registry" / "cli.py"
    bad.parent.mkdir(parents=True)
    bad.write_text('import os\nos.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566"\n')
    (tmp_path / "lambdas").mkdir()
    (tmp_path / "lambdas" / "ok.py").write_text('import os\nx = os.environ["A"] == "b"\n')
    assert env_writes(tmp_path) == [
        'platform/atelier/registry/cli.py:2: os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566"'
    ]


def test_each_field_is_read_from_its_variable_and_overrides_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ATELIER_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("ATELIER_PORT", "4999")
    monkeypatch.setenv("ATELIER_PERSIST", "TRUE")
    monkeypatch.setenv("ATELIER_CLOCK_SPEED", "60")
    monkeypatch.setenv("ATELIER_EXECUTOR", "docker")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    settings = Settings(port=5001)
    assert settings.home == tmp_path / "h" and isinstance(settings.home, Path)
    assert (settings.port, settings.persist, settings.clock_speed) == (5001, True, 60.0)
    assert (settings.executor, settings.region) == ("docker", "eu-west-3")
    assert settings.endpoint_url == "http://127.0.0.1:5001"
    assert dataclasses.replace(settings, persist=False).persist is False


def test_home_follows_the_checkout_given(tmp_path: Path, no_override: None) -> None:
    assert Settings(repo_root=tmp_path).home == tmp_path / ".atelier"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("ATELIER_PORT", "0", "ATELIER_PORT='0' (port): Expected `int` >= 1"),
        ("ATELIER_PORT", "http", "ATELIER_PORT='http' (port): Expected `int`"),
        ("ATELIER_EXECUTOR", "k8s", "ATELIER_EXECUTOR='k8s' (executor): Invalid enum value 'k8s'"),
        ("ATELIER_PERSIST", "maybe", "ATELIER_PERSIST='maybe' (persist): Expected `bool`"),
        ("ATELIER_CLOCK_SPEED", "0", "ATELIER_CLOCK_SPEED='0' (clock_speed): Expected `float` > 0"),
        ("ATELIER_LAMBDA_WARM_MAX", "999", "(lambda_warm_max): Expected `int` <= 256"),
    ],
)
def test_a_wrong_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as err:
        Settings()
    assert says in str(err.value)


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(TypeError, match="unknown settings: prot"):
        Settings(prot=1)  # type: ignore[call-arg]


def test_the_runtime_refuses_a_wrong_setting_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "ATELIER_PORT": "99999", "ATELIER_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "atelier.emulator.server"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 4 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("error: ATELIER_PORT='99999' (port): Expected `int` <= 65535")


def test_a_command_with_a_wrong_setting_says_so_in_one_line() -> None:
    env = {**os.environ, "ATELIER_GPU": "cuda"}
    proc = subprocess.run(
        [sys.executable, "-m", "atelier.cli", "emulator", "status"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "Error: ATELIER_GPU='cuda' (gpu): Invalid enum value 'cuda'"
