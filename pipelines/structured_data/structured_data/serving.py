"""The model the service serves, kept in step with the registry's stage pointer.

``ModelWatcher`` loads the version the pointer names, then checks the pointer every
``MODEL_POLL_SECONDS`` (a small S3 GET); when it moves (a promotion or a rollback), the new
version is loaded, its checksum verified, and swapped in between two requests. A version that
fails to load is logged and the current one keeps serving. A pinned ``MODEL_VERSION`` is never
replaced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ml_common import model_store
from structured_data.model import Classifier

log = logging.getLogger("structured_data")


@dataclass(frozen=True)
class Served:
    """One loaded version: the classifier and where it came from."""

    classifier: Classifier
    version: str
    loaded_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ModelWatcher:
    """The current model, reloaded when the ``stage`` pointer of ``name`` moves."""

    def __init__(
        self,
        bucket: str,
        name: str,
        stage: str = "prod",
        pinned: str | None = None,
        loader: Callable[[bytes], Classifier] = Classifier.from_json,
    ) -> None:
        self.bucket, self.name, self.stage, self.pinned = bucket, name, stage, pinned
        self._loader = loader
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self._served = self._load(pinned)

    def _load(self, version: str | None) -> Served:
        loaded = model_store.load_model(self.bucket, self.name, self.stage, version=version)
        served = Served(self._loader(loaded.data), loaded.version, _now())
        log.info("serving model %s version %s", self.name, loaded.version)
        return served

    @property
    def current(self) -> Served:
        with self._lock:
            return self._served

    def check(self) -> bool:
        """Reload if the pointer moved; True when a new version is now served."""
        if self.pinned:
            return False
        try:
            wanted = model_store.resolve_version(self.bucket, self.name, self.stage)
            if wanted == self.current.version:
                self.last_error = None
                return False
            served = self._load(wanted)
        except Exception as exc:  # noqa: BLE001 - keep serving the current model, say why
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("model reload failed, still serving %s: %s", self.current.version, exc)
            return False
        with self._lock:
            previous, self._served = self._served.version, served
        self.last_error = None
        log.info("model %s moved from %s to %s", self.name, previous, served.version)
        return True

    def start(self, interval: float) -> None:
        """Check the pointer every ``interval`` seconds in a daemon thread."""
        if self.pinned or interval <= 0 or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                self.check()

        self._thread = threading.Thread(target=loop, name="model-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
