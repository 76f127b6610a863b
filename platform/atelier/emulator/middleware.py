"""The thin ASGI layer in front of MiniStack: health, agent status, reconcile triggers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from atelier.emulator.agent import Agent
from atelier.emulator.ministack_compat import app as bridge
from atelier.emulator.s3 import website

log = logging.getLogger("atelier.middleware")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ECS_TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
ECS_MUTATIONS = frozenset(
    {"RunTask", "StopTask", "CreateService", "UpdateService", "DeleteService", "StartTask"}
)
RDS_MUTATIONS = (
    b"Action=CreateDBInstance",
    b"Action=DeleteDBInstance",
    b"Action=RestoreDBInstance",
    b"Action=RebootDBInstance",
    b"Action=StartDBInstance",
    b"Action=StopDBInstance",
)
HEALTH_PATHS = frozenset({"/_localstack/health", "/_atelier/health"})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


class AtelierApp:
    def __init__(self, inner: ASGIApp, agent: Agent, version: str) -> None:
        self.inner = inner
        self.agent = agent
        self.version = version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in HEALTH_PATHS:
            await self._json(send, 200, self._health())
            return
        if path == "/_atelier/status":
            status = await asyncio.to_thread(self.agent.status)
            await self._json(send, 200, status)
            return
        target = _header(scope, b"x-amz-target")
        if (
            target.startswith(ECS_TARGET_PREFIX)
            and target[len(ECS_TARGET_PREFIX) :] in ECS_MUTATIONS
        ):
            await self._ecs_mutation(scope, receive, send)
            return
        if scope.get("method") == "POST" and path == "/" and not target:
            await self._maybe_rds(scope, receive, send)
            return
        host = _header(scope, b"host")
        if ".s3-website" in host:
            scope = website.rewrite(dict(scope), host)
        await self.inner(scope, receive, send)

    async def _ecs_mutation(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold the answer until the agent has acted on it: RunTask returns with a process."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.inner(scope, receive, hold)
        await asyncio.to_thread(self.agent.reconcile_ecs_now)
        for message in held:
            await send(message)

    async def _maybe_rds(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Query-protocol calls (RDS, SQS, SNS, ...): read the (small) form body first, so an
        RDS mutation finds the RDS engine loaded, then replay it to MiniStack."""
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message.get("type") != "http.request":
                break
            body.extend(message.get("body", b""))
            more = bool(message.get("more_body"))
        is_rds = any(marker in body for marker in RDS_MUTATIONS)
        if is_rds:
            await asyncio.to_thread(self.agent.ensure_rds)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.inner(scope, replay, send)
        if is_rds:
            self.agent.wake_rds()

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def on_receive() -> Message:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                await asyncio.to_thread(self.agent.shutdown)
            return message

        async def on_send(message: Message) -> None:
            if message.get("type") == "lifespan.startup.complete":
                self.agent.start()
            await send(message)

        await self.inner(scope, on_receive, on_send)

    def _health(self) -> dict[str, Any]:
        return {
            "services": {name: "running" for name in bridge.service_names()},
            "edition": "atelier",
            "version": self.version,
            "atelier": {"agent": "running", "executor": self.agent.settings.executor},
        }

    @staticmethod
    async def _json(send: Send, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, default=str).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
