from __future__ import annotations

import sys
from pathlib import Path

import pytest

from atelier.config import Settings
from atelier.emulator.ecs.executor import StartError
from atelier.emulator.ecs.gpu import GpuInfo
from atelier.emulator.ecs.taskspec import build_task
from atelier_devtools.paths import REPO_ROOT

NO_GPU = GpuInfo(False, "", "none")


@pytest.fixture(autouse=True)
def images(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_IMAGES_DIRS", str(REPO_ROOT / "tests" / "fixtures" / "images"))


def task(overrides: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {
        "taskArn": "arn:aws:ecs:us-east-1:000000000000:task/c/abc",
        "overrides": {"containerOverrides": overrides or []},
    }


def td(**container: object) -> dict[str, object]:
    return {"containerDefinitions": [{"name": "main", "image": "atelier/exiter", **container}]}


def test_env_precedence_and_injected_variables(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, port=4999)
    built = build_task(
        task([{"name": "main", "environment": [{"name": "EXIT_CODE", "value": "9"}]}]),
        td(
            environment=[{"name": "EXIT_CODE", "value": "5"}, {"name": "X", "value": "y"}],
            stopTimeout=7,
        ),
        settings,
        "127.0.3.4",
        NO_GPU,
    )
    env = built.spec.env
    assert env["EXIT_CODE"] == "9" and env["X"] == "y" and env["GREETING"] == "hello from the image"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4999"
    assert env["HOST"] == "127.0.3.4" and env["AWS_ACCESS_KEY_ID"] == "test"
    assert "ATELIER_DEVICE" not in env
    assert built.spec.argv == [
        sys.executable,
        str(REPO_ROOT / "tests/fixtures/images/exiter/app.py"),
    ]
    assert built.spec.stop_timeout == 7


def test_gpu_request_without_gpu_falls_back_to_cpu(tmp_path: Path) -> None:
    built = build_task(
        task(),
        td(resourceRequirements=[{"type": "GPU", "value": "1"}]),
        Settings(home=tmp_path),
        "127.0.1.2",
        NO_GPU,
    )
    assert built.device == "cpu" and built.gpu_fallback
    assert built.spec.env["ATELIER_DEVICE"] == "cpu"
    with_gpu = build_task(
        task(),
        td(resourceRequirements=[{"type": "GPU", "value": "1"}]),
        Settings(home=tmp_path),
        "127.0.1.2",
        GpuInfo(True, "A10G", "forced"),
    )
    assert with_gpu.device == "cuda" and not with_gpu.gpu_fallback and with_gpu.spec.gpu


def test_unknown_image_is_cannot_pull(tmp_path: Path) -> None:
    with pytest.raises(StartError, match=r"^CannotPullContainerError"):
        build_task(
            task(),
            {"containerDefinitions": [{"name": "m", "image": "atelier/none"}]},
            Settings(home=tmp_path),
            "127.0.1.2",
            NO_GPU,
        )


def test_a_task_in_another_account_acts_in_that_account(tmp_path: Path) -> None:
    other = {"taskArn": "arn:aws:ecs:us-east-1:222233334444:task/c/abc", "overrides": {}}
    built = build_task(other, td(), Settings(home=tmp_path, port=4999), "127.0.3.4", NO_GPU)
    assert built.spec.env["AWS_ACCESS_KEY_ID"] == "222233334444"


def test_a_task_calls_the_region_it_runs_in(tmp_path: Path) -> None:
    """ECS sets AWS_REGION to the task's region: a service in eu-west-3 reads its secret there."""
    paris = {"taskArn": "arn:aws:ecs:eu-west-3:222233334444:task/c/abc", "overrides": {}}
    built = build_task(paris, td(), Settings(home=tmp_path, port=4999), "127.0.3.4", NO_GPU)
    assert (built.spec.env["AWS_REGION"], built.spec.env["AWS_DEFAULT_REGION"]) == (
        "eu-west-3", "eu-west-3")  # fmt: skip
    here = build_task(task(), td(), Settings(home=tmp_path, port=4999), "127.0.3.4", NO_GPU)
    assert here.spec.env["AWS_REGION"] == "us-east-1"
