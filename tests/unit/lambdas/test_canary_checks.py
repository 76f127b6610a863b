"""The canary's checks in isolation: golden answers compared, overdue jobs counted."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "lambdas" / "canary"))

import jobs_check
import model_check
import pytest

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _job(job_id: str, pipeline: str, minutes_ago: float, status: str = "RUNNING") -> dict[str, str]:
    started = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    return {"job_id": job_id, "pipeline": pipeline, "status": status, "started_at": started}


def test_jobs_past_their_pipeline_limit_are_overdue() -> None:
    limits = {"non_structured_data_images": 25, "non_structured_al_data_images": 300}
    items = [
        _job("a", "non_structured_data_images", 26),
        _job("b", "non_structured_data_images", 24),
        _job("c", "non_structured_al_data_images", 200),
        _job("d", "non_structured_al_data_images", 301),
        _job("e", "non_structured_data_images", 90, status="SUCCEEDED"),
        _job("f", "unknown_pipeline", 9999),
    ]
    assert jobs_check.overdue(items, limits, NOW) == ["a", "d"]


def test_golden_answer_comparison() -> None:
    expected = {"prediction": 0, "probabilities": {"benign": 0.1, "malignant": 0.9}}
    assert model_check.same_answer(
        expected, {"prediction": 0, "probabilities": {"benign": 0.10001, "malignant": 0.89999}}
    )
    assert not model_check.same_answer(
        expected, {"prediction": 1, "probabilities": {"benign": 0.1, "malignant": 0.9}}
    )
    assert not model_check.same_answer(
        expected, {"prediction": 0, "probabilities": {"benign": 0.3, "malignant": 0.7}}
    )
    assert not model_check.same_answer(expected, "not a dict")


def test_failed_check_metrics() -> None:
    result = model_check.Result()
    result.wrong_answers = 1
    result.fail("record 1: wrong answer")
    result.latencies_ms = [10.0, 20.0]
    data = {d["MetricName"]: d for d in model_check.metric_data(result)}
    assert data["Success"]["Value"] == 0.0 and data["Failures"]["Value"] == 1.0
    assert data["WrongAnswers"]["Value"] == 1.0 and data["Latency"]["Values"] == [10.0, 20.0]


class _ImageApi:
    """A stand-in API for the image path: the job answers ``states`` one poll after another."""

    def __init__(self, states: list[str]) -> None:
        self.states, self.polls = states, 0

    def __call__(
        self, result: model_check.Result, method: str, url: str, *args: object
    ) -> tuple[int, object]:
        result.latencies_ms.append(1.0)
        if method == "POST":
            return 202, {"job_id": "j1"}
        state = self.states[min(self.polls, len(self.states) - 1)]
        self.polls += 1
        return 200, {"job_id": "j1", "status": state}


@pytest.mark.parametrize(
    ("states", "image", "ok"),
    [
        (["PENDING", "RUNNING", "SUCCEEDED"], "succeeded", True),
        (["RUNNING", "FAILED"], "failed", False),
    ],
)
def test_the_image_job_is_followed_until_it_succeeds_or_fails(
    monkeypatch: pytest.MonkeyPatch, states: list[str], image: str, ok: bool
) -> None:
    monkeypatch.setattr(model_check, "POLL_S", 0.0)
    monkeypatch.setattr(model_check, "_call", _ImageApi(states))
    result = model_check.Result()
    model_check._image(result, "http://api", "t", "s3://b/k.png", None)
    assert (result.image, result.ok) == (image, ok), result.problems


def test_the_image_wait_ends_at_the_canary_deadline_without_failing_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = _ImageApi(["RUNNING"])
    monkeypatch.setattr(model_check, "_call", api)
    monkeypatch.setattr(model_check, "POLL_S", 0.05)
    result = model_check.Result()
    started = time.monotonic()
    model_check._image(result, "http://api", "t", "s3://b/k.png", started + 0.3)
    assert time.monotonic() - started < 0.3 + 0.2  # bounded by the deadline, not IMAGE_WAIT_S
    assert result.image == "pending" and result.ok and api.polls >= 2


def test_a_run_out_of_time_fails_saying_so_and_skips_the_image(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def api(result: model_check.Result, method: str, url: str, *args: object) -> tuple[int, object]:
        calls.append(url)
        return (200, {"token": "t"}) if url.endswith("/auth") else (200, {"prediction": 0})

    monkeypatch.setattr(model_check, "_call", api)
    golden = [{"id": str(i), "expected": {"prediction": 0}} for i in range(3)]
    result = model_check.run("http://api", "u", "p", golden, "s3://b/k.png", time.monotonic() - 1)
    assert not result.ok and result.problems == ["out of time: 0 of 3 golden records checked"]
    assert calls == ["http://api/auth"] and result.image == "skipped"
