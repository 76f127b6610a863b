"""The ALB wrapper: a refused target is skipped at once and the request served by another."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from atelier.emulator.ministack_compat import alb as compat

TG = {"TargetGroupArn": "arn:tg", "Port": 8080}
DEAD, LIVE = {"Id": "127.0.9.2", "Port": 8080}, {"Id": "127.0.9.3", "Port": 8080}


def _refused(host: str) -> tuple[int, dict[str, str], bytes]:
    message = f"Target {host}:8080 connect error: [Errno 111] Connection refused"
    return 502, {}, json.dumps({"message": message}).encode()


@pytest.fixture
def proxied(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from ministack.services import alb

    calls: list[str] = []

    async def original(target: dict[str, Any], tg: dict[str, Any], method: str, *a: Any) -> Any:
        calls.append(target["Id"])
        return _refused(target["Id"]) if target is DEAD else (200, {}, b"ok")

    monkeypatch.setattr(alb, "_proxy_http_target", original)
    monkeypatch.setattr(alb, "_targets", {"arn:tg": [DEAD, LIVE]})
    monkeypatch.setattr(compat, "_down", {})
    compat.apply()
    return calls


def test_a_refused_target_is_retried_on_another_and_then_skipped(proxied: list[str]) -> None:
    from ministack.services import alb

    first = asyncio.run(alb._proxy_http_target(DEAD, TG, "POST", "/", {}, b"", {}))
    assert first[0] == 200 and proxied == ["127.0.9.2", "127.0.9.3"]
    proxied.clear()
    second = asyncio.run(alb._proxy_http_target(DEAD, TG, "POST", "/", {}, b"", {}))
    assert second[0] == 200 and proxied == ["127.0.9.3"]  # the dead one is out of rotation


def test_a_post_dropped_mid_request_is_not_retried(
    proxied: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ministack.services import alb

    async def dropped(target: dict[str, Any], tg: dict[str, Any], method: str, *a: Any) -> Any:
        proxied.append(target["Id"])
        body = {"message": "Target x connect error: Remote end closed connection"}
        return 502, {}, json.dumps(body).encode()

    monkeypatch.setattr(alb, "_proxy_http_target", dropped)
    compat.apply()
    answer = asyncio.run(alb._proxy_http_target(DEAD, TG, "POST", "/", {}, b"", {}))
    assert answer[0] == 502 and proxied == ["127.0.9.2"]
    proxied.clear()
    again = asyncio.run(alb._proxy_http_target(DEAD, TG, "GET", "/", {}, b"", {}))
    assert again[0] == 502 and proxied == ["127.0.9.2", "127.0.9.3"]  # GET: both tried
