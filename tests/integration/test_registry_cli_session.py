"""`atelier registry` reaches the local runtime through an explicit session, not the environment."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from atelier.config import Settings
from atelier.registry.cli import registry_group
from atelier_devtools.runtime import Runtime
from ml_common import model_store
from ml_common.aws import AwsSession, using

BUCKET = "registry-cli-session"


@pytest.fixture
def local_settings(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command's settings, passed to it (as the ``atelier`` entry point does)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return Settings(env="local", port=urlsplit(runtime.endpoint_url).port or 4566)


def test_registry_list_talks_to_the_runtime_and_leaves_the_environment_alone(
    runtime: Runtime, local_settings: Settings
) -> None:
    runtime.client("s3").create_bucket(Bucket=BUCKET)
    with using(AwsSession(runtime.endpoint_url, "us-east-1")):
        model_store.save_model(BUCKET, "m", b"x" * 16, {"accuracy": 0.5}, "d", "c", {})
    before = dict(os.environ)
    outcome = CliRunner().invoke(
        registry_group, ["list", "m", "--bucket", BUCKET], obj=local_settings
    )
    assert outcome.exit_code == 0, outcome.output
    assert "accuracy=0.5" in outcome.output  # the version saved on the runtime above
    assert dict(os.environ) == before  # no AWS_ENDPOINT_URL (or keys) written for the process
