"""ATELIER_EXECUTOR=docker on a real Docker engine: skipped, with the reason, when none answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from atelier.config import Settings
from atelier.emulator.ecs import docker_executor as dx
from atelier.emulator.ecs.gpu import GpuInfo
from atelier.emulator.ecs.taskspec import build_task
from atelier.emulator.launcher import RuntimeStartError
from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.runtime import start_runtime

pytestmark = pytest.mark.integration
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "images"


def _engine_or_skip() -> None:
    try:
        dx.connect()
    except dx.DockerUnavailableError as exc:
        pytest.skip(f"needs a Docker engine: {exc}")


def test_a_task_runs_as_a_container_of_its_dockerfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine_or_skip()
    monkeypatch.setenv("ATELIER_IMAGES_DIRS", str(FIXTURES))
    settings = Settings(home=tmp_path, port=4599)
    task = {"taskArn": "arn:aws:ecs:us-east-1:000000000000:task/c/dockertest", "overrides": {}}
    td = {"containerDefinitions": [{"name": "main", "image": "atelier/exiter",
                                    "environment": [{"name": "EXIT_CODE", "value": "3"}]}]}  # fmt: skip
    spec = build_task(task, td, settings, "127.0.0.1", GpuInfo(False, "", "none")).spec
    executor = dx.DockerExecutor(settings)
    handle = executor.start(spec)
    deadline = time.monotonic() + 600  # the first build pulls python:3.11-slim
    while executor.poll(handle) is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert executor.poll(handle) == 3
    lines = list(executor.logs(handle))
    assert "greeting=hello from the image" in lines
    assert "endpoint=http://127.0.0.1:4599" in lines or any(
        "host.docker.internal" in x for x in lines
    )


def test_runtime_with_the_docker_executor_reports_the_exit_code(tmp_path: Path) -> None:
    _engine_or_skip()
    rt = start_runtime(tmp_path, env={"ATELIER_EXECUTOR": "docker"})
    try:
        ecs = rt.client("ecs")
        ecs.create_cluster(clusterName="docker")
        arn = ecs.register_task_definition(
            family="exiter",
            containerDefinitions=[{"name": "main", "image": "atelier/exiter", "essential": True,
                                   "environment": [{"name": "EXIT_CODE", "value": "3"}]}],
        )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
        task = ecs.run_task(cluster="docker", taskDefinition=arn)["tasks"][0]["taskArn"]
        deadline = time.monotonic() + 600
        while True:
            described = ecs.describe_tasks(cluster="docker", tasks=[task])["tasks"][0]
            if described["lastStatus"] == "STOPPED":
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert described["containers"][0]["exitCode"] == 3
    finally:
        rt.stop()


def test_without_an_engine_the_runtime_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    try:
        dx.connect()
    except dx.DockerUnavailableError:
        pass
    else:
        pytest.skip("a Docker engine answers here")
    with pytest.raises(RuntimeStartError, match="no Docker engine is reachable"):
        start_runtime(tmp_path, env={"ATELIER_EXECUTOR": "docker"}).stop()
