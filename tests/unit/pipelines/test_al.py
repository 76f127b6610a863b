"""Active-learning pieces: acquisition functions, pools, and the GPU task on CPU in moto."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image

from atelier.seed.images import seed_pools
from ml_common.errors import PipelineError
from ml_common.jobs import JobStore
from ml_common.model_store import list_versions
from non_structured_al_data_images import main as task
from non_structured_al_data_images.al import acquire, entropy_scores, labels_to_reach, margin_scores
from non_structured_al_data_images.pools import grid_to_png, image_to_grid, parse_dataset_ids


def test_uncertainty_scores_rank_the_confused_first() -> None:
    proba = np.array([[0.98, 0.01, 0.01], [0.4, 0.35, 0.25], [0.5, 0.5, 0.0], [1 / 3] * 3])
    assert list(np.argsort(-entropy_scores(proba))[:2]) == [3, 1]
    assert int(np.argmax(margin_scores(proba))) == 2
    rng = np.random.default_rng(0)
    picked = acquire("entropy", proba, np.array([10, 11, 12, 13]), 2, rng)
    assert list(picked) == [13, 11]
    assert len(set(acquire("random", proba, np.array([10, 11, 12, 13]), 3, rng))) == 3


def test_diverse_batches_cover_clusters_not_near_duplicates() -> None:
    # Four tight clusters in embedding space: the most uncertain items all sit in the first,
    # the last is confidently classified (outside the 10 x 3 shortlist).
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    embedding = np.repeat(centres, 10, axis=0) + rng.normal(0, 0.1, (40, 2))
    proba = np.repeat([[1 / 3] * 3, [0.6, 0.4, 0.0], [0.55, 0.45, 0.0], [0.98, 0.01, 0.01]], 10, 0)
    candidates = np.arange(100, 140)
    for strategy in ("entropy", "margin"):
        top = acquire(strategy, proba, candidates, 3, np.random.default_rng(1))
        assert {int(i) // 10 for i in top} == {10}  # plain top-k: near-duplicates
        diverse = acquire(
            strategy, proba, candidates, 3, np.random.default_rng(1), embedding, prefilter=10
        )
        assert len(set(diverse.tolist())) == 3
        assert {int(i) // 10 for i in diverse} == {10, 11, 12}  # one per uncertain cluster
    # prefilter=1 is the plain top-k.
    assert list(acquire("entropy", proba, candidates, 3, rng, embedding, prefilter=1)) == list(
        acquire("entropy", proba, candidates, 3, rng)
    )


def test_labels_to_reach() -> None:
    curve = [{"labels": 20.0, "accuracy": 0.5}, {"labels": 40.0, "accuracy": 0.96}]
    assert labels_to_reach(curve, 0.95) == 40.0
    assert labels_to_reach(curve, 0.99) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1914,1918, 1939", ["1914", "1918", "1939"]), ('["1914", "1914"]', ["1914"])],
)
def test_dataset_ids_parse(raw: str, expected: list[str]) -> None:
    assert parse_dataset_ids(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", " , ", "[not json", "../etc", "a b", ",".join(["1"] * 0) or "x" * 65]
)
def test_bad_dataset_ids_are_refused(raw: str) -> None:
    with pytest.raises(PipelineError):
        parse_dataset_ids(raw)


def test_pool_png_round_trip_keeps_the_digit() -> None:
    grid = np.arange(64, dtype=np.float32).reshape(8, 8) % 17
    png = grid_to_png(grid)
    assert Image.open(io.BytesIO(png)).size == (8, 8)
    assert np.abs(image_to_grid(png) - grid).max() < 0.05


@pytest.fixture
def al_env(
    aws: dict[str, Any], pending_job: Any, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    seed_pools(aws["s3"], aws["INPUTS_BUCKET"], per_pool=80)
    job_id = pending_job("al-1", "non_structured_al_data_images")
    for key, value in {
        "JOB_ID": job_id,
        "DATASET_IDS": "1914,1918,1939",
        "AL_ROUNDS": "2",
        "AL_BATCH": "10",
        "AL_EPOCHS": "1",
        "ATELIER_DEVICE": "cpu",
    }.items():
        monkeypatch.setenv(key, value)
    return {**aws, "job_id": job_id}


def _read(aws: dict[str, Any], uri: str) -> bytes:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return bytes(aws["s3"].get_object(Bucket=bucket, Key=key)["Body"].read())


@pytest.mark.slow  # trains
def test_al_task_end_to_end_on_cpu(al_env: dict[str, Any]) -> None:
    assert task.main() == 0
    job = JobStore().get(al_env["job_id"])
    assert job is not None and job["status"] == "SUCCEEDED", job
    assert job["device"] == "cpu"
    assert job["progress"] == {"round": 2, "of": 2}
    assert set(job["outputs"]) == {"ranked_ids", "curves", "plot", "model"}

    curves = json.loads(_read(al_env, job["outputs"]["curves"]))
    assert set(curves["strategies"]) == {"random", "entropy", "margin"}
    for curve in curves["strategies"].values():
        assert [p["labels"] for p in curve] == [10.0, 20.0, 30.0]
        assert all(0.0 <= p["accuracy"] <= 1.0 for p in curve)
    assert curves["device"] == "cpu" and curves["datasets"] == ["1914", "1918", "1939"]

    ranked = json.loads(_read(al_env, job["outputs"]["ranked_ids"]))
    ids = [item["id"] for item in ranked["items"]]
    assert len(ids) == 100 and len(set(ids)) == 100
    assert all(i.split("-")[0] in {"1914", "1918", "1939"} for i in ids)
    scores = [item["score"] for item in ranked["items"]]
    assert scores == sorted(scores, reverse=True)

    plot = Image.open(io.BytesIO(_read(al_env, job["outputs"]["plot"])))
    assert plot.format == "PNG" and plot.width > 300
    versions = list_versions(al_env["MODELS_BUCKET"], "al_digits_cnn")
    assert len(versions) == 1 and versions[0]["stage"] == "candidate"
    assert versions[0]["metrics"]["labels"] == 30.0


@pytest.mark.slow  # trains
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATASET_IDS": "1914,4242"}, "unknown dataset id '4242'"),
        ({"DATASET_IDS": "1914; rm -rf"}, "invalid dataset id"),
        ({"AL_ROUNDS": "0"}, "AL_ROUNDS must be an integer"),
        ({"AL_BATCH": "500", "DATASET_IDS": "1914"}, "fewer than"),
    ],
)
def test_al_task_bad_requests_fail_the_job(
    al_env: dict[str, Any], env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert task.main() == 2
    job = JobStore().get(al_env["job_id"])
    assert job is not None and job["status"] == "FAILED" and message in job["error"]


def test_cuda_request_without_gpu_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setenv("ATELIER_DEVICE", "cuda")
    assert task.choose_device() == "cpu"
    monkeypatch.delenv("ATELIER_DEVICE")
    assert task.choose_device() == "cpu"
