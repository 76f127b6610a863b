"""Keep-alive forwarding to targets (``atelier.emulator.elbv2.forwarder``), against real
loopback servers scripted per test."""

from __future__ import annotations

import asyncio
import socket
import warnings
from collections.abc import Awaitable, Callable

import pytest

from atelier.emulator.elbv2 import forwarder
from atelier.emulator.elbv2.forwarder import Pool

Handler = Callable[["Target", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


class Target:
    """A loopback server; ``connections`` counts the TCP connections it accepted. Its handler
    gets the target itself, then the connection's reader and writer."""

    def __init__(self, handler: Handler) -> None:
        self.handler, self.connections = handler, 0
        self.requests: list[bytes] = []

    async def __aenter__(self) -> Target:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.handler(self, reader, writer)
            finally:
                writer.close()

        self.server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
        request = head + await reader.readexactly(length)
        self.requests.append(request)
        return request


async def _keep_answering(
    target: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    while True:
        try:
            await target.read_request(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        writer.write(OK)
        await writer.drain()


async def _whole(answer: forwarder.Answer) -> bytes:
    body = answer.ready()
    while (chunk := await answer.next()) is not None:
        body += chunk
    answer.release()
    return body


def _free_port() -> int:
    with socket.socket() as sock:  # bound, never listening: a connect is refused
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_requests_in_a_row_share_one_connection() -> None:
    async def run() -> tuple[int, int, list[bytes]]:
        async with Target(_keep_answering) as target:
            pool = Pool(1.0, 1.0)
            bodies = []
            for _ in range(3):
                answer = await pool.request("127.0.0.1", target.port, "POST", "/predict",
                                            [("host", "svc"), ("connection", "close")], b"{}")  # fmt: skip
                bodies.append(await _whole(answer))
            pool.close()
            return target.connections, pool.opened, bodies

    connections, opened, bodies = asyncio.run(run())
    assert bodies == [b"ok"] * 3
    assert (connections, opened) == (1, 1), "each request opened its own connection"


def test_the_request_is_framed_by_the_forwarder_not_the_client() -> None:
    async def run() -> bytes:
        async with Target(_keep_answering) as target:
            pool = Pool(1.0, 1.0)
            headers = [("host", "svc"), ("transfer-encoding", "chunked"), ("x-a", "1")]
            await _whole(
                await pool.request("127.0.0.1", target.port, "POST", "/p?q=1", headers, b"abc")
            )
            pool.close()
            return target.requests[0]

    request = asyncio.run(run()).lower()
    assert request.startswith(b"post /p?q=1 http/1.1\r\n")
    assert b"content-length: 3\r\n" in request and b"transfer-encoding" not in request
    assert b"x-a: 1\r\n" in request and request.endswith(b"abc")


def test_an_idle_connection_past_its_expiry_is_not_used_again() -> None:
    now = [0.0]

    async def run() -> tuple[int, int]:
        async with Target(_keep_answering) as target:
            pool = Pool(1.0, 1.0, clock=lambda: now[0])
            await _whole(await pool.request("127.0.0.1", target.port, "GET", "/", [], None))
            now[0] += forwarder.IDLE_EXPIRY_S
            await _whole(await pool.request("127.0.0.1", target.port, "GET", "/", [], None))
            pool.close()
            return target.connections, pool.opened

    assert asyncio.run(run()) == (2, 2)


def test_a_connection_the_target_closed_is_not_used_again() -> None:
    async def once(
        target: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await target.read_request(reader)
        writer.write(OK)  # keep-alive framing, then the target closes (its keep-alive ran out)
        await writer.drain()

    async def run() -> list[bytes]:
        async with Target(once) as target:
            pool = Pool(1.0, 1.0)
            first = await _whole(
                await pool.request("127.0.0.1", target.port, "POST", "/", [], b"1")
            )
            await asyncio.sleep(0.05)  # the close reaches this side's socket
            second = await _whole(
                await pool.request("127.0.0.1", target.port, "POST", "/", [], b"2")
            )
            pool.close()
            return [first, second]

    assert asyncio.run(run()) == [b"ok", b"ok"]


def test_a_refused_connection_is_unreached_and_refused() -> None:
    async def run() -> None:
        await Pool(1.0, 1.0).request("127.0.0.1", _free_port(), "POST", "/", [], b"")

    with pytest.raises(forwarder.Unreached) as caught:
        asyncio.run(run())
    assert caught.value.refused and "refused" in str(caught.value).lower()


def test_a_connection_dropped_before_the_answer_is_unreached_not_refused() -> None:
    async def drop(_: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # read the request, then die without answering

    async def run() -> None:
        async with Target(drop) as target:
            await Pool(1.0, 1.0).request("127.0.0.1", target.port, "POST", "/", [], b"")

    with pytest.raises(forwarder.Unreached) as caught:
        asyncio.run(run())
    assert not caught.value.refused


def test_a_silent_target_times_out() -> None:
    async def silent(_: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async def run() -> None:
        async with Target(silent) as target:
            await Pool(1.0, 0.2).request("127.0.0.1", target.port, "GET", "/", [], None)

    with pytest.raises(forwarder.TimedOut, match=r"0\.2 s"):
        asyncio.run(run())


def test_a_body_cut_short_ends_incomplete_and_its_connection_is_closed() -> None:
    async def short(_: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf")
        await writer.drain()

    async def run() -> tuple[bytes, bool, int]:
        async with Target(short) as target:
            pool = Pool(1.0, 1.0)
            answer = await pool.request("127.0.0.1", target.port, "GET", "/", [], None)
            body = await _whole(answer)
            return body, answer.complete, sum(len(v) for v in pool._idle.values())

    body, complete, idle = asyncio.run(run())
    assert (body, complete, idle) == (b"half", False, 0)


def test_a_chunked_body_arrives_piece_by_piece() -> None:
    async def chunked(
        _: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\none\r\n")
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.write(b"3\r\ntwo\r\n0\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    async def run() -> tuple[bytes, bytes | None, bytes, bool]:
        async with Target(chunked) as target:
            pool = Pool(1.0, 1.0)
            answer = await pool.request("127.0.0.1", target.port, "GET", "/", [], None)
            first = answer.ready() or await answer.next() or b""
            second = await answer.next()
            rest = await _whole(answer)
            return first, second, rest, answer.complete

    assert asyncio.run(run()) == (b"one", b"two", b"", True)


def test_a_request_h11_refuses_is_unsendable_and_costs_no_connection() -> None:
    async def run() -> tuple[int, int, bytes]:
        async with Target(_keep_answering) as target:
            pool = Pool(1.0, 1.0)
            with pytest.raises(forwarder.Unsendable, match=r"valid HTTP/1\.1"):
                await pool.request("127.0.0.1", target.port, "GET", "/",
                                   [("x-bad", "a\nb")], None)  # fmt: skip
            before = target.connections
            body = await _whole(await pool.request("127.0.0.1", target.port, "GET", "/", [], None))
            pool.close()
            return before, target.connections, body

    before, after, body = asyncio.run(run())
    assert before == 0, "a request that was never sendable opened a connection"
    assert (after, body) == (1, b"ok")


def test_an_answer_dropped_unreleased_closes_its_connection() -> None:
    """The client left before the body was relayed: nothing calls ``release``. The connection
    is closed as the answer is freed, by the pool, not by the stream's finalizer with a
    ``ResourceWarning`` ("unclosed StreamWriter")."""
    closed = asyncio.Event()

    async def answer_then_wait(
        target: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await target.read_request(reader)
        writer.write(OK)
        await writer.drain()
        if await reader.read() == b"":
            closed.set()

    async def run() -> bool:
        async with Target(answer_then_wait) as target:
            pool = Pool(1.0, 1.0)
            answer = await pool.request("127.0.0.1", target.port, "GET", "/", [], None)
            assert answer.status == 200
            del answer
            try:
                await asyncio.wait_for(closed.wait(), 1.0)
            except TimeoutError:
                return False
            return True

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(run()), "an unreleased answer left its connection open"
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not unclosed, f"the connection was left to the garbage collector: {unclosed}"
