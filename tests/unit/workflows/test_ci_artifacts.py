"""What CI builds through nox: pipeline image commands and deterministic lambda zips."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from atelier.cicd.artifacts import image_commands, package_lambdas

ROOT = Path(__file__).resolve().parents[3]


def test_image_is_built_from_the_pipeline_dockerfile_with_the_repo_root_as_context(
    tmp_path: Path,
) -> None:
    (tmp_path / "pipelines" / "structured_data").mkdir(parents=True)
    (tmp_path / "pipelines" / "structured_data" / "Dockerfile").write_text("FROM scratch\n")
    build, *pushes = image_commands(
        tmp_path,
        "structured_data",
        "1.dkr.ecr.eu-west-3.amazonaws.com",
        ["abc123", "qa"],
        push=True,
    )
    assert build[:3] == ["docker", "build", "--file"]
    assert build[3] == "pipelines/structured_data/Dockerfile"
    assert build[-1] == "."
    assert "1.dkr.ecr.eu-west-3.amazonaws.com/atelier/structured_data:abc123" in build
    assert pushes == [
        ["docker", "push", "1.dkr.ecr.eu-west-3.amazonaws.com/atelier/structured_data:abc123"],
        ["docker", "push", "1.dkr.ecr.eu-west-3.amazonaws.com/atelier/structured_data:qa"],
    ]
    assert image_commands(tmp_path, "structured_data", "", ["t"], push=False) == [
        [
            "docker",
            "build",
            "--file",
            "pipelines/structured_data/Dockerfile",
            "--pull",
            "--tag",
            "atelier/structured_data:t",
            ".",
        ]
    ]


@pytest.mark.parametrize(
    ("pipeline", "tags", "message"),
    [
        ("common", ["t"], "no pipeline image"),
        ("nope", ["t"], "no pipeline image"),
        ("structured_data", [], "at least one tag"),
        ("structured_data", ["bad tag;rm"], "invalid image tag"),
    ],
)
def test_image_refuses_bad_requests(
    tmp_path: Path, pipeline: str, tags: list[str], message: str
) -> None:
    (tmp_path / "pipelines" / "structured_data").mkdir(parents=True)
    (tmp_path / "pipelines" / "structured_data" / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(ValueError, match=message):
        image_commands(tmp_path, pipeline, "", tags, push=False)


def test_lambdas_are_zipped_one_per_folder_plus_the_shared_layer_reproducibly(
    tmp_path: Path,
) -> None:
    src = tmp_path / "repo"
    (src / "lambdas" / "auth").mkdir(parents=True)
    (src / "lambdas" / "auth" / "handler.py").write_text("def handler(e, c): return 1\n")
    (src / "lambdas" / "auth" / "__pycache__").mkdir()
    (src / "lambdas" / "auth" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"x")
    (src / "lambdas" / "shared").mkdir()
    (src / "lambdas" / "shared" / "jobs.py").write_text("TABLE = 'jobs'\n")
    first = package_lambdas(src, tmp_path / "out1")
    second = package_lambdas(src, tmp_path / "out2")
    assert [p.name for p in first] == ["auth.zip", "shared-layer.zip"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert zipfile.ZipFile(first[0]).namelist() == ["handler.py"]
    assert zipfile.ZipFile(first[1]).namelist() == ["python/jobs.py"]
