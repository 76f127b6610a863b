"""config.json for the frontend, from a deployment's outputs, written into the build."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from atelier.deploy import frontend_config

OUTPUTS = {
    "env": "prod",
    "region": "eu-west-3",
    "api_url": "https://abc.execute-api.eu-west-3.amazonaws.com/v1",
    "endpoint_url": None,
    "buckets": {"inputs": "atelier-prod-inputs"},
}


def test_config_from_deploy_outputs_is_written_into_the_build(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (tmp_path / "outputs.json").write_text(json.dumps(OUTPUTS))
    code = frontend_config.main(["outputs", str(tmp_path / "outputs.json"), "--out", str(dist)])
    assert code == 0
    config = json.loads((dist / "config.json").read_text())
    assert config == {
        "apiUrl": OUTPUTS["api_url"],
        "env": "prod",
        "region": "eu-west-3",
        "inputsBucket": "atelier-prod-inputs",
        "uploads": True,
        "pollIntervalMs": 2000,
    }


def test_outputs_without_an_api_url_are_refused(tmp_path: Path) -> None:
    (tmp_path / "outputs.json").write_text(json.dumps({**OUTPUTS, "api_url": None}))
    code = frontend_config.main(["outputs", str(tmp_path / "outputs.json"), "--out", str(tmp_path)])
    assert code == 1
    assert not (tmp_path / "config.json").exists()


def test_config_from_terraform_outputs(tmp_path: Path) -> None:
    """A real ``terraform output -json`` of a root with the same output shape."""
    if not shutil.which("terraform"):
        pytest.skip("terraform is not installed")
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(
        'output "frontend_config" {\n  value = { apiUrl = "https://x/v1", env = "qa", '
        "uploads = true }\n}\n"
    )
    subprocess.run(
        ["terraform", f"-chdir={root}", "apply", "-auto-approve", "-input=false"],
        check=True,
        capture_output=True,
    )
    dist = tmp_path / "dist"
    dist.mkdir()
    assert frontend_config.main(["terraform", str(root), "--out", str(dist)]) == 0
    assert json.loads((dist / "config.json").read_text())["apiUrl"] == "https://x/v1"


def test_publishing_writes_config_before_the_sync_that_deletes() -> None:
    """The noxfile's publish step: config.json into dist/, then ``s3 sync --delete``."""
    text = (Path(__file__).resolve().parents[3] / "noxfiles" / "cicd.py").read_text()
    body = text[text.index("def publish_frontend") :]
    body = body[: body.index("\n@nox.session")]
    assert body.index("atelier.deploy.frontend_config") < body.index('"sync"')
