"""Keep-alive HTTP/1.1 from the load balancer to its targets, on the event loop.

An ALB keeps its connections to a target open and sends request after request on them. Each
request here takes an idle connection to its target from the pool (or opens one), writes the
request with h11 and reads the answer on the event loop: no TCP handshake and no worker thread
per request. A connection goes back to the pool only when both sides ended their message
cleanly; one idle for :data:`IDLE_EXPIRY_S`, or that the target closed, is not used again.
The expiry stays under the keep-alive timeouts of common servers (gunicorn 2 s, uvicorn 5 s),
so the pool does not send on a connection the target is closing.

Errors: :class:`Unsendable` when the request is not valid HTTP/1.1 (checked before any
connection is taken), :class:`Unreached` when no answer came back (refused, reset, closed
before a status line), :class:`TimedOut` when the target took longer than the connect or idle
timeout. An answer dropped without :meth:`Answer.release` (the client left before its body was
relayed) closes its connection when it is freed.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import h11

IDLE_EXPIRY_S = 1.0
MAX_IDLE_PER_TARGET = 32
READ_SIZE = 65536


class Unreached(Exception):
    """No answer came back from the target. ``refused``: the connection itself was refused, so
    the request reached nothing and can be sent to another target whatever its method."""

    def __init__(self, message: str, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


class TimedOut(Exception):
    """The target did not connect or answer within the timeout."""


class Unsendable(Exception):
    """The request cannot be written as HTTP/1.1 (a header name or value, or the target, that
    h11 refuses). It reached no target: the client's request is at fault, not the target."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    state: h11.Connection = field(default_factory=lambda: h11.Connection(h11.CLIENT))
    idle_since: float = 0.0

    def usable(self, now: float) -> bool:
        """Idle for less than the expiry and still open: nothing readable on an idle
        connection (an end of file the event loop has not read yet, as from a target that
        just exited; or bytes no request asked for)."""
        if now - self.idle_since >= IDLE_EXPIRY_S or self.reader.at_eof():
            return False
        if self.writer.is_closing():
            return False
        sock = self.writer.get_extra_info("socket")
        readable, _, _ = select.select([sock.fileno()], [], [], 0)
        return not readable

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # its event loop already closed
            self.writer.transport.abort()


class Answer:
    """A target's status line and headers; its body comes from :meth:`ready` (what has already
    arrived, without waiting) then :meth:`next` (waits for more). :attr:`ended` is set when the
    body ends, :attr:`complete` when the target ended its message (else it was cut short)."""

    def __init__(
        self, pool: Pool, key: tuple[str, int], conn: _Connection, response: h11.Response
    ) -> None:
        self._pool, self._key, self._conn = pool, key, conn
        self.status: int = response.status_code
        self.headers: list[tuple[str, str]] = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers
        ]
        self.ended = self.complete = False
        self._released = False
        # dropped unreleased (never relayed): the connection is closed, not left to the loop's
        # garbage collection and its ResourceWarning
        self._unreleased = weakref.finalize(self, conn.close)
        self._unreleased.atexit = False

    def ready(self) -> bytes:
        """The body bytes already received, parsed without waiting for the network."""
        parts: list[bytes] = []
        while not self.ended:
            try:
                event = self._conn.state.next_event()
            except h11.RemoteProtocolError:
                self.ended = True
                break
            if event is h11.NEED_DATA:
                break
            parts.append(self._take(event))
        return b"".join(parts)

    async def next(self) -> bytes | None:
        """The next chunk of the body, waiting for it; None once the body has ended."""
        while not self.ended:
            try:
                event = await self._pool._event(self._conn)
            except (h11.RemoteProtocolError, OSError, TimedOut):
                self.ended = True
                return None
            chunk = self._take(event)
            if chunk:
                return chunk
        return None

    def _take(self, event: object) -> bytes:
        """A body chunk's bytes; any other event ends the body (whole at ``EndOfMessage``)."""
        if isinstance(event, h11.Data):
            return bytes(event.data)
        self.ended = True
        self.complete = isinstance(event, h11.EndOfMessage)
        return b""

    def release(self) -> None:
        """Ends this answer: its connection goes back to the pool if it can carry another
        request (the body was read to its end), else it is closed."""
        if not self._released:
            self._released = True
            self._unreleased.detach()
            self._pool._checkin(self._key, self._conn, reusable=self.complete)


class Pool:
    """Idle keep-alive connections per target (host, port)."""

    def __init__(
        self, connect_timeout: float, idle_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.connect_timeout, self.idle_timeout = connect_timeout, idle_timeout
        self._clock = clock
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self.opened = 0  # connections opened, for tests and status

    async def request(
        self, host: str, port: int, method: str, target: str,
        headers: list[tuple[str, str]], body: bytes | None,
    ) -> Answer:  # fmt: skip
        """Sends one request; returns once the target's status line and headers are in."""
        key = (host, port)
        framing = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        if body or method.upper() in _BODY_METHODS:
            framing.append(("content-length", str(len(body or b""))))
        if not any(k.lower() == "host" for k, _ in framing):
            framing.insert(0, ("host", f"{host}:{port}"))
        try:  # validated before a connection is taken: a bad request costs no target anything
            head = h11.Request(method=method.upper(), target=target, headers=framing)
        except h11.LocalProtocolError as exc:
            raise Unsendable(f"not a valid HTTP/1.1 request: {exc}") from exc
        conn = self._checkout(key) or await self._open(key)
        try:
            out = conn.state.send(head)
            out += conn.state.send(h11.Data(data=body)) if body else b""
            out += conn.state.send(h11.EndOfMessage())
            conn.writer.write(out)
            while True:
                event = await self._event(conn)
                if isinstance(event, h11.Response):
                    return Answer(self, key, conn, event)
                if not isinstance(event, h11.InformationalResponse):
                    raise Unreached("connection closed before a response", refused=False)
        except TimedOut:
            conn.close()
            raise
        except (h11.RemoteProtocolError, OSError) as exc:
            conn.close()
            raise Unreached(f"connection dropped before a response: {exc}", refused=False) from exc
        except BaseException:
            conn.close()
            raise

    async def _event(self, conn: _Connection) -> object:
        """The next h11 event of ``conn``, reading from the target as needed."""
        while True:
            event = conn.state.next_event()
            if event is not h11.NEED_DATA:
                return event
            try:
                async with asyncio.timeout(self.idle_timeout):
                    data = await conn.reader.read(READ_SIZE)
            except TimeoutError as exc:
                raise TimedOut(f"no data for {self.idle_timeout:g} s") from exc
            conn.state.receive_data(data)

    def _checkout(self, key: tuple[str, int]) -> _Connection | None:
        idle, now = self._idle.get(key), self._clock()
        while idle:
            conn = idle.pop()
            if conn.usable(now):
                return conn
            conn.close()
        return None

    async def _open(self, key: tuple[str, int]) -> _Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(*key)
        except TimeoutError as exc:
            raise TimedOut(f"no connection within {self.connect_timeout:g} s") from exc
        except ConnectionRefusedError as exc:
            raise Unreached(f"Connection refused ({exc})", refused=True) from exc
        except OSError as exc:  # unreachable, unresolvable: nothing was sent either
            raise Unreached(str(exc), refused=True) from exc
        self.opened += 1
        return _Connection(reader, writer)

    def _checkin(self, key: tuple[str, int], conn: _Connection, reusable: bool) -> None:
        state = conn.state
        if reusable and state.our_state is h11.DONE and state.their_state is h11.DONE:
            state.start_next_cycle()
            conn.idle_since = self._clock()
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE_PER_TARGET:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


_HOP_BY_HOP = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
