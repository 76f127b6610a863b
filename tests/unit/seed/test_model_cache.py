"""The seed's model cache: what its key covers, and that entries round-trip intact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atelier.seed import cache
from atelier_devtools.paths import REPO_ROOT

ENV = {"python": "3.11", "numpy": "1", "scikit-learn": "1", "torch": "2", "machine": "x"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the pipelines' sources, to edit freely."""
    for sub in (
        "common",
        "structured_data",
        "non_structured_data_images",
        "non_structured_al_data_images",
    ):
        shutil.copytree(
            REPO_ROOT / "pipelines" / sub,
            tmp_path / "pipelines" / sub,
            ignore=shutil.ignore_patterns("__pycache__", "Dockerfile", "*.txt"),
        )
    return tmp_path


def key(repo: Path, name: str = "digits_cnn", data: str = "d1", **params: object) -> str:
    return cache.cache_key(name, data, {"seed": 0, **params}, root=repo, env=ENV)


def test_key_is_stable_for_the_same_inputs(repo: Path) -> None:
    assert key(repo) == key(repo)
    assert key(repo) != key(repo, "structured_data")


@pytest.mark.parametrize(
    "source",
    [
        "pipelines/non_structured_data_images/non_structured_data_images/train.py",
        "pipelines/common/ml_common/digits_net.py",
    ],
)
def test_a_changed_training_source_changes_the_key(repo: Path, source: str) -> None:
    before = key(repo)
    with (repo / source).open("a") as f:
        f.write("\n# a change\n")
    assert key(repo) != before


def test_a_new_source_file_changes_the_key(repo: Path) -> None:
    before = key(repo)
    (repo / "pipelines/common/ml_common/extra.py").write_text("X = 1\n")
    assert key(repo) != before


def test_another_pipeline_does_not_change_the_key(repo: Path) -> None:
    before = key(repo, "structured_data")
    with (
        repo / "pipelines/non_structured_al_data_images/non_structured_al_data_images/al.py"
    ).open("a") as f:
        f.write("\n# unrelated\n")
    assert key(repo, "structured_data") == before


def test_the_al_reference_depends_on_the_image_pipelines_tiles(repo: Path) -> None:
    before = key(repo, "al_digits_cnn")
    with (repo / "pipelines/non_structured_data_images/non_structured_data_images/tiles.py").open(
        "a"
    ) as f:
        f.write("\n# a change\n")
    assert key(repo, "al_digits_cnn") != before


def test_data_params_and_environment_change_the_key(repo: Path) -> None:
    base = key(repo)
    assert key(repo, data="d2") != base
    assert key(repo, epochs=11) != base
    other_env = cache.cache_key(
        "digits_cnn", "d1", {"seed": 0}, root=repo, env={**ENV, "torch": "3"}
    )
    assert other_env != base


def test_entries_round_trip_and_damage_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATELIER_MODEL_CACHE", str(tmp_path / "cache"))
    entry = cache.Entry(
        key="k1",
        model_bytes=b"weights",
        ext="pt",
        metrics={"accuracy": 0.98},
        data_hash="abc",
        params={"seed": 0},
        code_version="src-123",
    )
    assert cache.load("digits_cnn", "k1") is None
    path = cache.store("digits_cnn", entry)
    assert path == tmp_path / "cache" / "digits_cnn" / "k1"
    assert cache.load("digits_cnn", "k1") == entry
    assert cache.load("digits_cnn", "k2") is None
    (path / "model.pt").write_bytes(b"tampered")
    assert cache.load("digits_cnn", "k1") is None


def test_the_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_MODEL_CACHE", "off")
    assert cache.cache_root() is None
    entry = cache.Entry("k", b"x", "json", {}, "h", {}, "src-1")
    assert cache.store("structured_data", entry) is None
    assert cache.load("structured_data", "k") is None


@pytest.mark.parametrize(
    "module",
    [
        "structured_data.train",
        "non_structured_data_images.train",
        "non_structured_al_data_images.train",
    ],
)
def test_params_read_from_source_are_the_trainers_params(module: str) -> None:
    import importlib

    from atelier.seed.models import _params

    assert _params(module) == importlib.import_module(module).PARAMS
