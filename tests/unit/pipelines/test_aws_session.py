"""An explicit AWS session reaches the clients of a call tree without touching the environment."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from atelier.seed.targets import SeedTargets
from ml_common.aws import AwsSession, client, in_session, using

LOCAL = "http://127.0.0.1:4999"


def _endpoint() -> str:
    return str(client("s3").meta.endpoint_url)


def test_a_session_points_clients_at_its_endpoint_and_region_only_inside_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    before = dict(os.environ)
    with using(AwsSession(LOCAL, "eu-west-1")):
        s3 = client("s3")
        assert s3.meta.endpoint_url == LOCAL and s3.meta.region_name == "eu-west-1"
        assert dict(os.environ) == before  # nothing written to the process environment
    assert _endpoint() != LOCAL and client("s3").meta.region_name == "us-east-1"


def test_threads_see_the_session_only_when_started_in_it() -> None:
    with using(AwsSession(LOCAL, "eu-west-1")), ThreadPoolExecutor(2) as pool:
        bound = pool.submit(in_session(_endpoint)).result()
        unbound = pool.submit(_endpoint).result()
    assert bound == LOCAL and unbound != LOCAL


def test_the_seed_names_its_target_as_a_session(tmp_path: Path) -> None:
    targets = SeedTargets(LOCAL, "eu-west-1", "in", "models", None, tmp_path)
    assert targets.session() == AwsSession(LOCAL, "eu-west-1")
