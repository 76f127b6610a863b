"""The every-minute model check, one module for both places it runs: the ``canary`` Lambda on
the runtime (an EventBridge schedule, ``rate(1 minute)``) and the CloudWatch Synthetics canary on
AWS (``api_canary.handler`` imports :func:`run`). Standard library only, plus boto3 to publish.

One run: log in as the monitoring user (``POST /auth``), predict each golden structured record
(``POST /structured_data``) and compare with its golden answer, submit the golden
image (``POST /non_structured_data_images``, when an image link is configured) and follow its
job until it succeeds, fails or the run's time is up (``deadline``: the canary's own timeout
less a margin to publish), then publish to
``Atelier/Canary``: ``Success`` (1/0), ``Failures`` (0/1), ``WrongAnswers``, ``Latency`` (ms, one
value per call), ``ServerErrors`` (5xx answers).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "Atelier/Canary"
TIMEOUT_S = 10.0
IMAGE_WAIT_S = 20.0  # the longest image wait when the caller gives no deadline
POLL_S = 1.0


@dataclass
class Result:
    ok: bool = True
    wrong_answers: int = 0
    server_errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    image: str = "skipped"
    image_job: str = ""
    deadline: float | None = None  # time.monotonic() by which the run must be done
    call_timeout: float = TIMEOUT_S  # seconds one API call may take

    def time_left(self) -> float:
        return self.call_timeout if self.deadline is None else self.deadline - time.monotonic()

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "wrong_answers": self.wrong_answers,
            "server_errors": self.server_errors,
            "latencies_ms": self.latencies_ms,
            "problems": self.problems,
            "image": self.image,
            "image_job": self.image_job,
        }


def _call(
    result: Result, method: str, url: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    started = time.perf_counter()
    timeout = max(
        1.0, min(result.call_timeout, result.time_left())
    )  # never past the run's deadline
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 (our API)
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except OSError as exc:
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.fail(f"{method} {url}: no answer ({exc.__class__.__name__})")
        return 0, None
    result.latencies_ms.append((time.perf_counter() - started) * 1000)
    if status >= 500:
        result.server_errors += 1
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def same_answer(expected: dict[str, Any], got: Any, tolerance: float = 1e-4) -> bool:
    if not isinstance(got, dict) or got.get("prediction") != expected.get("prediction"):
        return False
    probabilities = got.get("probabilities") or {}
    return all(
        abs(float(probabilities.get(k, -1)) - float(v)) <= tolerance
        for k, v in (expected.get("probabilities") or {}).items()
    )


def run(
    api_url: str,
    username: str,
    password: str,
    golden: list[dict[str, Any]],
    image_link: str | None = None,
    deadline: float | None = None,
    call_timeout: float = TIMEOUT_S,
) -> Result:
    """One model check, done by ``deadline`` (``time.monotonic()``): records left unchecked
    then are a failure ("out of time"), the image job is followed until then."""
    result = Result(deadline=deadline, call_timeout=call_timeout)
    base = api_url.rstrip("/")
    status, body = _call(
        result, "POST", f"{base}/auth", {"username": username, "password": password}
    )
    token = body.get("token") if isinstance(body, dict) else None
    if status != 200 or not token:
        result.fail(f"login as {username} answered {status}")
        return result
    for n, case in enumerate(golden):
        if result.time_left() <= 0:
            result.fail(f"out of time: {n} of {len(golden)} golden records checked")
            return result
        status, got = _call(result, "POST", f"{base}/structured_data", {"id": case["id"]}, token)
        if status != 200:
            result.fail(f"record {case['id']}: HTTP {status}")
        elif not same_answer(case["expected"], got):
            result.wrong_answers += 1
            result.fail(f"record {case['id']}: wrong answer {got!r}")
    if image_link and result.time_left() > 0:
        _image(result, base, token, image_link, deadline)
    return result


def _image(result: Result, base: str, token: str, link: str, deadline: float | None) -> None:
    status, body = _call(
        result, "POST", f"{base}/non_structured_data_images", {"link": link}, token
    )
    job_id = body.get("job_id") if isinstance(body, dict) else None
    if status not in (200, 201, 202) or not job_id:
        result.image = "refused"
        result.fail(f"image job refused: HTTP {status} {body!r}"[:300])
        return
    result.image_job = str(job_id)
    own = time.monotonic() + IMAGE_WAIT_S
    deadline = own if deadline is None else min(deadline, own)
    while True:
        status, job = _call(result, "GET", f"{base}/jobs/{job_id}", None, token)
        state = job.get("status") if isinstance(job, dict) else None
        if state == "SUCCEEDED":
            result.image = "succeeded"
            return
        if state == "FAILED" or status >= 400:
            result.image = "failed"
            result.fail(f"image job {job_id} failed: {job}")
            return
        if time.monotonic() + POLL_S >= deadline:
            break
        time.sleep(POLL_S)
    result.image = "pending"  # the job's own limit is the JobsOverdue alarm's business


def metric_data(result: Result) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = [
        {"MetricName": "Success", "Value": 1.0 if result.ok else 0.0, "Unit": "Count"},
        {"MetricName": "Failures", "Value": 0.0 if result.ok else 1.0, "Unit": "Count"},
        {"MetricName": "WrongAnswers", "Value": float(result.wrong_answers), "Unit": "Count"},
        {"MetricName": "ServerErrors", "Value": float(result.server_errors), "Unit": "Count"},
    ]
    if result.latencies_ms:
        data.append(
            {"MetricName": "Latency", "Values": result.latencies_ms, "Unit": "Milliseconds"}
        )
    return data


def publish(result: Result, cloudwatch: Any) -> None:
    cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=metric_data(result))
