"""The ALB's forwarding as MiniStack calls it (``_proxy_http_target``): the answer relayed with
the target's framing, a refused target skipped at once and the request served by another,
timeouts as 504, against real loopback targets."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from atelier.emulator.ministack_compat import alb as compat

LIVE_ANSWER = (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n"
               b"date: Mon, 01 Jan 2001 00:00:00 GMT\r\n\r\nok")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from ministack.services import alb

    monkeypatch.setattr(compat, "_down", {})
    monkeypatch.setattr(alb, "_proxy_http_target", alb._proxy_http_target)
    compat.apply()
    yield alb._proxy_http_target
    compat._pools.clear()


async def _collect(
    answer: tuple[int, dict[str, Any], Any],
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    status, headers, body = answer
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {}

    if isinstance(body, bytes):
        return status, headers, [{"body": body, "more_body": False}]
    await body.runner(send, receive)
    return status, headers, sent


async def _serve(
    answer: bytes, seen: list[bytes], once: bool = False
) -> tuple[asyncio.AbstractServer, int]:
    """A target writing ``answer`` to each request (``once``: then it closes; empty: it drops
    the connection without answering)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                seen.append(await reader.readuntil(b"\r\n\r\n"))
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            if answer:
                writer.write(answer)
                await writer.drain()
            if once or not answer:
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


def test_the_answer_keeps_the_targets_headers_with_the_load_balancers_date(proxy: Any) -> None:
    async def run() -> tuple[int, dict[str, Any], list[dict[str, Any]], list[bytes]]:
        seen: list[bytes] = []
        server, port = await _serve(LIVE_ANSWER, seen)
        target, tg = {"Id": "127.0.0.1", "Port": port}, {"TargetGroupArn": "arn:none"}
        headers = {"Host": "svc", "Connection": "keep-alive", "X-Amzn-Trace-Id": "Root=1"}
        result = await _collect(await proxy(target, tg, "GET", "/p", headers, b"", {"a": "1"}))
        server.close()
        return (*result, seen)

    status, headers, sent, seen = asyncio.run(run())
    assert status == 200 and headers["set-cookie"] == ["a=1", "b=2"]
    assert headers["content-length"] == "2" and "2001" not in headers["date"]
    assert b"".join(m["body"] for m in sent) == b"ok" and sent[-1]["more_body"] is False
    assert seen[0].startswith(b"GET /p?a=1 HTTP/1.1") and b"x-amzn-trace-id: Root=1" in seen[0]


def test_a_refused_target_is_retried_on_another_and_then_skipped(
    proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ministack.services import alb

    async def run() -> tuple[int, int, int, list[bytes]]:
        seen: list[bytes] = []
        server, port = await _serve(LIVE_ANSWER, seen)
        dead, live = {"Id": "127.0.0.1", "Port": _free_port()}, {"Id": "127.0.0.1", "Port": port}
        monkeypatch.setattr(alb, "_targets", {"arn:tg": [dead, live]})
        tg = {"TargetGroupArn": "arn:tg"}
        first = await _collect(await proxy(dead, tg, "POST", "/", {}, b"{}", {}))
        down = len(compat._down)
        second = await _collect(await proxy(dead, tg, "POST", "/", {}, b"{}", {}))
        server.close()
        return first[0], second[0], down, seen

    first, second, down, seen = asyncio.run(run())
    assert (first, second) == (200, 200) and len(seen) == 2
    assert down == 1, "the refused target was not taken out of rotation"


def test_a_post_dropped_mid_request_is_not_retried_a_get_is(
    proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ministack.services import alb

    async def run() -> tuple[tuple[int, str], int, int]:
        dropped: list[bytes] = []
        answered: list[bytes] = []
        dropping, port_d = await _serve(b"", dropped)
        live, port_l = await _serve(LIVE_ANSWER, answered)
        first = {"Id": "127.0.0.1", "Port": port_d}
        monkeypatch.setattr(
            alb, "_targets", {"arn:tg": [first, {"Id": "127.0.0.1", "Port": port_l}]}
        )
        tg = {"TargetGroupArn": "arn:tg"}
        post = await _collect(await proxy(first, tg, "POST", "/", {}, b"{}", {}))
        posted_elsewhere = len(answered)
        compat._down.clear()
        get = await _collect(await proxy(first, tg, "GET", "/", {}, b"", {}))
        dropping.close()
        live.close()
        message = json.loads(post[2][0]["body"])["message"]
        return (post[0], message), posted_elsewhere, get[0]

    (status, message), posted_elsewhere, get = asyncio.run(run())
    assert status == 502 and "connect error" in message and posted_elsewhere == 0
    assert get == 200, "an idempotent request dropped by one target goes to another"


def test_a_target_slower_than_the_idle_timeout_gets_504(
    proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ministack.services import alb

    monkeypatch.setattr(alb, "TARGET_IDLE_TIMEOUT", 0.2)

    async def run() -> tuple[int, str]:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(3)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = int(server.sockets[0].getsockname()[1])
        status, _, body = await proxy(
            {"Id": "127.0.0.1", "Port": port}, {}, "GET", "/", {}, b"", {}
        )
        server.close()
        return status, json.loads(body)["message"]

    status, message = asyncio.run(run())
    assert status == 504 and "timed out" in message


def test_a_body_cut_short_is_relayed_without_its_terminator(proxy: Any) -> None:
    async def run() -> list[dict[str, Any]]:
        seen: list[bytes] = []
        server, port = await _serve(
            b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf", seen, once=True
        )
        answer = await proxy({"Id": "127.0.0.1", "Port": port}, {}, "GET", "/", {}, b"", {})
        server.close()
        _, _, sent = await _collect(answer)
        return sent

    sent = asyncio.run(run())
    assert b"".join(m["body"] for m in sent) == b"half"
    assert all(m["more_body"] for m in sent), "a truncated body was terminated as if whole"


def test_a_request_that_is_not_valid_http_gets_400_and_no_target_is_taken_down(
    proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ministack.services import alb

    async def run() -> tuple[int, dict[str, Any], int]:
        seen: list[bytes] = []
        server, port = await _serve(LIVE_ANSWER, seen)
        one = {"Id": "127.0.0.1", "Port": port}
        two = dict(one)  # a second registered target on the same port
        monkeypatch.setattr(alb, "_targets", {"arn:tg": [one, two]})
        status, _, body = await proxy(
            one, {"TargetGroupArn": "arn:tg"}, "GET", "/", {"X-Bad": "a\r\nb"}, b"", {}
        )
        server.close()
        return status, json.loads(body), len(seen)

    status, body, seen = asyncio.run(run())
    assert status == 400 and "valid HTTP/1.1" in body["message"]
    assert seen == 0 and compat._down == {}, "a malformed request took targets out of rotation"
