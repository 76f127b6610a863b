"""``POST /structured_data``: forwarded to the service's ``/predict``; its errors mapped.

A real HTTP server on a loopback port stands in for the service behind the ALB.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from lambda_testkit import (
    Cloud,
    assert_error,
    invoke,
    load_event,
    load_handler,
    reset_caches,
    with_body,
)

EVENT = load_event("apigw_rest_post_structured_data.json")
PREDICTION = {
    "id": "1789",
    "prediction": 1,
    "label": "benign",
    "probabilities": {"malignant": 0.02, "benign": 0.98},
    "model_version": "v3",
    "latency_ms": 1.2,
}
Reply = Callable[[dict[str, Any]], tuple[int, bytes, float]]


class FakeService:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.peers: set[tuple[str, int]] = set()  # client connections, by address
        self.reply: Reply = lambda body: (
            200,
            json.dumps({**PREDICTION, "id": body["id"]}).encode(),
            0.0,
        )
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the ALB and the service

            def do_POST(self) -> None:
                service.peers.add(self.client_address)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                service.requests.append((self.path, body))
                status, payload, delay = service.reply(body)
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeService]:
    fake = FakeService()
    monkeypatch.setenv("SERVICE_URL", fake.url + "/")
    monkeypatch.setattr("lambda_shared.predict.TIMEOUT_SECONDS", 0.5)
    reset_caches()
    yield fake
    fake.close()


def predict(body: object = None, raw: bool = False) -> Any:
    event = EVENT if body is None else with_body(EVENT, body, raw=raw)
    return invoke(load_handler("structured_data").handler, event)


def test_prediction_is_returned(service: FakeService) -> None:
    answer = predict()
    assert answer.status == 200
    assert answer.body == PREDICTION
    assert service.requests == [("/predict", {"id": "1789"})]


@pytest.mark.parametrize(
    ("status", "payload", "api_status", "code"),
    [
        (404, {"message": "no record with id '999'"}, 404, "not_found"),
        (422, {"message": 'expected a JSON body {"id": "<record id>"}'}, 422, "validation_error"),
        (500, {"message": "internal error"}, 502, "upstream_error"),
        (503, {"message": "Service Temporarily Unavailable"}, 503, "service_unavailable"),
        (502, {}, 503, "service_unavailable"),
        (504, {}, 504, "upstream_timeout"),
        (301, {}, 502, "upstream_error"),
    ],
)
def test_service_errors_are_mapped(
    service: FakeService, status: int, payload: dict[str, Any], api_status: int, code: str
) -> None:
    service.reply = lambda body: (status, json.dumps(payload).encode(), 0.0)
    answer = predict()
    assert_error(answer, api_status, code)
    if status == 404:
        assert answer.body["message"] == "no record with id '999'"


def test_a_warm_worker_keeps_its_connection_to_the_alb(service: FakeService) -> None:
    for _ in range(5):
        assert predict().status == 200
    assert len(service.requests) == 5
    assert len(service.peers) == 1, f"{len(service.peers)} connections for 5 predictions"


def test_service_answer_that_is_not_json_is_502(service: FakeService) -> None:
    service.reply = lambda body: (200, b"<html>oops</html>", 0.0)
    assert_error(predict(), 502, "upstream_error")
    service.reply = lambda body: (200, b'["not", "an", "object"]', 0.0)
    assert_error(predict(), 502, "upstream_error")


def test_slow_service_is_504(service: FakeService) -> None:
    service.reply = lambda body: (200, json.dumps(PREDICTION).encode(), 2.0)
    started = time.monotonic()
    assert_error(predict(), 504, "upstream_timeout")
    assert time.monotonic() - started < 2.0


def test_unreachable_service_is_503(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SERVICE_URL", f"http://127.0.0.1:{port}")
    reset_caches()
    answer = predict()
    assert_error(answer, 503, "service_unavailable")
    assert str(port) not in json.dumps(answer.body)  # internal addresses stay in the logs


@pytest.mark.parametrize(
    ("body", "raw", "status", "code"),
    [
        ('{"id": "1789"', True, 400, "invalid_json"),
        ("not json at all", True, 400, "invalid_json"),
        ({}, False, 422, "validation_error"),
        ({"id": 1789}, False, 422, "validation_error"),
        ({"id": "1789", "debug": True}, False, 422, "validation_error"),
        ({"id": "1789' OR '1'='1"}, False, 422, "validation_error"),
        ({"id": "1789; DROP TABLE features;--"}, False, 422, "validation_error"),
        ({"id": "1" * 33}, False, 422, "validation_error"),
        ({"id": "1" * 70_000}, False, 413, "payload_too_large"),
        ('{"id": "1789", "id": "1' + "'" + ' OR 1=1"}', True, 400, "invalid_json"),
    ],
)
def test_bad_requests_never_reach_the_service(
    service: FakeService, body: object, raw: bool, status: int, code: str
) -> None:
    assert_error(predict(body, raw=raw), status, code)
    assert service.requests == []


def test_invalid_service_url_is_a_configuration_error(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_URL", "file:///etc/passwd")
    reset_caches()
    assert_error(predict(), 500, "configuration_error")


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("pass", 200, None),
        ("latency", 504, "upstream_timeout"),  # a slow ALB: 504 within the timeout, no hang
        ("timeout", 504, "upstream_timeout"),  # an ALB that never answers
        ("reset", 503, "service_unavailable"),  # connections reset
    ],
)
def test_faults_between_the_lambda_and_the_alb(
    service: FakeService, fault_proxy: Any, monkeypatch: pytest.MonkeyPatch,
    mode: str, status: int, code: str | None,
) -> None:  # fmt: skip
    from atelier.emulator.faults.proxy import Fault

    host, port = service.url.removeprefix("http://").split(":")
    proxy = fault_proxy(host, int(port))
    proxy.fault = Fault(mode, latency_s=6.0)  # type: ignore[arg-type]
    monkeypatch.setenv("SERVICE_URL", proxy.url + "/")
    reset_caches()
    started = time.monotonic()
    answer = predict()
    took = time.monotonic() - started
    if code is None:
        assert answer.status == 200 and answer.body == PREDICTION
    else:
        assert_error(answer, status, code)
    # its service timeout is 0.5 s; the bound leaves room for a loaded machine, and stays
    # below the injected latency (6 s) that a lambda without a timeout would wait out
    assert took < 4.0, f"the lambda took {took:.1f}s"
    assert proxy.connections >= 1  # the request went through the proxy


def test_its_cold_start_does_not_import_boto3() -> None:
    """The function calls the ALB over HTTP and no AWS API: boto3 (~110-160 ms of CPU per
    cold start, once through ``lambda_shared``'s exports and once through the link checks)
    stays out of its init. Run as a new process, as a worker starts."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    handler = Path(__file__).resolve().parents[3] / "lambdas" / "structured_data" / "handler.py"
    code = (
        "import json, runpy, sys; runpy.run_path(sys.argv[1]); "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'boto3')))"
    )
    env = {**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "structured_data",
           "SERVICE_URL": "http://127.0.0.1:9"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code, str(handler)], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"the structured function's init imports {loaded}"
