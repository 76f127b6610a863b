"""The deploy commands fail early with an error that says what to do."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from atelier.deploy.cli import deploy, destroy
from atelier_devtools.sandbox import free_port


def test_deploy_without_a_runtime_says_how_to_start_one(tmp_path: Path) -> None:
    env = {"ATELIER_PORT": str(free_port()), "ATELIER_HOME": str(tmp_path)}
    result = CliRunner().invoke(deploy, [], env=env)
    assert result.exit_code == 1
    assert "no AWS runtime answers" in result.output and "atelier emulator start" in result.output
    assert not (tmp_path / "outputs.json").exists()


def test_destroy_without_a_runtime_fails_before_asking(tmp_path: Path) -> None:
    env = {"ATELIER_PORT": str(free_port()), "ATELIER_HOME": str(tmp_path)}
    result = CliRunner().invoke(destroy, [], env=env, input="y\n")
    assert result.exit_code == 1 and "Destroy every" not in result.output


def test_a_broken_topology_is_reported_with_its_line_before_anything_is_touched(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "topology.yaml"
    bad.write_text("version: 1\nproject: atelier\nnetwork: {cidr: 10.0.0.0/16}\nbogus: 1\n")
    env = {"ATELIER_PORT": str(free_port()), "ATELIER_HOME": str(tmp_path)}
    result = CliRunner().invoke(deploy, ["--topology", str(bad)], env=env)
    assert result.exit_code == 1
    assert "cannot read the topology" in result.output and "topology.yaml:4" in result.output
