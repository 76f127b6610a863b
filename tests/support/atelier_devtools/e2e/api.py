"""A small client of the public API, as a user (or the frontend) sees it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from atelier_devtools.e2e.steps import StepFailed

TERMINAL = {"SUCCEEDED", "FAILED"}


@dataclass
class Api:
    base_url: str
    token: str = ""
    timeout: float = 30.0

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
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
                return resp.status, _json(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, _json(err.read())

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
