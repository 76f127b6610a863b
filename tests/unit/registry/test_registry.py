"""Promotion and rollback rules of the registry, over the real model-store code (moto's S3)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from atelier.registry import registry
from ml_common import model_store

BUCKET = "atelier-test-models"


@pytest.fixture(autouse=True)
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield


def _save(payload: bytes) -> str:
    return model_store.save_model(BUCKET, "m", payload, {"accuracy": 0.9}, "d", "c", {})


def test_a_candidate_goes_to_prod_only_through_preprod() -> None:
    v = _save(b"one")
    with pytest.raises(registry.PromotionRefused, match="must pass through preprod"):
        registry.promote(BUCKET, "m", v, "prod")
    registry.promote(BUCKET, "m", v, "preprod")
    registry.promote(BUCKET, "m", v, "prod")
    assert model_store.resolve_version(BUCKET, "m", "prod") == v


@pytest.mark.parametrize(
    ("decision", "approved", "allowed"),
    [
        ("promote", False, True),
        ("block", True, False),
        ("manual_review", False, False),
        ("manual_review", True, True),
    ],
)
def test_the_verdict_gates_prod(decision: str, approved: bool, allowed: bool) -> None:
    v = _save(b"two")
    registry.promote(BUCKET, "m", v, "preprod")
    verdict = {"decision": decision, "candidate": v, "reasons": ["because"]}
    if allowed:
        registry.promote(BUCKET, "m", v, "prod", verdict=verdict, approved=approved)
        assert model_store.resolve_version(BUCKET, "m", "prod") == v
    else:
        with pytest.raises(registry.PromotionRefused):
            registry.promote(BUCKET, "m", v, "prod", verdict=verdict, approved=approved)


def test_a_verdict_about_another_version_is_refused() -> None:
    v = _save(b"three")
    registry.promote(BUCKET, "m", v, "preprod")
    with pytest.raises(registry.PromotionRefused, match="verdict is about"):
        registry.promote(
            BUCKET, "m", v, "prod", verdict={"decision": "promote", "candidate": "other"}
        )


def test_rollback_returns_prod_to_its_previous_version() -> None:
    first, second = _save(b"a"), _save(b"b")
    for v in (first, second):
        registry.promote(BUCKET, "m", v, "preprod")
        registry.promote(BUCKET, "m", v, "prod")
    assert registry.rollback(BUCKET, "m") == first
    assert model_store.load_model(BUCKET, "m").data == b"a"


def test_rollback_without_history_is_refused() -> None:
    v = _save(b"only")
    registry.promote(BUCKET, "m", v, "preprod")
    registry.promote(BUCKET, "m", v, "prod")
    with pytest.raises(registry.PromotionRefused, match="no earlier version"):
        registry.rollback(BUCKET, "m")


def test_a_writer_that_loses_the_race_retries_and_keeps_both_entries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writer A reads the index, writer B commits first; A's conditional put fails and A
    retries on the fresh index, so neither promotion is lost (deterministic interleaving)."""
    a, b = _save(b"a"), _save(b"b")
    real_get = model_store._get_json
    interleaved: list[str] = []

    def get_json(s3: object, bucket: str, key: str) -> object:
        result = real_get(s3, bucket, key)
        if key.endswith("index.json") and not interleaved:
            interleaved.append(key)
            registry.promote(BUCKET, "m", b, "preprod")  # B wins the race
        return result

    monkeypatch.setattr(model_store, "_get_json", get_json)
    registry.promote(BUCKET, "m", a, "preprod")
    stages = {e["version"]: e["stage"] for e in registry.versions(BUCKET, "m")}
    assert interleaved, "the interleaving did not happen"
    assert stages == {a: "preprod", b: "preprod"}
