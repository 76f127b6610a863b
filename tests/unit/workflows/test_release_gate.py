"""The release gate routes prod by the preprod verdicts: promote → prod, manual_review (or no
verdict) → prod-manual-approval, block → fail; promotion never skips the approval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atelier.cicd import gate
from atelier.cicd.release import evaluate_commands


def verdict(root: Path, version: str, decision: str, model: str = "structured_data") -> Path:
    path = root / version / "verdict.json"
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "model": model,
                "candidate": version,
                "decision": decision,
                "reasons": [f"because {decision}"],
            }
        )
    )
    return path


@pytest.mark.parametrize(
    ("decisions", "environment"),
    [
        (["promote"], "prod"),
        (["promote", "promote"], "prod"),
        (["manual_review"], "prod-manual-approval"),
        (["promote", "manual_review"], "prod-manual-approval"),
        ([], "prod-manual-approval"),
    ],
)
def test_route(decisions: list[str], environment: str) -> None:
    assert gate.route(decisions) == environment


def test_block_wins_and_unknown_decisions_are_refused() -> None:
    with pytest.raises(gate.ReleaseBlocked):
        gate.route(["promote", "block", "manual_review"])
    with pytest.raises(ValueError, match="unknown verdict decision"):
        gate.route(["ship-it"])


def test_main_writes_the_environment_to_github_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    verdict(tmp_path / "reports", "v1", "promote")
    verdict(tmp_path / "reports", "v2", "manual_review", model="digits_cnn")
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert gate.main([str(tmp_path / "reports")]) == 0
    assert output.read_text() == "environment=prod-manual-approval\n"
    assert "because manual_review" in capsys.readouterr().out


def test_main_fails_on_block_and_writes_no_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdict(tmp_path, "v1", "block")
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert gate.main([str(tmp_path)]) == 1
    assert not output.exists()


def test_missing_directory_means_no_verdict_and_a_person_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert gate.main([str(tmp_path / "absent")]) == 0
    assert output.read_text() == "environment=prod-manual-approval\n"


def test_a_malformed_verdict_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "verdict.json").write_text('{"model": "x"}')
    with pytest.raises(ValueError, match="no 'decision'"):
        gate.load_verdicts(tmp_path)


def test_promotion_commands_need_the_approval_environment_for_manual_review(tmp_path: Path) -> None:
    verdict(tmp_path, "v7", "manual_review")
    found = gate.load_verdicts(tmp_path)
    with pytest.raises(ValueError, match="prod-manual-approval"):
        gate.promote_commands(found, "prod", None)
    [command] = gate.promote_commands(found, "prod-manual-approval", "models-bucket")
    assert command[:7] == [
        "atelier",
        "registry",
        "promote",
        "structured_data",
        "v7",
        "--to",
        "prod",
    ]
    assert "--approved" in command and command[-2:] == ["--bucket", "models-bucket"]
    # prod takes the candidate from the preprod account's registry, not its own
    assert command[command.index("--from-env") + 1] == "preprod"


def test_promotion_from_prod_is_not_marked_approved_and_block_never_promotes(
    tmp_path: Path,
) -> None:
    verdict(tmp_path / "a", "v1", "promote")
    [command] = gate.promote_commands(gate.load_verdicts(tmp_path / "a"), "prod", None)
    assert "--approved" not in command
    verdict(tmp_path / "b", "v2", "block")
    with pytest.raises(gate.ReleaseBlocked):
        gate.promote_commands(gate.load_verdicts(tmp_path / "b"), "prod-manual-approval", None)


def test_preprod_evaluation_runs_atelier_evaluate_per_model() -> None:
    assert evaluate_commands(["digits_cnn", "structured_data"], "b") == [
        [
            "atelier",
            "evaluate",
            "--env",
            "preprod",
            "--model",
            "digits_cnn",
            "--candidate",
            "candidate",
            "--bucket",
            "b",
        ],
        [
            "atelier",
            "evaluate",
            "--env",
            "preprod",
            "--model",
            "structured_data",
            "--candidate",
            "candidate",
            "--bucket",
            "b",
        ],
    ]
