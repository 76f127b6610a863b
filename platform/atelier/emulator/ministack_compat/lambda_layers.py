"""A Python function's layers are extracted once per layer content, not once per worker.

Measured after a fresh deploy (``docs/benchmarks.md``, "Deploy"): MiniStack's
``Worker._spawn`` writes each layer's zip into the new worker's temporary folder and extracts it
there, so every warm worker paid ~0.3 s of the runtime's CPU for the third-party layer alone
(0.6 s once it holds bytecode), and the ~18 workers started ahead after a deploy kept both
cores busy for ~10 s: a repeat deploy right after took 4-5 s instead of under 2.

Here a layer's zip is extracted once into ``<root>/<sha256 of the zip>/`` (in a temporary
folder renamed into place, with MiniStack's own check that no entry escapes the folder) and a
Python worker is started with those folders as its layers, in the function's order. The
worker's ``sys.path`` is what MiniStack gives it (each folder's ``python/``), the same files as
before: only who extracts them, and how often, changes. The bundle itself is still extracted
per worker (a few kilobytes).

Pinned internals (ministack==1.5.33): ``lambda_runtime.Worker._spawn(self)`` extracts the
layers of ``self.config["Layers"]`` (bytes from ``lambda_svc._resolve_layer_zip(ref)``) and
passes their folders to the worker in ``_LAMBDA_LAYERS_DIRS``, an environment variable it takes
from the function's ``Environment`` too (it is not in ``lambda_runtime``'s reserved names).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atelier.emulator.lambda_.archive import extract_within

if TYPE_CHECKING:
    from ministack.core.lambda_runtime import Worker

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.lambda_runtime": (
        "Worker",
        "Worker._spawn",
        "Worker.config",
        "Worker.config.get",
        "Worker.config.items",
        "_RESERVED_RUNTIME_ENV_VARS",
    ),
    "ministack.services.lambda_svc": ("_resolve_layer_zip",),
}

LAYERS_ENV = "_LAMBDA_LAYERS_DIRS"
_lock = threading.Lock()


class LayerCache:
    """Layer zips extracted under ``root``, one folder per content."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.extractions = 0

    def folder(self, data: bytes) -> Path:
        """The folder holding ``data`` extracted, extracting it the first time."""
        target = self.root / hashlib.sha256(data).hexdigest()
        if target.is_dir():
            return target
        with _lock:
            if target.is_dir():
                return target
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".extracting-"))
            try:
                extract_within(data, staging)
                staging.rename(target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self.extractions += 1
            return target


def apply(root: Path) -> LayerCache:
    """Make MiniStack's Python workers take their layers from one extraction each under
    ``root`` (emptied first: it is a cache). Returns the cache (its ``extractions`` count)."""
    from ministack.core import lambda_runtime
    from ministack.services import lambda_svc

    if LAYERS_ENV in lambda_runtime._RESERVED_RUNTIME_ENV_VARS:
        raise RuntimeError(f"MiniStack now reserves {LAYERS_ENV}: layers cannot be shared")
    shutil.rmtree(root, ignore_errors=True)
    cache = LayerCache(root)
    original = lambda_runtime.Worker._spawn
    original = getattr(original, "__wrapped__", original)

    def _spawn(self: Worker, *args: Any, **kwargs: Any) -> Any:
        python = str(self.config.get("Runtime", "")).startswith("python")
        refs = list(self.config.get("Layers") or [])
        if not (python and refs and type(self) is lambda_runtime.Worker):
            return original(self, *args, **kwargs)
        folders = []
        for ref in refs:
            data = lambda_svc._resolve_layer_zip(ref)
            if not data:  # MiniStack's own path reports the layer that cannot be found
                return original(self, *args, **kwargs)
            folders.append(str(cache.folder(data)))
        config = {key: value for key, value in self.config.items() if key != "Layers"}
        environment = dict(config.get("Environment") or {})
        variables = dict(environment.get("Variables") or {})
        variables[LAYERS_ENV] = os.pathsep.join(folders)
        config["Environment"] = {**environment, "Variables": variables}
        function_config = self.config
        self.config = config
        try:
            return original(self, *args, **kwargs)
        finally:
            self.config = function_config

    _spawn.__wrapped__ = original  # type: ignore[attr-defined]
    lambda_runtime.Worker._spawn = _spawn
    return cache
