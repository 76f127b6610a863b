"""Crash-safe ``--persist`` for MiniStack (pinned 1.5.33), which saves its state at shutdown only.

:func:`install` wraps every service handler in ``ministack.app.SERVICE_HANDLERS``: after a
mutating call succeeds, the state of the service it reached is serialised (in the event loop, so
no other handler changes it meanwhile) and written with :func:`write_atomic` (temp file, fsync,
rename, fsync of the directory) *before* the answer leaves: an acknowledged change is on disk.
The files are MiniStack's own (``<state>/<key>.json``, its format), so its loader reads them.

A periodic flush (:meth:`Snapshotter.flush_all`, every ``FLUSH_INTERVAL_S``) also writes what
changed without an API call of its own (cross-service side effects, the agent's task states).

Loading is replaced too: a state file that cannot be read or restored is kept aside
(``<state>/quarantine/``), reported in ``atelier emulator status``, and never overwritten by the
empty state the service then starts with. S3 object bodies are written by MiniStack itself
(``S3_PERSIST``) before it answers; :func:`install` makes those writes fsync as well.

Snapshots versus a write-ahead journal: ``docs/benchmarks.md`` (section "Persistence") has the
measurement and the reason for snapshots (a journal of requests cannot replay generated ids).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from ministack import app as ms_app
from ministack.core import persistence as ms_persistence

from atelier.emulator.persistence.durable import Quarantine, write_atomic

log = logging.getLogger("atelier.persistence")
FLUSH_INTERVAL_S = 1.0
RESTORED_TASK_REASON = (
    "Task stopped: the Atelier runtime restarted and the task's process did not survive"
)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# actions that never change state (JSON and query protocols)
READ_VERBS = (
    "Get", "Describe", "List", "Query", "Scan", "BatchGet", "Search", "Lookup", "Validate",
    "Estimate", "Simulate", "Preview", "Check", "Poll", "Select", "Invoke",
)  # fmt: skip
REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.app": (
        "SERVICE_HANDLERS", "SERVICE_HANDLERS.items", "SERVICE_NAME_ALIASES.get",
        "SERVICE_REGISTRY.get", "_get_module", "_load_persisted_state", "_loaded_modules.get",
        "_state_map.items",
    ),
    "ministack.core.persistence": ("_json_default", "_json_object_hook", "_state_format_version"),
    "ministack.services.s3": ("_atomic_write",),
    "ministack.services.ecs": ("_iso", "_tasks._data.get"),
}  # fmt: skip

_patched: list[str] = []
Handler = Callable[[str, str, dict[str, Any], bytes, dict[str, Any]], Awaitable[Any]]


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")


def action_of(headers: dict[str, Any], body: bytes, query_params: dict[str, Any]) -> str:
    """The API action of a JSON- or query-protocol call ("" for REST calls)."""
    target = ""
    for key, value in headers.items():
        if key.lower() == "x-amz-target":
            target = str(value)
    if target:
        return target.rsplit(".", 1)[-1]
    action = _first(query_params.get("Action"))
    if not action and body[:200].find(b"Action=") >= 0:
        for part in body.split(b"&"):
            if part.startswith(b"Action="):
                return part[len(b"Action=") :].decode("latin-1")
    return action


def is_mutation(
    method: str, path: str, headers: dict[str, Any], body: bytes, qp: dict[str, Any]
) -> bool:
    """Whether a call may change control-plane state (unknown calls count as changes)."""
    if method.upper() in READ_METHODS:
        return False
    action = action_of(headers, body, qp)
    if action:
        return not action.startswith(READ_VERBS)
    # REST: Lambda invocations run code, they change no control-plane state
    return not (path.endswith("/invocations") or "/invoke-async" in path)


class Snapshotter:
    """Writes MiniStack's per-service state files durably, newest capture wins."""

    def __init__(self, state_dir: Path, *, durable: bool = True) -> None:
        self.state_dir = state_dir
        self.durable = durable
        self.quarantine = Quarantine(state_dir)
        self._seq = itertools.count(1)
        self._locks: dict[str, threading.Lock] = {}
        self._written_seq: dict[str, int] = {}
        self._written: dict[str, bytes] = {}
        self._guard = threading.Lock()
        self.snapshots = 0
        self.errors = 0

    # -- which state files a service owns ------------------------------------------------
    @staticmethod
    def keys_of(service: str) -> list[tuple[str, str]]:
        name = ms_app.SERVICE_NAME_ALIASES.get(service, service)
        config = ms_app.SERVICE_REGISTRY.get(name)
        if config is None:
            return []
        module = config["module"]
        keys = [(config.get("state_key", module), module)]
        keys += [(sub, sub) for sub in config.get("sub_modules", ())]
        return keys

    @staticmethod
    def _module(name: str) -> ModuleType | None:
        mod = ms_app._loaded_modules.get(name) or sys.modules.get(f"ministack.services.{name}")
        return mod if mod is not None and hasattr(mod, "get_state") else None

    # -- capture (in the event loop) and write (in a thread) -------------------------------
    def capture(self, keys: list[tuple[str, str]]) -> list[tuple[str, int, bytes]]:
        captured = []
        for key, module_name in keys:
            mod = self._module(module_name)
            if mod is None:
                continue
            for attempt in range(5):
                try:
                    state = mod.get_state()
                    if state is None:
                        break
                    wrapped = {
                        "__ministack_format__": ms_persistence._state_format_version(key),
                        "payload": state,
                    }
                    data = json.dumps(wrapped, default=ms_persistence._json_default).encode()
                    captured.append((key, next(self._seq), data))
                    break
                except RuntimeError:  # a reconciler thread changed a dict meanwhile: again
                    if attempt == 4:
                        raise
        return captured

    def write(self, captured: list[tuple[str, int, bytes]], *, only_changed: bool = False) -> None:
        for key, seq, data in captured:
            with self._guard:
                lock = self._locks.setdefault(key, threading.Lock())
            with lock:
                if seq <= self._written_seq.get(key, 0):
                    continue  # a newer capture is already on disk
                if only_changed and self._written.get(key) == data:
                    continue
                write_atomic(self.state_dir / f"{key}.json", data, durable=self.durable)
                self._written_seq[key], self._written[key] = seq, data
                self.snapshots += 1

    async def persist(self, service: str) -> None:
        try:
            captured = self.capture(self.keys_of(service))
            await asyncio.to_thread(self.write, captured)
        except Exception:
            self.errors += 1
            log.exception("could not persist %s state", service)
            raise

    async def flush_all(self) -> None:
        keys = list(ms_app._state_map.items())
        captured = self.capture(keys)
        await asyncio.to_thread(self.write, captured, only_changed=True)

    async def flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            try:
                await self.flush_all()
            except Exception:
                self.errors += 1
                log.exception("periodic state flush failed; retrying")

    # -- loading ---------------------------------------------------------------------------
    def load_all(self) -> None:
        """MiniStack's loader, but an unreadable file is kept aside and reported."""
        for key, module_name in ms_app._state_map.items():
            path = self.state_dir / f"{key}.json"
            if not path.exists():
                continue
            try:
                raw = path.read_bytes()
                data = json.loads(raw, object_hook=ms_persistence._json_object_hook)
                if isinstance(data, dict) and "__ministack_format__" in data:
                    found, known = (
                        data["__ministack_format__"],
                        ms_persistence._state_format_version(key),
                    )
                    if not isinstance(found, int) or found > known:
                        raise ValueError(f"format v{found}, this MiniStack reads up to v{known}")
                    data = data.get("payload")
                if data:
                    ms_app._get_module(module_name).load_persisted_state(data)
                    if key == "ecs":
                        _explain_restored_tasks(data)
                self._written[key] = raw
            except Exception as exc:  # noqa: BLE001 (any failure: keep the file, report it)
                self.quarantine.keep_aside(path, f"{type(exc).__name__}: {exc}")

    def status(self) -> dict[str, Any]:
        return {
            "durable": self.durable,
            "snapshots_written": self.snapshots,
            "errors": self.errors,
            "quarantined": self.quarantine.items(),
        }


def _explain_restored_tasks(data: dict[str, Any]) -> None:
    """MiniStack restores a task that was live as STOPPED with no reason; give it one (a job
    whose task it was then ends FAILED saying why), as ECS does when a host goes away."""
    from ministack.services import ecs

    tasks = data.get("tasks")
    saved = getattr(tasks, "_data", tasks) or {}
    for scoped_key, before in saved.items():
        task = ecs._tasks._data.get(scoped_key)
        if task is None or before.get("lastStatus") == "STOPPED" or task.get("stoppedReason"):
            continue
        task.update(
            desiredStatus="STOPPED",
            stopCode="TerminationNotice",
            stoppedReason=RESTORED_TASK_REASON,
            stoppedAt=ecs._iso(),
        )
        for container in task.get("containers", []):
            container["lastStatus"] = "STOPPED"


def _durable_s3_writes(durable: bool) -> None:
    """MiniStack writes S3 object files atomically but without fsync: add it."""
    from ministack.services import s3

    if _patched:
        return

    def atomic_write(fpath: str, data: bytes | str, *, text: bool = False) -> None:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        write_atomic(Path(fpath), raw, durable=durable)

    s3._atomic_write = atomic_write
    _patched.append("s3._atomic_write")


def _wrap(service: str, handler: Handler, snapshotter: Snapshotter) -> Handler:
    async def handle(
        method: str, path: str, headers: dict[str, Any], body: bytes, query_params: dict[str, Any]
    ) -> Any:
        result = await handler(method, path, headers, body, query_params)
        status = result[0] if isinstance(result, tuple) and result else 200
        if (
            isinstance(status, int)
            and status < 400
            and is_mutation(method, path, headers, body or b"", query_params or {})
        ):
            await snapshotter.persist(service)
        return result

    handle._atelier_persist = True  # type: ignore[attr-defined]
    return handle


def install(state_dir: Path, *, durable: bool = True) -> Snapshotter:
    """Make every acknowledged change durable; replace MiniStack's loader (see module doc)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    snapshotter = Snapshotter(state_dir, durable=durable)
    for service, handler in list(ms_app.SERVICE_HANDLERS.items()):
        if not getattr(handler, "_atelier_persist", False):
            ms_app.SERVICE_HANDLERS[service] = _wrap(service, handler, snapshotter)
    ms_app._load_persisted_state = snapshotter.load_all
    _durable_s3_writes(durable)
    return snapshotter
