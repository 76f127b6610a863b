"""The ``synthetics`` REST API (rest-json) in front of MiniStack, which has none.

The middleware sends here every request signed for the ``synthetics`` service; the paths are
AWS's (``/canary``, ``/canary/{name}``, ``/canary/{name}/start|stop|runs``, ``/canaries``,
``/tags/{arn}``). Errors have AWS's shape: ``x-amzn-ErrorType`` and ``{"Message": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from atelier.emulator.asgi import Receive, Send
from atelier.emulator.synthetics import api
from atelier.emulator.synthetics.models import SyntheticsError, validation

if TYPE_CHECKING:  # the runner (boto3) loads with the first Synthetics call, not at start
    from atelier.emulator.synthetics.runner import Runner

log = logging.getLogger("atelier.synthetics")


class SyntheticsApp:
    def __init__(self, runner: Runner, account_of: Callable[[str], str]) -> None:
        self.runner = runner
        self.store = runner.store
        self.account_of = account_of

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Receive,
        send: Send,
        access_key: str,
        region: str,
    ) -> None:
        raw = bytearray()
        while True:
            message = await receive()
            raw.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise validation("The request body must be a JSON object")
        except json.JSONDecodeError:
            body = None
        try:
            if body is None:
                raise SyntheticsError("SerializationException", 400, "Malformed JSON body")
            account = await asyncio.to_thread(self.account_of, access_key)
            status, payload = await asyncio.to_thread(
                self.dispatch,
                scope.get("method", "GET"),
                scope.get("raw_path") or b"",
                scope.get("path", ""),
                scope.get("query_string", b""),
                body,
                account,
                region,
            )
            headers: list[tuple[bytes, bytes]] = []
        except SyntheticsError as exc:
            status, payload = exc.status, {"Message": exc.message, "message": exc.message}
            headers = [(b"x-amzn-errortype", exc.code.encode())]
        data = json.dumps(payload, default=str).encode()
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    def dispatch(
        self,
        method: str,
        raw_path: bytes,
        path: str,
        query: bytes,
        body: dict[str, Any],
        account: str,
        region: str,
    ) -> tuple[int, dict[str, Any]]:
        parts = [unquote(p) for p in (raw_path.decode() or path).split("?")[0].split("/") if p]
        params = parse_qs(query.decode())
        store, fetch = self.store, self.runner.fetch_s3
        if parts == ["canary"] and method == "POST":
            canary = api.create(store, account, region, body, fetch)
            return 200, {"Canary": canary.to_api()}
        if parts == ["canaries"] and method == "POST":
            return 200, api.describe(store, account, region, body)
        if parts == ["canaries", "last-run"] and method == "POST":
            found = api.describe(store, account, region, body)["Canaries"]
            last = [
                {
                    "CanaryName": c["Name"],
                    "LastRun": self.store.get(account, region, c["Name"]).runs[0].to_api(),
                }
                for c in found
                if self.store.get(account, region, c["Name"]).runs
            ]
            return 200, {"CanariesLastRun": last}
        if len(parts) >= 2 and parts[0] == "canary":
            canary = store.get(account, region, parts[1])
            action = (method, parts[2] if len(parts) > 2 else "")
            if action == ("GET", ""):
                return 200, {"Canary": canary.to_api()}
            if action == ("PATCH", ""):
                with store.lock:
                    api.update(canary, body, fetch)
                return 200, {}
            if action == ("DELETE", ""):
                with store.lock:
                    api.delete(store, canary)
                return 200, {}
            if action == ("POST", "start"):
                with store.lock:
                    api.start(canary, self.runner.now())
                self.runner.wake()
                return 200, {}
            if action == ("POST", "stop"):
                with store.lock:
                    api.stop(canary, self.runner.now())
                return 200, {}
            if action == ("POST", "runs"):
                return 200, api.runs(canary, body)
        if len(parts) >= 2 and parts[0] == "tags":
            canary = store.by_arn("/".join(parts[1:]))
            if method == "GET":
                return 200, {"Tags": dict(canary.tags)}
            if method == "POST":
                api.tag(canary, body)
                return 200, {}
            if method == "DELETE":
                api.untag(canary, params.get("tagKeys", []))
                return 200, {}
        raise SyntheticsError(
            "UnknownOperationException",
            404,
            f"No Synthetics operation for {method} /{'/'.join(parts)}",
        )
