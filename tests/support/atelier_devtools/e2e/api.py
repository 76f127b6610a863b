"""A small client of the public API, as a user (or the frontend) sees it."""

from __future__ import annotations

import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from atelier_devtools.e2e.steps import StepFailed

TERMINAL = {"SUCCEEDED", "FAILED"}
RETRY_BASE_S = 0.5
RETRY_CAP_S = 8.0


def retry_delay(
    attempt: int, retry_after: str | None, rand: Callable[[], float] = random.random
) -> float:
    """Full-jitter exponential back-off (capped), or the server's Retry-After seconds."""
    try:
        if retry_after is not None and float(retry_after) >= 0:
            return min(float(retry_after), RETRY_CAP_S)
    except ValueError:
        pass
    return float(rand() * min(RETRY_CAP_S, RETRY_BASE_S * 2 ** (attempt - 1)))


def http_timeout() -> float:
    """Seconds one request may take: ATELIER_E2E_HTTP_TIMEOUT, default 30 (API Gateway's own
    limit is 29 s). On a heavily shared machine, cold starts of the authorizer and the function
    Lambdas can stack past it."""
    raw = os.environ.get("ATELIER_E2E_HTTP_TIMEOUT", "")
    try:
        return float(raw) if raw else 30.0
    except ValueError:
        return 30.0


def _say(message: str) -> None:
    print(f"[api] {message}", file=sys.stderr, flush=True)


@dataclass
class Api:
    base_url: str
    token: str = ""
    timeout: float = field(default_factory=http_timeout)
    # 429 (throttled before the Lambda ran) is retried for every method; 503 for GET only
    # (a POST that got 503 may have created a FAILED job: a retry would create another)
    max_retries: int = 3
    on_retry: Callable[[str], None] = _say
    sleep: Callable[[float], None] = time.sleep

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        for attempt in range(1, self.max_retries + 2):
            status, payload, retry_after = self._once(method, path, body)
            retryable = status == 429 or (status == 503 and method == "GET")
            if not retryable or attempt > self.max_retries:
                return status, payload
            delay = retry_delay(attempt, retry_after)
            self.on_retry(
                f"{method} {path} answered {status}; retrying in {delay:.1f} s "
                f"(attempt {attempt} of {self.max_retries})"
            )
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _once(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any], str | None]:
        data = None if body is None else json.dumps(body).encode()
        url = self.base_url.rstrip("/") + path
        if not url.startswith(("http://", "https://")):
            raise StepFailed(f"the API URL must be http(s): {url}")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, _json(resp.read()), None
        except urllib.error.HTTPError as err:
            return err.code, _json(err.read()), err.headers.get("Retry-After")
        except (TimeoutError, urllib.error.URLError) as err:
            reason = getattr(err, "reason", err)
            if not isinstance(reason, TimeoutError):
                raise StepFailed(f"{method} {path}: {reason}") from err
            raise StepFailed(
                f"{method} {path}: no answer within {self.timeout:.0f} s "
                f"(ATELIER_E2E_HTTP_TIMEOUT; load average {os.getloadavg()[0]:.1f})"
            ) from err

    def expect(self, status: int, method: str, path: str, body: Any = None) -> dict[str, Any]:
        got, payload = self.call(method, path, body)
        if got != status:
            raise StepFailed(f"{method} {path}: expected {status}, got {got}: {payload}")
        return payload

    def login(self, username: str, password: str) -> None:
        payload = self.expect(200, "POST", "/auth", {"username": username, "password": password})
        self.token = str(payload["token"])

    def wait_job(self, job_id: str, timeout: float, on_update: Any = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = self.expect(200, "GET", f"/jobs/{job_id}")
            if on_update is not None:
                on_update(job)
            if job.get("status") in TERMINAL:
                return job
            time.sleep(0.5)
        raise StepFailed(f"job {job_id} not finished after {timeout:.0f} s: {job}")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except json.JSONDecodeError:
        return {"raw": raw[:500].decode(errors="replace")}
    return value if isinstance(value, dict) else {"value": value}
