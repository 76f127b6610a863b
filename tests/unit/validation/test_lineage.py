"""Lineage: a model's training and its validation data move together, both ways."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atelier.validation.lineage import MANIFEST, MODELS, LineageRefused, check, record
from atelier_devtools.paths import REPO_ROOT

TRAIN = "pipelines/structured_data/structured_data/train.py"
DATA = "validation_data/data/structured_features.csv"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The files lineage reads, copied: training code, validation data, the manifest."""
    files = {MANIFEST} | {f for spec in MODELS.values() for kind in spec.values() for f in kind}
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_committed_manifest_matches_the_repository() -> None:
    assert check(REPO_ROOT) == []


def test_new_training_parameters_without_new_validation_data_fail_saying_what_to_update(
    repo: Path,
) -> None:
    _edit(repo / TRAIN, '"C": 1.0', '"C": 2.0')
    problems = check(repo)
    assert [p.model for p in problems] == ["structured_data"]
    message = problems[0].message
    assert "training code or parameters changed" in message
    assert "update validation_data/data/structured_features.csv" in message
    assert "--record-lineage structured_data" in message
    with pytest.raises(LineageRefused, match="validation data did not"):
        record(repo, "structured_data", "sd-next")


def test_new_validation_data_without_a_new_model_version_fails(repo: Path) -> None:
    with (repo / DATA).open("a") as f:
        f.write("9999" + ",1.0" * 30 + ",1\n")
    problems = check(repo)
    assert [p.model for p in problems] == ["structured_data"]
    assert "without a new model version" in problems[0].message
    current = problems[0].message.split("(still ")[1].split(")")[0]
    with pytest.raises(LineageRefused, match="record a new model version"):
        record(repo, "structured_data", current)


def test_training_and_data_updated_together_record_a_new_version_and_pass(repo: Path) -> None:
    _edit(repo / TRAIN, '"C": 1.0', '"C": 2.0')
    with (repo / DATA).open("a") as f:
        f.write("9999" + ",1.0" * 30 + ",1\n")
    assert check(repo)  # not recorded yet
    record(repo, "structured_data", "sd-next")
    assert check(repo) == []


def test_comments_and_docstrings_are_not_training_changes(repo: Path) -> None:
    _edit(
        repo / TRAIN,
        '"""Train the structured-data classifier',
        '"""Train (reworded) the classifier',
    )
    _edit(
        repo / TRAIN,
        "from __future__ import annotations",
        "from __future__ import annotations  # why",
    )
    assert check(repo) == []


def test_the_command_line_entry_is_not_a_training_change_but_train_is(repo: Path) -> None:
    source = (repo / TRAIN).read_text()
    assert "def main(" in source
    _edit(repo / TRAIN, "def main(", "def main(  # an option more\n")
    (repo / TRAIN).write_text(
        (repo / TRAIN).read_text() + '\n\nif __name__ == "__main__":\n    print("again")\n'
    )
    assert check(repo) == []
    _edit(repo / TRAIN, "def train(", "def train(  # noqa\n")  # comments still do not count
    assert check(repo) == []
    text = (repo / TRAIN).read_text()
    (repo / TRAIN).write_text(
        text.replace("def train(", "def _unused() -> None:\n    pass\n\n\ndef train(", 1)
    )
    assert [p.model for p in check(repo)] == ["structured_data"]


def test_a_shared_file_change_names_every_model_it_trains(repo: Path) -> None:
    _edit(
        repo / "pipelines/common/ml_common/digits_net.py",
        "from __future__ import annotations",
        "from __future__ import annotations\n\nimport math",
    )
    assert {p.model for p in check(repo)} == {"digits_cnn", "al_digits_cnn"}


# slow: the CLI runs every data suite and writes Data Docs before it reports lineage. The fast tier
# keeps the same edit refused by the same check, with the same message
# (test_new_training_parameters_without_new_validation_data_fail_saying_what_to_update).
@pytest.mark.slow
def test_atelier_validate_fails_on_a_training_change_without_new_data(
    repo: Path,
) -> None:
    """The gate itself (the CLI), on a repository whose training parameters changed."""
    from click.testing import CliRunner

    from atelier.config import Settings
    from atelier.validation.cli import validate

    shutil.copytree(REPO_ROOT / "validation_data", repo / "validation_data", dirs_exist_ok=True)
    _edit(repo / TRAIN, '"C": 1.0', '"C": 2.0')
    outcome = CliRunner().invoke(
        validate,
        ["--data-only", "--report-dir", str(repo / "report")],
        obj=Settings(repo_root=repo),
    )
    assert outcome.exit_code == 1, outcome.output
    assert "lineage structured_data" in outcome.output
    assert "training code or parameters changed" in outcome.output
    assert "digits_cnn" not in outcome.output.split("validation gate failed")[1]
