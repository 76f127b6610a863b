"""A burst of image jobs through API Gateway, and every accepted job followed to its end.

The image path's peak is one job an hour (``topology.yaml``, ``requests``); the burst is ten
times that, all at once: ``JOBS`` submissions of a seeded composite image, sent together from
as many threads, each with its own Idempotency-Key. Then each accepted job is polled
(``GET /jobs/{id}``) until it is terminal (SUCCEEDED or FAILED) or ``DEADLINE`` passes: a job
still PENDING/RUNNING then, or an accepted job the API no longer knows, counts as lost.
Part of ``python -m atelier_devtools.bench load``.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

JOBS = 10
DEADLINE = 600.0
TERMINAL = ("SUCCEEDED", "FAILED")


@dataclass
class Burst:
    submitted: int = 0
    accepted: list[str] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    submit_ms: list[float] = field(default_factory=list)
    ends: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    to_terminal_s: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _call(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, method=method
    )
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    if body is not None:
        req.add_header("Idempotency-Key", uuid.uuid4().hex)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")
    except (TimeoutError, urllib.error.URLError) as err:  # no answer: counted, not fatal
        return 0, {"error": f"no answer ({type(err).__name__})"}


def run(api: str, token: str, link: str, jobs: int = JOBS) -> Burst:
    burst = Burst(submitted=jobs)
    started = time.monotonic()

    def submit(_: int) -> tuple[int, Any, float]:
        t0 = time.monotonic()
        status, body = _call("POST", f"{api}/non_structured_data_images", token, {"link": link})
        return status, body, (time.monotonic() - t0) * 1000

    with ThreadPoolExecutor(jobs) as pool:
        answers = list(pool.map(submit, range(jobs)))
    accepted_at = time.monotonic()
    for status, body, ms in answers:
        burst.submit_ms.append(ms)
        if status == 202:
            burst.accepted.append(str(body["job_id"]))
        else:
            burst.refused[f"{status} {body.get('error', '')}".strip()] += 1
    pending = set(burst.accepted)
    deadline = accepted_at + DEADLINE
    while pending and time.monotonic() < deadline:
        for job_id in sorted(pending):
            status, body = _call("GET", f"{api}/jobs/{job_id}", token)
            if status == 200 and body.get("status") in TERMINAL:
                burst.ends[str(body["status"])] += 1
                burst.to_terminal_s.append(time.monotonic() - accepted_at)
                pending.discard(job_id)
            elif status == 404:
                burst.lost.append(job_id)
                pending.discard(job_id)
        time.sleep(1.0)
    burst.lost += sorted(pending)
    burst.seconds = time.monotonic() - started
    return burst


def rows(burst: Burst) -> list[tuple[str, str]]:
    ms = sorted(burst.submit_ms)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))] if ms else 0.0
    ends = ", ".join(f"{n} {state}" for state, n in sorted(burst.ends.items())) or "none"
    refused = ", ".join(f"{n}x {why}" for why, n in burst.refused.items()) or "0"
    last = max(burst.to_terminal_s, default=0.0)
    wall = max(max(ms, default=1.0) / 1000, 1e-3)  # all sent at once: the slowest answer ends it
    return [
        ("submitted at once (10x the image path's peak of 1 an hour)", str(burst.submitted)),
        ("accepted (202)", str(len(burst.accepted))),
        ("refused (errors)", refused),
        (
            "submission latency p50 / p99 / max",
            f"{statistics.median(ms) if ms else 0:.0f} / {p99:.0f} / {max(ms, default=0):.0f} ms",
        ),
        ("accepted per second of the burst", f"{len(burst.accepted) / wall:.1f} jobs/s"),
        ("terminal states", ends),
        ("last job terminal after", f"{last:.1f} s"),
        ("lost (accepted, never terminal within 10 min)", str(len(burst.lost))),
    ]
