"""SNS deliveries: the retry policy, back-off, permanent failures, the mailbox, never blocking."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from atelier.emulator.clock import Clock
from atelier.emulator.sns.delivery import Deliverer, policy_of, retry_delays


def test_default_policy_is_three_retries_20_s_apart() -> None:
    """SNS Developer Guide, default delivery policy for HTTP/S: 3 retries, 20 s min/max delay."""
    assert retry_delays() == [20.0, 20.0, 20.0]


def test_custom_policy_phases() -> None:
    delays = retry_delays(
        {
            "numRetries": 6,
            "numNoDelayRetries": 1,
            "numMinDelayRetries": 1,
            "numMaxDelayRetries": 1,
            "minDelayTarget": 1,
            "maxDelayTarget": 9,
            "backoffFunction": "linear",
        }
    )
    assert delays[:2] == [0.0, 1.0] and delays[-1] == 9.0 and len(delays) == 6
    assert delays[2] < delays[3] <= delays[4] <= 9.0


def test_policy_from_subscription_attribute() -> None:
    attrs = {"DeliveryPolicy": json.dumps({"healthyRetryPolicy": {"numRetries": 1}})}
    assert policy_of({}, attrs) == {"numRetries": 1}


class _Endpoint(BaseHTTPRequestHandler):
    statuses: ClassVar[list[int]] = []
    seen: ClassVar[list[float]] = []
    hang = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        _Endpoint.seen.append(time.monotonic())
        time.sleep(_Endpoint.hang)
        code = _Endpoint.statuses.pop(0) if _Endpoint.statuses else 200
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    _Endpoint.statuses, _Endpoint.seen, _Endpoint.hang = [], [], 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def _wait(pred: object, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_failing_endpoint_is_retried_with_backoff_then_delivered(
    endpoint: str, tmp_path: Path
) -> None:
    clock = Clock(speed=100.0)  # 20 s of back-off in 0.2 s
    d = Deliverer(tmp_path / "mail.jsonl", clock.now, clock.real_seconds)
    _Endpoint.statuses = [500, 503, 200]
    d.http(endpoint, "{}")
    assert _wait(lambda: len(_Endpoint.seen) == 3)
    gaps = [b - a for a, b in zip(_Endpoint.seen, _Endpoint.seen[1:], strict=False)]
    assert all(g >= 0.15 for g in gaps), gaps  # 20 clock seconds apart
    d.stop()


def test_4xx_is_permanent_and_retries_stop_after_policy(endpoint: str, tmp_path: Path) -> None:
    clock = Clock(speed=1000.0)
    d = Deliverer(tmp_path / "mail.jsonl", clock.now, clock.real_seconds)
    _Endpoint.statuses = [404]
    d.http(endpoint, "{}")
    assert _wait(lambda: len(_Endpoint.seen) == 1)
    time.sleep(0.3)
    assert len(_Endpoint.seen) == 1  # no retry on 404
    _Endpoint.statuses = [500] * 10
    d.http(endpoint, "{}")
    assert _wait(lambda: len(_Endpoint.seen) == 5)  # 1 attempt + 3 retries
    time.sleep(0.3)
    assert len(_Endpoint.seen) == 5
    d.stop()


def test_hanging_endpoint_does_not_block_other_deliveries(endpoint: str, tmp_path: Path) -> None:
    clock = Clock(speed=1.0)
    d = Deliverer(tmp_path / "mail.jsonl", clock.now, clock.real_seconds)
    _Endpoint.hang = 1.5
    started = time.monotonic()
    d.http(endpoint, "{}")
    d.email("ops@example.com", "ALARM", "body", "arn:topic")
    assert time.monotonic() - started < 0.2  # submitting never waits
    lines = (tmp_path / "mail.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["to"] == "ops@example.com"
    d.stop()
