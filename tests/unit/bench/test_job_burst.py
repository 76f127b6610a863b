"""The job burst counts what the API accepted and follows each job to its end: a job that never
ends is reported lost (against a small fake API on loopback)."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from atelier_devtools.bench import job_burst


class FakeApi(BaseHTTPRequestHandler):
    ids = itertools.count()
    lock = threading.Lock()
    stuck: ClassVar[set[str]] = set()

    def log_message(self, *_: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            n = next(self.ids)
        if n == 0:
            self._answer(503, {"message": "busy", "error": "unavailable"})
        else:
            self._answer(202, {"job_id": f"job-{n}", "status": "PENDING"})

    def do_GET(self) -> None:
        job_id = self.path.rsplit("/", 1)[-1]
        status = (
            "RUNNING" if job_id in self.stuck else ("FAILED" if job_id == "job-1" else "SUCCEEDED")
        )
        self._answer(200, {"job_id": job_id, "status": status})


@pytest.fixture
def api() -> Iterator[str]:
    FakeApi.ids = itertools.count()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_every_accepted_job_is_followed_to_its_terminal_state(api: str) -> None:
    FakeApi.stuck = set()
    burst = job_burst.run(api, "token", "s3://b/k.png", jobs=4)
    assert (len(burst.accepted), dict(burst.refused)) == (3, {"503 unavailable": 1})
    assert dict(burst.ends) == {"FAILED": 1, "SUCCEEDED": 2} and burst.lost == []
    table = dict(job_burst.rows(burst))
    assert table["lost (accepted, never terminal within 10 min)"] == "0"


def test_a_job_that_never_ends_is_reported_lost(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeApi.stuck = {"job-2"}
    monkeypatch.setattr(job_burst, "DEADLINE", 1.5)
    burst = job_burst.run(api, "token", "s3://b/k.png", jobs=3)
    assert burst.lost == ["job-2"]
    assert dict(job_burst.rows(burst))["lost (accepted, never terminal within 10 min)"] == "1"


def test_a_submission_without_an_answer_is_counted_not_fatal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(job_burst, "DEADLINE", 0.5)
    burst = job_burst.run("http://127.0.0.1:9", "token", "s3://b/k.png", jobs=2)  # nothing listens
    assert burst.accepted == [] and sum(burst.refused.values()) == 2, burst.refused
