"""The thin ASGI layer in front of MiniStack: health, agent status, reconcile triggers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from atelier.emulator.agent import Agent
from atelier.emulator.application_autoscaling import TARGET_PREFIX as AUTOSCALING_TARGET_PREFIX
from atelier.emulator.asgi import ASGIApp, Message, Receive, Scope, Send, signed_service
from atelier.emulator.logs import query_definitions
from atelier.emulator.meter import METER
from atelier.emulator.meter.http import observe as meter_observe
from atelier.emulator.ministack_compat import app as bridge

if TYPE_CHECKING:
    from atelier.emulator.application_autoscaling.backend import Backend as AutoscalingBackend
    from atelier.emulator.application_autoscaling.scaler import Scaler
    from atelier.emulator.ministack_compat.persistence import Snapshotter
    from atelier.emulator.synthetics.responses import SyntheticsApp

log = logging.getLogger("atelier.middleware")

LOGS_TARGET_PREFIX = "Logs_20140328."
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
    def __init__(
        self,
        inner: ASGIApp,
        agent: Agent,
        version: Callable[[], str],
        snapshotter: Snapshotter | None = None,
        on_request: Callable[[], None] = lambda: None,
        gc_status: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.inner = inner
        self.on_request = on_request
        self.gc_status = gc_status
        self.agent = agent
        self.version = version
        self.synthetics: SyntheticsApp | None = None
        self.query_definitions = query_definitions.QueryDefinitions()
        self.autoscaling: tuple[AutoscalingBackend, Scaler] | None = None
        self.snapshotter = snapshotter
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        self.on_request()
        path = scope.get("path", "")
        if path in HEALTH_PATHS:
            await self._json(send, 200, self._health())
            return
        if path == "/_atelier/status":
            status = await asyncio.to_thread(self.agent.status)
            status["ministack"] = bridge.loaded()
            if self.gc_status is not None:
                status["gc"] = self.gc_status()
            if self.snapshotter is not None:
                status["persistence"] = self.snapshotter.status()
            await self._json(send, 200, status)
            return
        if path == "/_atelier/meter":
            await self._meter(scope, receive, send)
            return
        meter_observe(scope)
        signed = signed_service(_header(scope, b"authorization"))
        if signed is not None and signed[2] == "synthetics":
            await self._synthetics()(scope, receive, send, signed[0], signed[1])
            return
        target = _header(scope, b"x-amz-target")
        if target.startswith(AUTOSCALING_TARGET_PREFIX) and signed is not None:
            action = target[len(AUTOSCALING_TARGET_PREFIX) :]
            await self._autoscaling(receive, send, action, signed)
            return
        if target.startswith(LOGS_TARGET_PREFIX) and signed is not None:
            action = target[len(LOGS_TARGET_PREFIX) :]
            if action in query_definitions.ACTIONS:
                await self._query_definitions(receive, send, action, signed)
                return
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
            from atelier.emulator.s3 import website

            scope = website.rewrite(dict(scope), host)
        await self.inner(scope, receive, send)

    async def _query_definitions(
        self, receive: Receive, send: Send, action: str, signed: tuple[str, str, str]
    ) -> None:
        """Saved Logs Insights queries, which MiniStack lacks (emulator/logs/query_definitions)."""
        from atelier.emulator.ministack_compat.accounts import account_of

        body = bytearray()
        while True:
            message = await receive()
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            await self._json(
                send, 400, {"__type": "SerializationException", "message": "Invalid JSON"}
            )
            return
        status, payload = self.query_definitions.handle(
            action, data, account_of(signed[0]), signed[1]
        )
        await self._json(send, status, payload)

    async def _autoscaling(
        self, receive: Receive, send: Send, action: str, signed: tuple[str, str, str]
    ) -> None:
        """Application Auto Scaling, which MiniStack lacks (emulator/application_autoscaling)."""
        from atelier.emulator.application_autoscaling import responses as autoscaling
        from atelier.emulator.ministack_compat.accounts import account_of

        if self.autoscaling is None:
            from atelier.emulator.application_autoscaling.backend import Backend
            from atelier.emulator.application_autoscaling.scaler import Scaler
            from atelier.emulator.ministack_compat.ecs import service_exists

            backend = Backend(ecs_service_exists=service_exists)
            scaler = Scaler(backend, self.agent.ecs.processes, self.agent.settings.endpoint_url)
            backend.on_register = scaler.registered
            self.autoscaling = (backend, scaler)
        body = bytearray()
        while True:
            message = await receive()
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        status, payload = autoscaling.handle(
            self.autoscaling[0], action, bytes(body), account_of(signed[0]), signed[1]
        )
        await self._json(send, status, payload, "application/x-amz-json-1.1")

    async def _meter(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GET: what ran since start (or the last reset); POST: replay clock or reset."""
        if scope.get("method") == "POST":
            body = bytearray()
            while True:
                message = await receive()
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    break
            try:
                config = json.loads(body or b"{}")
                if not isinstance(config, dict):
                    raise ValueError("expected a JSON object")
                METER.configure(config)
            except (ValueError, TypeError) as exc:
                await self._json(send, 400, {"error": f"bad meter settings: {exc}"})
                return
        from atelier.emulator.ministack_compat.meter import alarm_names

        snapshot = METER.snapshot()
        snapshot["alarms"] = sorted(set(snapshot["alarms"]) | set(alarm_names()))
        await self._json(send, 200, snapshot)

    def _synthetics(self) -> SyntheticsApp:
        """MiniStack has no Synthetics API: the runtime serves it (created on first use)."""
        if self.synthetics is None:
            from atelier.emulator.ministack_compat.accounts import account_of
            from atelier.emulator.synthetics.responses import SyntheticsApp
            from atelier.emulator.synthetics.runner import Runner

            settings = self.agent.settings
            runner = Runner(settings.endpoint_url, settings.home / "synthetics")
            self.synthetics = SyntheticsApp(runner, account_of)
        return self.synthetics

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
                if self.synthetics is not None:
                    self.synthetics.runner.shutdown()
                if self.autoscaling is not None:
                    await asyncio.to_thread(self.autoscaling[1].shutdown)
                if self._flusher is not None:
                    self._flusher.cancel()
                await asyncio.to_thread(self.agent.shutdown)
            return message

        async def on_send(message: Message) -> None:
            if message.get("type") == "lifespan.startup.complete":
                self.agent.start()
                if self.snapshotter is not None:
                    self._flusher = asyncio.create_task(self.snapshotter.flush_forever())
            await send(message)

        await self.inner(scope, on_receive, on_send)

    def _health(self) -> dict[str, Any]:
        return {
            "services": {name: "running" for name in bridge.service_names()},
            "edition": "atelier",
            "version": self.version(),
            "atelier": {"agent": "running", "executor": self.agent.settings.executor},
        }

    @staticmethod
    async def _json(
        send: Send, status: int, payload: dict[str, Any], content_type: str = "application/json"
    ) -> None:
        body = json.dumps(payload, default=str).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
