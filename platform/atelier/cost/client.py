"""The replay's client of the public API: JSON over HTTP with the user's bearer token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from atelier.cost.prices import CostError


@dataclass
class ApiClient:
    base_url: str
    token: str = ""
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise CostError(f"outputs.json: api_url is not an http(s) URL: {self.base_url}")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url.rstrip("/") + path, data=data, method=method)  # noqa: S310 - checked
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - checked
                return resp.status, _json(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, _json(err.read())

    def login(self, username: str, password: str) -> None:
        status, payload = self.call("POST", "/auth", {"username": username, "password": password})
        if status != 200 or "token" not in payload:
            raise CostError(f"POST /auth answered {status}: the seeded user cannot log in")
        self.token = str(payload["token"])


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except json.JSONDecodeError:
        return {"raw": raw[:200].decode(errors="replace")}
    return value if isinstance(value, dict) else {"value": value}


def runtime_client(service: str, endpoint: str, region: str) -> Any:
    """A boto3 client of the local runtime, with the runtime's fixed administrator key."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the runtime's fixed key
    )
