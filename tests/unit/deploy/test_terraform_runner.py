"""atelier.deploy.terraform: the CLI configuration, and one clear line for each bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atelier.deploy.terraform import (
    AWS_PROVIDER,
    TerraformFailed,
    Workspace,
    _first_error,
    attribute_changes,
    cli_config,
    find_terraform,
    planned_changes,
    provider_mirror,
)


def test_the_cli_config_takes_only_the_aws_provider_from_the_mirror(tmp_path: Path) -> None:
    text = cli_config(tmp_path)
    assert f'path    = "{tmp_path}"' in text
    assert f'include = ["{AWS_PROVIDER}"]' in text and f'exclude = ["{AWS_PROVIDER}"]' in text
    assert cli_config(None) == ""


def test_a_mirror_without_the_provider_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATELIER_TF_PLUGIN_DIR", str(tmp_path))
    with pytest.raises(TerraformFailed, match=rf"ATELIER_TF_PLUGIN_DIR={tmp_path} holds no "):
        provider_mirror()


def test_a_missing_terraform_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_TERRAFORM", str(tmp_path / "terraform"))
    with pytest.raises(TerraformFailed, match="is not an executable terraform"):
        find_terraform()
    monkeypatch.delenv("ATELIER_TERRAFORM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TerraformFailed, match="terraform is not on PATH"):
        find_terraform()


def test_an_apply_error_is_one_line_naming_the_resource() -> None:
    events = [
        {"type": "apply_errored", "hook": {"resource": {"addr": "module.stack.aws_db_instance.this"}}},
        {"type": "diagnostic", "diagnostic": {
            "severity": "error", "summary": "creating RDS DB Instance: InvalidParameterCombination",
            "detail": "first line of detail\nsecond", "address": "module.stack.aws_db_instance.this"}},
        {"type": "diagnostic", "diagnostic": {"severity": "error", "summary": "another"}},
    ]  # fmt: skip
    line = _first_error(events, "terraform apply")
    assert "\n" not in line
    assert line.startswith(
        "terraform apply failed: module.stack.aws_db_instance.this: creating RDS"
    )
    assert "(first line of detail)" in line and line.endswith("[+1 more error]")


def test_a_plan_that_does_not_converge_names_each_resource() -> None:
    events = [
        {"type": "planned_change", "change": {"action": "update",
                                              "resource": {"addr": "module.stack.aws_x.a"}}},
        {"type": "planned_change", "change": {"action": "replace",
                                              "resource": {"addr": "module.stack.aws_y.b"}}},
        {"type": "change_summary", "changes": {"add": 1, "change": 1, "remove": 1}},
    ]  # fmt: skip
    assert planned_changes(events) == [
        "update module.stack.aws_x.a",
        "replace module.stack.aws_y.b",
    ]


def test_a_plan_that_does_not_converge_names_each_attribute_it_moves() -> None:
    plan = {"resource_changes": [
        {"address": "aws_x.a", "change": {"actions": ["update"],
            "before": {"tags": None, "threshold": 90, "name": "a", "arn": "arn:1"},
            "after": {"tags": {}, "threshold": 80, "name": "a"},
            "after_unknown": {"arn": True}}},
        {"address": "aws_y.b", "change": {"actions": ["no-op"], "before": {"a": 1}, "after": {"a": 1}}},
        {"address": "data.aws_z.c", "change": {"actions": ["read"], "before": None, "after": {}}},
        {"address": "aws_y.new", "change": {"actions": ["create"], "before": None, "after": {"a": 1}}},
        {"address": "aws_y.old", "change": {"actions": ["delete"], "before": {"a": 1}, "after": None}},
    ]}  # fmt: skip
    assert attribute_changes(plan) == [
        'aws_x.a: arn: "arn:1" -> (known after apply)',
        "aws_x.a: tags: null -> {}",
        "aws_x.a: threshold: 90 -> 80",
        "aws_y.new: created",
        "aws_y.old: destroyed",
    ]
    assert attribute_changes({"resource_changes": []}) == attribute_changes({}) == []


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_init_without_the_provider_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real `terraform init` against an empty mirror: no network, one line saying what to do."""
    empty = tmp_path / "mirror"
    (empty / AWS_PROVIDER).mkdir(parents=True)
    monkeypatch.setenv("ATELIER_TF_PLUGIN_DIR", str(empty))
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
    )
    ws = Workspace(root=root, endpoint_url="http://127.0.0.1:9", state_dir=tmp_path / "state")
    with pytest.raises(TerraformFailed) as info:
        ws.init()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("terraform init cannot get the AWS provider")
    assert "ATELIER_TF_PLUGIN_DIR" in message
