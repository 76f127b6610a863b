"""docker-compose.yml, the runtime's Dockerfile and .dockerignore, checked without a Docker engine."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from atelier.emulator.ecs.dockerfile import parse_dockerfile
from atelier_devtools.paths import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def test_the_runtime_service_builds_the_repo_dockerfile_and_keeps_its_home(
    compose: dict[str, Any],
) -> None:
    svc = compose["services"]["atelier"]
    assert svc["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    assert "profiles" not in svc  # the default service
    assert any(str(p).endswith(":4566") for p in svc["ports"])
    image = parse_dockerfile(DOCKERFILE, REPO_ROOT)
    home = image.env["ATELIER_HOME"]
    assert [v.split(":", 1)[1] for v in svc["volumes"]] == [home]
    assert svc["volumes"][0].split(":", 1)[0] in compose["volumes"]


def test_the_runtime_image_serves_on_all_interfaces_as_a_non_root_user() -> None:
    image = parse_dockerfile(DOCKERFILE, REPO_ROOT)
    text = DOCKERFILE.read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert image.entrypoint == ["atelier", "emulator", "start", "--foreground"]
    assert image.env["ATELIER_HOST"] == "0.0.0.0" and image.env["ATELIER_PORT"] == "4566"
    assert image.env["ATELIER_REPO_ROOT"] == image.workdir  # pipelines/ and lambdas/ live there
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")  # PostgreSQL refuses to run as root


def test_the_localstack_service_is_an_opt_in_profile(compose: dict[str, Any]) -> None:
    svc = compose["services"]["localstack"]
    assert svc["profiles"] == ["localstack"]
    host_ports = {str(p).rsplit(":", 2)[-2] for p in svc["ports"]}
    assert "4566" not in host_ports, "would collide with the atelier service"


def test_no_required_variable_breaks_a_plain_compose_up(compose: dict[str, Any]) -> None:
    # Compose interpolates every service before it applies profiles (comments aside).
    assert ":?" not in yaml.safe_dump(compose)


@pytest.mark.parametrize(("token", "code", "says"), [
    ("", 64, "LocalStack now needs an auth token: set LOCALSTACK_AUTH_TOKEN"),
    ("ls-123", 0, "started"),
])  # fmt: skip
def test_localstack_refuses_to_start_without_a_token_and_says_why(
    compose: dict[str, Any], token: str, code: int, says: str
) -> None:
    script = compose["services"]["localstack"]["entrypoint"][2]
    script = script.replace("$$", "$").replace("exec docker-entrypoint.sh", "echo started")
    out = subprocess.run(
        ["/bin/sh", "-c", script], env={"LOCALSTACK_AUTH_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == code
    assert says in (out.stderr + out.stdout).replace("\n", " ")


def test_compose_file_matches_the_compose_spec() -> None:
    tool = _tool("check-jsonschema")
    if tool is None:
        pytest.skip("check-jsonschema is not installed (test extra)")
    out = subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def test_docker_compose_config_accepts_it() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI here")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("the docker CLI has no compose plugin here")
    for args in ([], ["--profile", "localstack"]):
        out = subprocess.run(
            [docker, "compose", "-f", str(COMPOSE), *args, "config", "--quiet"],
            capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert out.returncode == 0, out.stderr


def test_hadolint_passes_on_the_runtime_dockerfile() -> None:
    tool = _tool("hadolint")
    if tool is None:
        pytest.skip("hadolint is not installed (test extra)")
    out = subprocess.run([tool, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout


def test_dockerignore_keeps_every_path_an_image_copies() -> None:
    patterns = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    dockerfiles = [DOCKERFILE, *REPO_ROOT.glob("pipelines/*/Dockerfile"),
                   *REPO_ROOT.glob("tests/fixtures/images/*/Dockerfile")]  # fmt: skip
    sources = []
    for dockerfile in dockerfiles:
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY ") and "--from" not in line:
                sources += line.split()[1:-1]
    assert sources
    for source in sources:
        parts = Path(source).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        hits = [
            p for p in patterns for pre in prefixes if fnmatch.fnmatch(pre, p.removeprefix("**/"))
        ]
        assert not hits, f".dockerignore drops {source} (by {hits})"
