"""Deliveries off the request path, with SNS's retry policy (SNS Developer Guide, "Amazon SNS
message delivery retries"): the default HTTP/S policy retries 3 times, 20 s apart (linear
back-off between ``minDelayTarget`` and ``maxDelayTarget``); a subscription's or topic's
``DeliveryPolicy`` (``healthyRetryPolicy``) overrides it. 2xx is delivered; 4xx other than 429
is a permanent failure; anything else (5xx, 429, timeout after 15 s, refused) is retried.

E-mail goes to a local mailbox, one JSON line per message: ``<home>/mailbox/mail.jsonl``
(``atelier alerts`` reads it).
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("atelier.sns")
ATTEMPT_TIMEOUT_S = 15.0
DEFAULT_POLICY = {
    "numRetries": 3,
    "numNoDelayRetries": 0,
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numMinDelayRetries": 0,
    "numMaxDelayRetries": 0,
    "backoffFunction": "linear",
}
_counts = {"delivered": 0, "retried": 0, "failed": 0, "emails": 0}


def counters() -> dict[str, int]:
    return dict(_counts)


def retry_delays(policy: dict[str, Any] | None = None) -> list[float]:
    """Seconds to wait before each retry (len == numRetries), as SNS's delivery policy says."""
    p = {**DEFAULT_POLICY, **(policy or {})}
    total = int(p["numRetries"])
    no_delay = min(int(p["numNoDelayRetries"]), total)
    at_min = min(int(p["numMinDelayRetries"]), total - no_delay)
    at_max = min(int(p["numMaxDelayRetries"]), total - no_delay - at_min)
    backoff = total - no_delay - at_min - at_max
    lo, hi = float(p["minDelayTarget"]), float(p["maxDelayTarget"])
    delays = [0.0] * no_delay + [lo] * at_min
    for i in range(1, backoff + 1):
        frac = i / backoff
        if p["backoffFunction"] == "exponential":
            delay = lo * (hi / lo) ** frac if lo > 0 else hi * frac
        elif p["backoffFunction"] == "geometric":
            delay = lo + (hi - lo) * frac * frac
        elif p["backoffFunction"] == "arithmetic":
            delay = lo + (hi - lo) * (i * (i + 1) / 2) / (backoff * (backoff + 1) / 2)
        else:  # linear
            delay = lo + (hi - lo) * frac
        delays.append(delay)
    return delays + [hi] * at_max


def policy_of(*attribute_sets: dict[str, Any]) -> dict[str, Any] | None:
    for attrs in attribute_sets:
        raw = (attrs or {}).get("DeliveryPolicy")
        if not raw:
            continue
        try:
            doc = json.loads(raw)
        except ValueError:
            continue
        healthy = (doc.get("http") or {}).get("defaultHealthyRetryPolicy") or doc.get(
            "healthyRetryPolicy"
        )
        if isinstance(healthy, dict):
            return healthy
    return None


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    endpoint: str = field(compare=False)
    payload: str = field(compare=False)
    delays: list[float] = field(compare=False)
    attempt: int = field(default=0, compare=False)


class Deliverer:
    """A few worker threads and a timer heap: Publish never waits for an endpoint."""

    def __init__(
        self,
        mailbox: Path,
        now: Callable[[], float],
        real_seconds: Callable[[float], float],
        workers: int = 4,
    ) -> None:
        self.mailbox, self.now, self.real_seconds = mailbox, now, real_seconds
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stopped = False
        self._mail_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"atelier-sns-{i}", daemon=True)
            for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    def http(self, endpoint: str, payload: str, policy: dict[str, Any] | None = None) -> None:
        job = _Job(self.now(), next(self._seq), endpoint, payload, retry_delays(policy))
        with self._cv:
            heapq.heappush(self._heap, job)
            self._cv.notify()

    def email(self, to: str, subject: str, body: str, topic_arn: str) -> None:
        self.mailbox.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"time": self.now(), "to": to, "subject": subject, "topic": topic_arn, "body": body}
        )
        with self._mail_lock, self.mailbox.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        _counts["emails"] += 1

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (not self._heap or self._heap[0].due > self.now()):
                    wait = self.real_seconds(self._heap[0].due - self.now()) if self._heap else None
                    self._cv.wait(timeout=wait)
                if self._stopped:
                    return
                job = heapq.heappop(self._heap)
            self._attempt(job)

    def _attempt(self, job: _Job) -> None:
        outcome = post(job.endpoint, job.payload)
        if outcome == "ok":
            _counts["delivered"] += 1
            return
        if outcome == "retry" and job.attempt < len(job.delays):
            job.due = self.now() + job.delays[job.attempt]
            job.attempt += 1
            _counts["retried"] += 1
            log.info(
                "SNS delivery to %s failed; retry %d in %.0f s",
                job.endpoint,
                job.attempt,
                job.delays[job.attempt - 1],
            )
            with self._cv:
                heapq.heappush(self._heap, job)
                self._cv.notify()
            return
        _counts["failed"] += 1
        log.warning("SNS delivery to %s abandoned after %d attempts", job.endpoint, job.attempt + 1)


def post(endpoint: str, payload: str, message_type: str = "Notification") -> str:
    """One attempt: "ok", "retry" or "fail"."""
    request = urllib.request.Request(  # noqa: S310 (a subscriber URL, http or https)
        endpoint,
        data=payload.encode(),
        method="POST",
        headers={
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": message_type,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=ATTEMPT_TIMEOUT_S) as resp:  # noqa: S310 (subscriber URL)
            return "ok" if 200 <= resp.status < 300 else "retry"
    except urllib.error.HTTPError as exc:
        return "fail" if 400 <= exc.code < 500 and exc.code != 429 else "retry"
    except OSError:
        return "retry"
