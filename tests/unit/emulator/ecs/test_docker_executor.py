"""DockerExecutor against a fake Docker client (no engine needed) and the real SDK's errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from atelier.config import Settings
from atelier.emulator.ecs import docker_executor as dx
from atelier.emulator.ecs.executor import Executor, PortMapping, StartError, TaskSpec
from atelier.emulator.ecs.gpu import GpuInfo
from atelier.emulator.ecs.taskspec import build_task
from atelier_devtools.paths import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "images"


class FakeContainer:
    def __init__(self, chunks: list[bytes], exit_code: int = 0, finishes: bool = True) -> None:
        self.id, self.short_id = "c0ffee" * 10, "c0ffee"
        self.chunks, self.exit_code = chunks, exit_code
        self.exited = threading.Event()
        if finishes:
            self.exited.set()
        self.stopped_with: int | None = None
        self.removed = False

    def logs(self, stream: bool, follow: bool) -> Any:
        yield from self.chunks
        self.exited.wait(10)

    def wait(self) -> dict[str, int]:
        self.exited.wait(10)
        return {"StatusCode": self.exit_code}

    def stop(self, timeout: int) -> None:
        time.sleep(0.3)  # docker stop blocks; the executor must not
        self.stopped_with, self.exit_code = timeout, 143
        self.exited.set()

    def kill(self) -> None:
        self.exit_code = 137
        self.exited.set()

    def remove(self, force: bool) -> None:
        self.removed = True


class FakeClient:
    def __init__(self, container: FakeContainer | None = None, build_error: str = "",
                 run_error: str = "") -> None:  # fmt: skip
        self.container = container or FakeContainer([b"hello\n"])
        self.builds: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []
        self.build_error, self.run_error = build_error, run_error
        self.images, self.containers = self, self

    def ping(self) -> bool:
        return True

    def build(self, **kwargs: Any) -> tuple[Any, list[Any]]:
        self.builds.append(kwargs)
        if self.build_error:
            raise RuntimeError(self.build_error)
        return object(), []

    def run(self, **kwargs: Any) -> FakeContainer:
        self.runs.append(kwargs)
        if self.run_error:
            raise RuntimeError(self.run_error)
        return self.container


@pytest.fixture
def spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> TaskSpec:
    """A real TaskSpec, built by taskspec from the exiter fixture's Dockerfile."""
    monkeypatch.setenv("ATELIER_IMAGES_DIRS", str(FIXTURES))
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/venv")
    settings = Settings(home=tmp_path, port=4599)
    task = {"taskArn": "arn:aws:ecs:us-east-1:000000000000:task/c/abc123", "overrides": {}}
    td = {"containerDefinitions": [{"name": "main", "image": "atelier/exiter",
                                    "environment": [{"name": "EXIT_CODE", "value": "3"}],
                                    "portMappings": [{"containerPort": 8080}]}]}  # fmt: skip
    return build_task(task, td, settings, "127.0.1.9", GpuInfo(False, "", "none")).spec


def _executor(client: FakeClient, network: str = "host") -> dx.DockerExecutor:
    executor = dx.DockerExecutor(Settings(), client=client)
    executor.network = network
    return executor


def _exit(executor: dx.DockerExecutor, handle: dx.DockerHandle) -> int:
    deadline = time.monotonic() + 5
    while (code := executor.poll(handle)) is None:
        assert time.monotonic() < deadline, "the exit never showed"
        time.sleep(0.01)
    return code


def test_no_engine_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(dx.DockerUnavailableError) as info:
        dx.DockerExecutor(Settings())
    message = str(info.value)
    assert "no Docker engine is reachable at unix:///nonexistent/docker.sock" in message
    assert "unset ATELIER_EXECUTOR" in message


def test_it_is_an_executor() -> None:
    assert isinstance(_executor(FakeClient()), Executor)


def test_the_container_runs_the_dockerfile_command_not_the_local_process(spec: TaskSpec) -> None:
    assert spec.argv[1].startswith(str(REPO_ROOT))  # taskspec localized it for a process
    client = FakeClient()
    handle = _executor(client).start(spec)
    [build] = client.builds
    assert build["path"] == str(REPO_ROOT)
    assert build["dockerfile"] == "tests/fixtures/images/exiter/Dockerfile"
    [run] = client.runs
    assert run["image"] == build["tag"] == "atelier-local/exiter:latest"
    assert [*run["entrypoint"], *run["command"]] == ["python", "/app/app.py"]
    assert run["working_dir"] == "/app" and run["network_mode"] == "host"
    env = run["environment"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599" and env["EXIT_CODE"] == "3"
    assert env["HOST"] == "127.0.1.9" and env["AWS_ACCESS_KEY_ID"] == "test"
    assert not {"PATH", "PYTHONPATH", "VIRTUAL_ENV", "HOME"} & set(env)  # the image has its own
    assert _exit(_executor(client), handle) == 0


def test_the_image_is_built_once_per_dockerfile(spec: TaskSpec) -> None:
    client = FakeClient()
    executor = _executor(client)
    executor.start(spec)
    executor.start(spec)
    assert len(client.builds) == 1 and len(client.runs) == 2


def test_bridge_network_reaches_the_host_and_publishes_ports(spec: TaskSpec) -> None:
    client = FakeClient()
    _executor(client, network="bridge").start(spec)
    [run] = client.runs
    assert run["environment"]["AWS_ENDPOINT_URL"] == "http://host.docker.internal:4599"
    assert run["extra_hosts"] == {"host.docker.internal": "host-gateway"}
    assert run["ports"] == {"8080/tcp": ("127.0.1.9", 8080)}
    assert run["environment"]["HOST"] == "0.0.0.0" and "network_mode" not in run


def test_logs_are_whole_lines_in_order_and_in_the_task_log(spec: TaskSpec) -> None:
    container = FakeContainer([b"first li", b"ne\nsecond\nthi", b"rd"], exit_code=3)
    executor = _executor(FakeClient(container))
    handle = executor.start(spec)
    assert _exit(executor, handle) == 3
    assert list(executor.logs(handle)) == ["first line", "second", "third"]
    assert spec.log_path is not None
    assert spec.log_path.read_text().splitlines() == ["first line", "second", "third"]
    assert container.removed


def test_stop_returns_at_once_and_docker_stops_with_the_timeout(spec: TaskSpec) -> None:
    container = FakeContainer([], finishes=False)
    executor = _executor(FakeClient(container))
    handle = executor.start(spec)
    started = time.monotonic()
    executor.stop(handle, timeout=7)
    assert time.monotonic() - started < 0.2
    assert executor.poll(handle) is None
    assert _exit(executor, handle) == 143 and container.stopped_with == 7


def test_a_failed_build_or_run_is_an_ecs_reason(spec: TaskSpec) -> None:
    with pytest.raises(StartError, match=r"CannotPullContainerError: building .*Dockerfile failed: "
                       r"COPY failed: no such file"):  # fmt: skip
        _executor(FakeClient(build_error="step 3\nCOPY failed: no such file")).start(spec)
    with pytest.raises(StartError, match="CannotStartContainerError: port is already allocated"):
        _executor(FakeClient(run_error="port is already allocated")).start(spec)


def test_gpu_tasks_ask_docker_for_the_gpus(spec: TaskSpec) -> None:
    spec.gpu = True
    client = FakeClient()
    _executor(client).start(spec)
    [request] = client.runs[0]["device_requests"]
    assert request["Count"] == -1 and request["Capabilities"] == [["gpu"]]


def test_container_command_maps_host_paths_back_longest_first() -> None:
    spec = TaskSpec(
        task_arn="t", image="atelier/x", argv=["/usr/bin/env", "/repo/pkg/mod/run.py", "-v", "/repo/pkg"],
        env={}, cwd=Path("/repo"), workdir_map={"/app": Path("/repo/pkg"), "/app/m": Path("/repo/pkg/mod")},
        port_mappings=[PortMapping(1, 1)],
    )  # fmt: skip
    assert dx.container_command(spec) == ["/usr/bin/env", "/app/m/run.py", "-v", "/app"]
