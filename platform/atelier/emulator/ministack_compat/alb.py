"""The ALB data plane around a dead target (MiniStack 1.5.33 ``services.alb``).

MiniStack picks a random registered target per request and answers 502 when the connection is
refused. Between a task's death and its deregistration (the agent notices within a pass, ~200
ms) every request that picks it fails. :func:`apply` wraps ``_proxy_http_target``: a target whose
connection is *refused* (nothing reached it, so a retry cannot run a request twice) is taken out
of rotation at once for ``DOWN_FOR_S``, and the request goes to another registered target; a
GET/HEAD whose connection was dropped before any answer (the process died mid-request) is
retried the same way, being idempotent. With two or more targets no such request fails; with
one, requests fail only until its replacement is registered. Timeouts, answers and other
methods' dropped connections are answered as before (502/504).
"""

from __future__ import annotations

import json
import time
from typing import Any

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.alb": ("_proxy_http_target", "_targets.get"),
}
DOWN_FOR_S = 10.0
_down: dict[tuple[str, int], float] = {}


def _key(target: dict[str, Any], tg: dict[str, Any]) -> tuple[str, int]:
    return str(target.get("Id", "")), int(target.get("Port") or tg.get("Port") or 80)


def _unreached(result: Any, idempotent: bool) -> bool:
    """The target refused the connection (or, for GET/HEAD, dropped it before answering)."""
    status, _, body = result
    if status != 502 or not isinstance(body, bytes | bytearray):
        return False
    try:
        message = str(json.loads(body).get("message", ""))
    except ValueError:
        return False
    return "connect error" in message and (idempotent or "refused" in message.lower())


def _is_down(key: tuple[str, int]) -> bool:
    until = _down.get(key)
    if until is None:
        return False
    if time.monotonic() >= until:
        _down.pop(key, None)
        return False
    return True


def apply() -> str:
    from ministack.services import alb

    original = alb._proxy_http_target
    if getattr(original, "_atelier", False):
        return "alb: retry a refused target on another"

    async def proxy(
        target: dict[str, Any], tg: dict[str, Any], method: str, *args: Any, **kwargs: Any
    ) -> Any:
        idempotent = method.upper() in ("GET", "HEAD", "OPTIONS")
        registered = list(alb._targets.get(tg.get("TargetGroupArn", ""), []))
        order = [target] + [t for t in registered if t is not target]
        live = [t for t in order if not _is_down(_key(t, tg))] or [target]
        result = None
        for candidate in live:
            result = await original(candidate, tg, method, *args, **kwargs)
            if not _unreached(result, idempotent):
                return result
            _down[_key(candidate, tg)] = time.monotonic() + DOWN_FOR_S
        return result

    proxy._atelier = True  # type: ignore[attr-defined]
    alb._proxy_http_target = proxy
    return "alb: retry a refused target on another"
