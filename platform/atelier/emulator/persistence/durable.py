"""Durable atomic file writes and the quarantine of unreadable state files.

``write_atomic`` is the one way a snapshot reaches the disk: a temporary file in the same
directory, ``fsync``, ``rename`` over the old file, ``fsync`` of the directory. A reader sees the
old file or the new one, never a torn one, after a process crash or a power loss.

A state file that cannot be read is moved to ``<state>/quarantine/`` with a timestamp, never
overwritten: :class:`Quarantine` keeps the list, which ``atelier emulator status`` reports.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("atelier.persistence")


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` atomically (and durably unless ``durable=False``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_dir(path.parent)


@dataclass(frozen=True)
class Quarantined:
    """A state file that could not be read, and where it was kept."""

    name: str
    kept_at: str
    reason: str


class Quarantine:
    """Moves unreadable state files aside (never deletes them) and remembers them."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / "quarantine"
        self._items: list[Quarantined] = []
        self._lock = threading.Lock()

    def keep_aside(self, path: Path, reason: str) -> Quarantined:
        self.dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        target = self.dir / f"{path.stem}.{stamp}.{os.getpid()}{path.suffix}"
        os.replace(path, target)
        fsync_dir(self.dir)
        item = Quarantined(name=path.name, kept_at=str(target), reason=reason[:300])
        with self._lock:
            self._items.append(item)
        log.error(
            "state file %s cannot be read (%s): kept aside at %s; that service starts empty",
            path.name,
            item.reason,
            target,
        )
        return item

    def items(self) -> list[dict[str, str]]:
        with self._lock:
            return [asdict(i) for i in self._items]
