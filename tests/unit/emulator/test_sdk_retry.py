"""RetryReplay: an SDK retry of a call whose answer was lost gets that answer once run."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from atelier.emulator.sdk_retry import RetryReplay


class CreateOnce:
    """A create that refuses what exists (as IAM's CreateRole), counting its executions."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.runs = 0
        self.fail_next_with: int | None = None
        self.gate: asyncio.Event | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.runs += 1
        if self.gate is not None:
            await self.gate.wait()
        name = scope["path"].rsplit("/", 1)[-1]
        if self.fail_next_with is not None:
            status, self.fail_next_with = self.fail_next_with, None
            self.names.add(name)  # the create happened, then the answer failed
        elif name in self.names:
            status = 409
        else:
            self.names.add(name)
            status = 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": json.dumps({"status": status}).encode()})


def _scope(name: str, invocation: str | None, attempt: int) -> dict[str, Any]:
    headers = []
    if invocation is not None:
        headers = [(b"amz-sdk-invocation-id", invocation.encode()),
                   (b"amz-sdk-request", f"ttl=20261201T000000Z; attempt={attempt}; max=25".encode())]  # fmt: skip
    return {"type": "http", "method": "POST", "path": f"/roles/{name}", "headers": headers}


async def _call(app: Any, scope: dict[str, Any]) -> int:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


def test_without_the_replay_a_retried_create_meets_its_own_first_attempt() -> None:
    """The failure the wrapper exists for, on the bare app: attempt 2 of one call gets 409."""
    inner = CreateOnce()
    assert asyncio.run(_call(inner, _scope("r", "inv-1", 1))) == 200
    assert asyncio.run(_call(inner, _scope("r", "inv-1", 2))) == 409


def test_a_retry_of_a_succeeded_call_gets_its_answer_and_does_not_run_again() -> None:
    inner = CreateOnce()
    app = RetryReplay(inner)

    async def scenario() -> list[int]:
        return [
            await _call(app, _scope("r", "inv-1", 1)),
            await _call(app, _scope("r", "inv-1", 2)),
        ]

    assert asyncio.run(scenario()) == [200, 200]
    assert inner.runs == 1 and app.replayed == 1


def test_a_new_call_creating_what_exists_is_still_refused() -> None:
    inner = CreateOnce()
    app = RetryReplay(inner)

    async def scenario() -> list[int]:
        return [await _call(app, _scope("r", "inv-1", 1)), await _call(app, _scope("r", "inv-2", 1)),
                await _call(app, _scope("r", None, 1))]  # fmt: skip

    assert asyncio.run(scenario()) == [200, 409, 409]
    assert inner.runs == 3 and app.replayed == 0


def test_errors_are_not_kept_so_a_retry_after_a_5xx_runs_again() -> None:
    inner = CreateOnce()
    inner.fail_next_with = 500
    app = RetryReplay(inner)

    async def scenario() -> list[int]:
        return [
            await _call(app, _scope("r", "inv-1", 1)),
            await _call(app, _scope("r", "inv-1", 2)),
        ]

    assert asyncio.run(scenario()) == [500, 409]  # as AWS would answer that retry
    assert inner.runs == 2


def test_a_retry_arriving_while_the_first_attempt_runs_waits_for_its_answer() -> None:
    inner = CreateOnce()
    inner.gate = asyncio.Event()
    app = RetryReplay(inner)

    async def scenario() -> list[int]:
        assert inner.gate is not None
        first = asyncio.create_task(_call(app, _scope("r", "inv-1", 1)))
        await asyncio.sleep(0)
        retry = asyncio.create_task(_call(app, _scope("r", "inv-1", 2)))
        await asyncio.sleep(0.01)
        assert not retry.done()
        inner.gate.set()
        return [await first, await retry]

    assert asyncio.run(scenario()) == [200, 200]
    assert inner.runs == 1


def test_the_replay_is_logged_naming_the_action(caplog: Any) -> None:
    app = RetryReplay(CreateOnce())
    first, retry = _scope("r", "inv-1", 1), _scope("r", "inv-1", 2)
    for scope in (first, retry):
        scope["headers"].append((b"x-amz-target", b"Logs_20140328.CreateLogGroup"))

    async def scenario() -> None:
        await _call(app, first)
        await _call(app, retry)

    with caplog.at_level("WARNING", logger="atelier.sdk_retry"):
        asyncio.run(scenario())
    assert "attempt 2" in caplog.text and "Logs_20140328.CreateLogGroup" in caplog.text
