"""A small TCP proxy on loopback that injects faults between a client and its upstream.

``FaultProxy(upstream_host, upstream_port, fault)`` listens on 127.0.0.1 (a free port unless
given) and relays bytes both ways, applying ``fault``:

- ``latency`` s before the first byte of each answer reaches the client (a slow dependency);
- ``reset``: accept, then close the connection with a TCP RST (SO_LINGER 0) before relaying;
- ``timeout``: accept, read, never answer (a dependency that hangs);
- ``refuse``: not listening at all (the port is closed);
- ``lose_answer``: relay the request, wait until the upstream starts answering (the call ran),
  then close the client's connection with a TCP RST: the answer is lost on the way back.

``Fault(..., connections=n)`` applies the fault to the next ``n`` connections only, then passes
(a fault that clears, so a client's retry gets through).

The fault can be changed while the proxy runs (``proxy.fault = Fault(...)``). Used by the
``fault_proxy`` pytest fixture and ``atelier faults proxy``. toxiproxy's server is not on PyPI;
this covers what the tests need in ~150 lines of asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Literal

Mode = Literal["pass", "latency", "reset", "timeout", "lose_answer"]


@dataclass(frozen=True)
class Fault:
    mode: Mode = "pass"
    latency_s: float = 0.0
    connections: int | None = None  # None: every connection; n: the next n, then pass


class FaultProxy:
    def __init__(
        self, upstream_host: str, upstream_port: int, fault: Fault | None = None,
        listen_port: int = 0,
    ) -> None:  # fmt: skip
        self.upstream = (upstream_host, upstream_port)
        self.fault = fault or Fault()
        self._listen_port = listen_port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="atelier-fault-proxy", daemon=True)
        self.port = 0
        self.connections = 0
        self._faulted: dict[int, int] = {}  # id(fault) => connections it has applied to

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self._listen_port)
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    # -- one connection ----------------------------------------------------------------------
    def _take_fault(self) -> Fault:
        fault = self.fault
        if fault.connections is None:
            return fault
        used = self._faulted.get(id(fault), 0)
        if used >= fault.connections:
            return Fault()
        self._faulted[id(fault)] = used + 1
        return fault

    @staticmethod
    def _reset(writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        fault = self._take_fault()
        try:
            if fault.mode == "reset":
                self._reset(writer)
                return
            if fault.mode == "timeout":
                while await reader.read(65536):
                    pass
                return
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        if fault.mode == "lose_answer":
            relay = asyncio.ensure_future(self._pipe(reader, up_writer, 0.0))
            with contextlib.suppress(Exception):
                await up_reader.read(1)  # the upstream answers: the call has run
            relay.cancel()
            up_writer.close()
            self._reset(writer)
            return
        delay = fault.latency_s if fault.mode == "latency" else 0.0
        await asyncio.gather(
            self._pipe(reader, up_writer, 0.0), self._pipe(up_reader, writer, delay),
            return_exceptions=True,
        )  # fmt: skip

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, delay: float) -> None:
        first = True
        try:
            while data := await src.read(65536):
                if first and delay:
                    await asyncio.sleep(delay)
                first = False
                dst.write(data)
                await dst.drain()
        finally:
            with contextlib.suppress(Exception):
                dst.close()
