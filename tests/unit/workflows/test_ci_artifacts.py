"""What CI builds through nox: pipeline image commands, and the image check before Terraform."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.cicd.artifacts import image_commands, missing_images, pipeline_names

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


def test_missing_images_lists_the_repositories_without_the_tag() -> None:
    pushed = {("atelier/structured_data", "abc")}
    assert missing_images(
        ["structured_data", "non_structured_data_images"], "abc", lambda r, t: (r, t) in pushed
    ) == ["atelier/non_structured_data_images"]
    assert missing_images(["structured_data"], "abc", lambda r, t: (r, t) in pushed) == []


def test_pipeline_names_are_folders_with_a_dockerfile(tmp_path: Path) -> None:
    for name in ("a", "b", "common"):
        (tmp_path / "pipelines" / name).mkdir(parents=True)
        (tmp_path / "pipelines" / name / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "pipelines" / "c").mkdir()
    assert pipeline_names(tmp_path) == ["a", "b"]


def test_a_build_argument_reaches_docker_build_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pipelines" / "gpu").mkdir(parents=True)
    (tmp_path / "pipelines" / "gpu" / "Dockerfile").write_text("FROM scratch\n")
    cuda = "TORCH_INDEX=https://download.pytorch.org/whl/cu128"
    [build] = image_commands(tmp_path, "gpu", "", ["t"], push=False, build_args=[cuda])
    assert build[build.index("--build-arg") + 1] == cuda
    with pytest.raises(ValueError, match="build argument"):
        image_commands(tmp_path, "gpu", "", ["t"], push=False, build_args=["x; rm -rf /"])


def test_the_gpu_dockerfile_defaults_to_cpu_torch_and_takes_the_index_as_an_argument() -> None:
    text = (ROOT / "pipelines" / "non_structured_al_data_images" / "Dockerfile").read_text()
    assert "ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu" in text
    assert "--index-url ${TORCH_INDEX} torch==" in text


def test_each_pipeline_runs_the_tag_of_its_last_build() -> None:
    from atelier.cicd.artifacts import last_tags

    newest = {"atelier/a": "sha1", "atelier/b": "sha7"}
    assert last_tags(["a", "b"], newest.get) == {"a": "sha1", "b": "sha7"}
    with pytest.raises(ValueError, match="no image pushed yet for c"):
        last_tags(["a", "c"], newest.get)


def test_terraform_takes_a_tag_per_pipeline() -> None:
    """The task definition image names its own pipeline's tag, image_tag only as a fallback."""
    main = (ROOT / "terraform" / "modules" / "ecs_task" / "main.tf").read_text()
    assert "lookup(var.image_tags, each.key, var.image_tag)" in main
    for env in ("qa", "preprod", "prod"):
        root = (ROOT / "terraform" / "envs" / env / "main.tf").read_text()
        assert "image_tags          = var.image_tags" in root, env
    nox = (ROOT / "noxfiles" / "cicd.py").read_text()
    plan = nox[nox.index("def terraform_plan") :]
    assert plan.index("image-tags") < plan.index('"plan"')
