"""An SDK's retry of a call whose answer was lost gets that answer, not a second execution.

Every AWS SDK names each operation call with an ``amz-sdk-invocation-id`` header, the same on
each retry of that call, and counts its attempts in ``amz-sdk-request`` (``attempt=2; max=25``).
An SDK retries when the connection breaks before the answer arrives. On AWS that is rare; on one
busy laptop it happens when a kept-alive connection is closed under a request or the runtime is
starved: the first attempt ran (the role, the log group exists), its answer never arrived, and
the retry of a create meets ``EntityAlreadyExists`` / ``ResourceAlreadyExistsException``: a
Terraform apply that fails locally for a reason AWS would not give.

So the runtime keeps the successful (2xx) answers of recent calls by invocation id, and a later
attempt of the same call gets the kept answer. A retry that arrives while the first attempt still
runs waits for it. Errors are never kept: a retry after a 5xx or a throttle runs again, as on AWS.
A call with a new invocation id always runs: creating what exists is still refused.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from atelier.emulator.asgi import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("atelier.sdk_retry")

_ATTEMPT = re.compile(r"(?:^|;)\s*attempt=(\d+)")
MAX_ENTRIES = 2048  # calls remembered (an apply of ~300 resources makes ~1,500)
MAX_BODY = 1 << 20  # answers larger than this are not kept (downloads, never creates)
TTL_S = 900.0  # longer than any SDK's whole retry budget


@dataclass
class _Call:
    done: asyncio.Event = field(default_factory=asyncio.Event)
    messages: list[Message] | None = None  # the 2xx answer, when kept
    at: float = field(default_factory=time.monotonic)
    action: str = ""  # X-Amz-Target, or the query protocol's Action: for the log
    took_s: float = 0.0  # how long the first attempt ran
    send_failed: str = ""  # the error sending its answer raised, if any


_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")


def _headers(scope: Scope) -> tuple[str, int, str]:
    invocation, attempt, target = "", 1, ""
    for key, value in scope.get("headers") or []:
        name = bytes(key).lower()
        if name == b"amz-sdk-invocation-id":
            invocation = bytes(value).decode("latin-1").strip()
        elif name == b"amz-sdk-request":
            match = _ATTEMPT.search(bytes(value).decode("latin-1"))
            attempt = int(match.group(1)) if match else 1
        elif name == b"x-amz-target":
            target = bytes(value).decode("latin-1")
    return invocation, attempt, target


class RetryReplay:
    """ASGI wrapper: answers an SDK retry from the kept answer of its earlier attempt."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: OrderedDict[tuple[str, str, str], _Call] = OrderedDict()
        self.replayed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        invocation, attempt, target = _headers(scope)
        if not invocation:
            await self.app(scope, receive, send)
            return
        key = (invocation, str(scope.get("method", "")), str(scope.get("path", "")))
        earlier = self.calls.get(key)
        if earlier is not None and attempt > 1:
            await earlier.done.wait()
            if earlier.messages is not None:
                self.replayed += 1
                log.warning(
                    "SDK retry (attempt %d) of %s %s %s: its first attempt succeeded in %.2f s "
                    "but the client did not get the answer%s; answering with it instead of "
                    "running it again", attempt, scope.get("method"), scope.get("path"),
                    earlier.action or "?", earlier.took_s,
                    f" (sending it: {earlier.send_failed})" if earlier.send_failed else "",
                )  # fmt: skip
                for message in earlier.messages:
                    await send(message)
                return
        call = _Call(action=target)
        self._remember(key, call)
        kept: list[Message] = []
        size = 0

        async def reading() -> Message:
            message = await receive()
            if not call.action and message.get("type") == "http.request":
                found = _ACTION.search(bytes(message.get("body", b""))[:512])
                call.action = found.group(1).decode() if found else ""
            return message

        async def recording(message: Message) -> None:
            nonlocal size
            if message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            if size <= MAX_BODY:
                kept.append(dict(message))
            try:
                await send(message)
            except Exception as exc:
                call.send_failed = f"{type(exc).__name__}: {exc}"[:200]
                raise

        try:
            await self.app(scope, reading, recording)
        finally:
            status = int(kept[0].get("status", 0)) if kept else 0
            if 200 <= status < 300 and size <= MAX_BODY:
                call.messages = kept
            call.took_s = time.monotonic() - call.at
            call.done.set()

    def _remember(self, key: tuple[str, str, str], call: _Call) -> None:
        self.calls[key] = call
        self.calls.move_to_end(key)
        now = time.monotonic()
        while self.calls:
            oldest_key, oldest = next(iter(self.calls.items()))
            if len(self.calls) <= MAX_ENTRIES and now - oldest.at < TTL_S:
                break
            if not oldest.done.is_set():
                break  # still running: a waiting retry needs it
            del self.calls[oldest_key]
