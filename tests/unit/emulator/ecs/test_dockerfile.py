from __future__ import annotations

from pathlib import Path

import pytest

from atelier.emulator.ecs.dockerfile import (
    DockerfileError,
    container_argv,
    find_dockerfile,
    image_name,
    parse_dockerfile,
)
from atelier_devtools.paths import REPO_ROOT


@pytest.mark.parametrize(
    ("image", "name"),
    [
        ("atelier/structured_data", "structured_data"),
        (
            "123456789012.dkr.ecr.eu-west-3.amazonaws.com/atelier/structured_data:3f2a",
            "structured_data",
        ),
        ("localhost:5000/atelier/x@sha256:abc", "x"),
        ("nginx:latest", None),
        ("docker.io/library/python:3.11", None),
    ],
)
def test_image_name(image: str, name: str | None) -> None:
    assert image_name(image) == name


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return path


def test_exec_form_env_workdir_copy(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "run.py").write_text("")
    cfg = parse_dockerfile(
        write(
            tmp_path,
            """
FROM python:3.11-slim AS build
ENV IGNORED=1
FROM python:3.11-slim
ARG V=2
ENV A=1 \\
    B="two words" \\
    C=${A}-x
ENV LEGACY some value
WORKDIR /app
COPY src/pkg /app/pkg
COPY run.py ./
COPY --from=build /x /y
ENTRYPOINT ["python"]
CMD ["-m", "pkg.main"]
""",
        ),
        tmp_path,
    )
    assert cfg.env == {"A": "1", "B": "two words", "C": "1-x", "LEGACY": "some value"}
    assert cfg.workdir == "/app"
    assert cfg.host_path("/app/pkg/main.py") == tmp_path / "src" / "pkg" / "main.py"
    assert cfg.host_path("run.py") == tmp_path / "run.py"
    assert cfg.host_path("/etc/passwd") is None
    assert cfg.python_path() == [tmp_path / "src"]
    assert container_argv(cfg, None, None) == ["python", "-m", "pkg.main"]
    # the task definition wins: command replaces CMD, entryPoint replaces both
    assert container_argv(cfg, None, ["run.py"]) == ["python", "run.py"]
    assert container_argv(cfg, ["bash"], None) == ["bash"]


def test_shell_form_runs_through_sh(tmp_path: Path) -> None:
    cfg = parse_dockerfile(write(tmp_path, "FROM x\nCMD python server.py --port $PORT\n"), tmp_path)
    assert container_argv(cfg, None, None) == ["/bin/sh", "-c", "python server.py --port $PORT"]


def test_entrypoint_resets_cmd_and_missing_command_is_an_error(tmp_path: Path) -> None:
    cfg = parse_dockerfile(write(tmp_path, 'FROM x\nCMD ["a"]\nENTRYPOINT ["b"]\n'), tmp_path)
    assert container_argv(cfg, None, None) == ["b"]
    empty = parse_dockerfile(write(tmp_path, "FROM x\n"), tmp_path)
    with pytest.raises(DockerfileError, match="no ENTRYPOINT or CMD"):
        container_argv(empty, None, None)


def test_bad_exec_form_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match="bad exec form"):
        parse_dockerfile(write(tmp_path, 'FROM x\nCMD ["python", \n'), tmp_path)


def test_the_pipelines_dockerfiles_resolve_to_repository_code() -> None:
    for name in ("structured_data", "non_structured_data_images", "non_structured_al_data_images"):
        path = find_dockerfile(f"acct.dkr.ecr.us-east-1.amazonaws.com/atelier/{name}:1", REPO_ROOT)
        cfg = parse_dockerfile(path, REPO_ROOT)
        argv = container_argv(cfg, None, None)
        assert argv[:2] == ["python", "-m"]
        package = argv[2].split(".")[0]
        assert any((d / package).is_dir() for d in cfg.python_path()), (name, cfg.python_path())


def test_unknown_image_names_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match="looked in"):
        find_dockerfile("atelier/nope", tmp_path)
    with pytest.raises(DockerfileError, match="not an Atelier image"):
        find_dockerfile("redis:7", tmp_path)
