"""The ALB data plane's forwarding to targets (MiniStack 1.5.33 ``services.alb``).

MiniStack opens a new connection per request and reads the answer in worker threads (three
hand-offs per request); :func:`apply` replaces ``_proxy_http_target`` with the keep-alive,
event-loop forwarder of :mod:`atelier.emulator.elbv2.forwarder`, keeping MiniStack's contract:
hop-by-hop headers dropped, the target's status, headers and framing passed through with the
load balancer's own ``Date``, the body relayed as it arrives and left unterminated when the
target cut it short, 502 when the target cannot be reached. A target that does not connect or
answer within MiniStack's timeouts (``ALB_TARGET_CONNECT_TIMEOUT_SECONDS``,
``ALB_TARGET_IDLE_TIMEOUT_SECONDS``) gets 504, as on AWS, where MiniStack answers 502. A
request that cannot be written as HTTP/1.1 (a header h11 refuses) gets 400 at once, as an
ALB answers a malformed request, and takes no target out of rotation.

Around a dead target: MiniStack picks a random registered target per request. A target whose
connection is *refused* (nothing reached it, so a retry cannot run a request twice) is taken
out of rotation at once for ``DOWN_FOR_S``, and the request goes to another registered target;
a GET/HEAD/OPTIONS whose connection was dropped before any answer (the process died
mid-request) is retried the same way, being idempotent. With two or more targets no such
request fails; with one, requests fail only until its replacement is registered.
"""

from __future__ import annotations

import asyncio
import json
import time
from email.utils import formatdate
from typing import Any
from urllib.parse import urlencode

from atelier.emulator.elbv2 import forwarder

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.alb": (
        "_proxy_http_target", "_targets.get", "TARGET_CONNECT_TIMEOUT", "TARGET_IDLE_TIMEOUT",
    ),
    "ministack.core.responses": ("StreamingResponse",),
}  # fmt: skip
DOWN_FOR_S = 10.0
_down: dict[tuple[str, int], float] = {}
_pools: dict[asyncio.AbstractEventLoop, forwarder.Pool] = {}


def _key(target: dict[str, Any], tg: dict[str, Any]) -> tuple[str, int]:
    return str(target.get("Id", "")), int(target.get("Port") or tg.get("Port") or 80)


def _is_down(key: tuple[str, int]) -> bool:
    until = _down.get(key)
    if until is None:
        return False
    if time.monotonic() >= until:
        _down.pop(key, None)
        return False
    return True


def pool() -> forwarder.Pool:
    """The running event loop's pool (connections belong to the loop that opened them)."""
    from ministack.services import alb

    loop = asyncio.get_running_loop()
    found = _pools.get(loop)
    if found is None:
        for old in [old for old in _pools if old.is_closed()]:
            _pools.pop(old)
        found = _pools[loop] = forwarder.Pool(alb.TARGET_CONNECT_TIMEOUT, alb.TARGET_IDLE_TIMEOUT)
    return found


def _error(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()


def _answer(answer: forwarder.Answer) -> tuple[int, dict[str, Any], Any]:
    from ministack.core.responses import StreamingResponse

    grouped: dict[str, list[str]] = {}
    for name, value in answer.headers:
        grouped.setdefault(name.lower(), []).append(value)
    headers: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}
    headers["date"] = formatdate(usegmt=True)  # the load balancer's own

    async def relay(send: Any, receive: Any) -> None:
        try:
            first = answer.ready()
            if first:
                await send({"type": "http.response.body", "body": first, "more_body": True})
            if not answer.ended:
                await _relay_rest(answer, send, receive)
        finally:
            answer.release()
        if answer.complete:  # withholding the terminator is what marks a truncated body
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return answer.status, headers, StreamingResponse(relay)


async def _relay_rest(answer: forwarder.Answer, send: Any, receive: Any) -> None:
    """The rest of a body that had not arrived yet, until it ends or the client leaves."""

    async def client_gone() -> None:
        while (await receive()).get("type") != "http.disconnect":
            pass

    gone = asyncio.ensure_future(client_gone())
    try:
        while True:
            reading = asyncio.ensure_future(answer.next())
            await asyncio.wait({reading, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not reading.done():
                reading.cancel()
                return
            chunk = reading.result()
            if chunk is None:
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        gone.cancel()


async def proxy(
    target: dict[str, Any], tg: dict[str, Any], method: str, path: str,
    headers: dict[str, Any] | None, body: Any, query_params: dict[str, Any] | None,
    raw_query_string: str | None = None,
) -> tuple[int, dict[str, Any], Any]:  # fmt: skip
    """``_proxy_http_target``'s signature: one request to ``target``, or to another registered
    target of ``tg`` when it cannot be reached (see the module's doc)."""
    from ministack.services import alb

    if raw_query_string is None:
        raw_query_string = urlencode(
            {k: (v if isinstance(v, list) else [v]) for k, v in (query_params or {}).items()},
            doseq=True,
        )
    request_target = path + (f"?{raw_query_string}" if raw_query_string else "")
    fields = [(str(k).lower(), str(v)) for k, v in (headers or {}).items()]
    data = body if isinstance(body, bytes | bytearray) else (body.encode() if body else None)
    idempotent = method.upper() in ("GET", "HEAD", "OPTIONS")
    registered = list(alb._targets.get(tg.get("TargetGroupArn", ""), []))
    order = [target] + [t for t in registered if t is not target]
    live = [t for t in order if not _is_down(_key(t, tg))] or [target]
    failure = _error(502, "no target")
    for candidate in live:
        host, port = _key(candidate, tg)
        try:
            answer = await pool().request(
                host, port, method, request_target, fields, bytes(data) if data else None
            )
        except forwarder.Unsendable as exc:
            return _error(400, f"Bad request: {exc}")
        except forwarder.TimedOut as exc:
            return _error(504, f"Target {host}:{port} timed out: {exc}")
        except forwarder.Unreached as exc:
            failure = _error(502, f"Target {host}:{port} connect error: {exc}")
            if not (exc.refused or idempotent):
                return failure
            _down[(host, port)] = time.monotonic() + DOWN_FOR_S
            continue
        return _answer(answer)
    return failure


def apply() -> str:
    from ministack.services import alb

    if alb._proxy_http_target is not proxy:
        alb._proxy_http_target = proxy
    return "alb: keep-alive forwarding; a refused target is retried on another"
