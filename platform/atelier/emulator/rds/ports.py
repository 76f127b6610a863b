"""An instance's loopback port, held by the runtime for as long as the instance lives.

An RDS endpoint never changes; here it is ``127.0.0.1:<port>``. Between two PostgreSQL processes
on that port (a restart after a death, a restart of the runtime, StopDBInstance then
StartDBInstance) the port is free, and on a busy machine any other program may take it: a
``bind(0)`` of another server, or an outgoing connection's ephemeral port. The instance would
then come back elsewhere, and clients and secrets holding the old endpoint would break.

:class:`PortHold` keeps the port with a socket bound with ``SO_REUSEADDR`` that never listens.
The kernel then gives the port to no ``bind(0)`` and to no outgoing connection, refuses it to a
plain ``bind``, and still lets PostgreSQL (and the TLS-only proxy), which bind with
``SO_REUSEADDR`` and listen, take it while the hold stays. :func:`holders` says who has a port
when the hold could not be had, so that a moved endpoint is explained in the instance's events.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

# /proc/net/tcp states (include/net/tcp_states.h)
_STATES = {"01": "ESTABLISHED", "06": "TIME_WAIT", "08": "CLOSE_WAIT", "0A": "LISTEN"}


class PortHold:
    """A bound, never listening ``SO_REUSEADDR`` socket on 127.0.0.1: ``preferred`` when it can
    be had within ``wait_s`` seconds, else a port the OS picks."""

    def __init__(self, preferred: int | None = None, wait_s: float = 0.0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.missed: str | None = None  # why ``preferred`` could not be had
        deadline = time.monotonic() + wait_s
        while preferred:
            try:
                self.sock.bind(("127.0.0.1", preferred))
                break
            except OSError as exc:
                if time.monotonic() >= deadline:
                    self.missed = f"127.0.0.1:{preferred} is taken ({exc.strerror}): " + (
                        "; ".join(holders(preferred)) or "by a process this user cannot see"
                    )
                    break
                time.sleep(0.1)
        if self.missed is not None or not preferred:
            self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.sock.close()


def holders(port: int) -> list[str]:
    """The sockets on 127.0.0.1/0.0.0.0:``port``, as ``pid 123 (postgres), LISTEN``."""
    inodes: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes[fields[9]] = _STATES.get(fields[3], f"state {fields[3]}")
    found = {inode: f"no process (kernel), {state}" for inode, state in inodes.items()}
    for pid in filter(str.isdigit, os.listdir("/proc")) if inodes else ():
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                inode = link[len("socket:[") : -1] if link.startswith("socket:[") else ""
                if inode in inodes:
                    comm = Path(f"/proc/{pid}/comm").read_text().strip()
                    found[inode] = f"pid {pid} ({comm}), {inodes[inode]}"
    return sorted(set(found.values()))
