"""The e2e API client backs off on 429 (and 503 for GET), bounded, and says so."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from atelier_devtools.e2e.api import RETRY_CAP_S, Api, retry_delay


@pytest.fixture
def server() -> Iterator[tuple[str, list[int], list[str]]]:
    """Answers the statuses queued in ``answers`` (then 200), records each request's method."""
    answers: list[int] = []
    methods: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            methods.append(self.command)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = answers.pop(0) if answers else 200
            body = json.dumps({"message": "x", "status": status}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", answers, methods
    finally:
        httpd.shutdown()
        httpd.server_close()


def _api(url: str, said: list[str]) -> Api:
    return Api(url, on_retry=said.append, sleep=lambda s: None)


def test_429_is_retried_and_reported(server: tuple[str, list[int], list[str]]) -> None:
    url, answers, methods = server
    answers += [429, 429]
    said: list[str] = []
    assert _api(url, said).call("POST", "/structured_data", {"id": "1"})[0] == 200
    assert methods == ["POST"] * 3
    assert said[0].startswith("POST /structured_data answered 429; retrying in 0.0 s")


def test_503_is_retried_for_get_only(server: tuple[str, list[int], list[str]]) -> None:
    url, answers, methods = server
    answers += [503, 503]
    said: list[str] = []
    assert _api(url, said).call("POST", "/non_structured_data_images", {})[0] == 503
    assert _api(url, said).call("GET", "/jobs/x")[0] == 200
    assert methods == ["POST", "GET", "GET"]


def test_retries_are_bounded(server: tuple[str, list[int], list[str]]) -> None:
    url, answers, methods = server
    answers += [429] * 10
    assert _api(url, []).call("GET", "/jobs/x")[0] == 429
    assert len(methods) == 4  # the call and 3 retries


def test_the_delay_has_jitter_and_a_cap() -> None:
    assert retry_delay(1, None, lambda: 0.5) == 0.25
    assert retry_delay(30, None, lambda: 0.999) <= RETRY_CAP_S
    assert retry_delay(1, "2", lambda: 0.0) == 2.0


def test_a_request_without_an_answer_in_time_is_a_step_failure_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow answer (cold starts stacking on a loaded machine) fails the step with the request
    and the timeout, not a bare "timed out"; ATELIER_E2E_HTTP_TIMEOUT sets the limit."""
    import time

    from atelier_devtools.e2e.steps import StepFailed

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            time.sleep(1.0)
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("ATELIER_E2E_HTTP_TIMEOUT", "0.2")
        api = Api(f"http://127.0.0.1:{httpd.server_address[1]}")
        assert api.timeout == 0.2
        with pytest.raises(StepFailed, match=r"POST /non_structured_data_images: no answer within"):
            api.call("POST", "/non_structured_data_images", {"link": "s3://b/k"})
    finally:
        httpd.shutdown()
        httpd.server_close()
