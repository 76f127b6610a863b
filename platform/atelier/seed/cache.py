"""A local cache of trained models, so a seed into a fresh runtime need not retrain.

Training is deterministic given the training code, the data, the parameters and the library
versions (fixed seeds, ``TORCH_NUM_THREADS`` threads). The cache key is a hash of exactly those:

- every ``*.py`` file the model's training reads (its pipeline package, ``ml_common``, and the
  seed's own ``models.py``/``images.py``/``paths.py``/this file), by path and content;
- a fingerprint of the input data (the dataset arrays the trainer starts from);
- the training parameters (the trainer's ``PARAMS``);
- python, numpy, scikit-learn and torch versions, the machine type and ``TORCH_NUM_THREADS``.

An entry is ``<root>/<name>/<key>/`` with ``model.<ext>`` and ``meta.json`` (the metrics, data
hash, params and code version of the training run that produced it). The seed uploads it with
that metadata, so the model registry says what a retrain would say. ``<root>`` is
``$ATELIER_MODEL_CACHE``, else ``$XDG_CACHE_HOME/atelier/models``, else
``~/.cache/atelier/models``; ``ATELIER_MODEL_CACHE=off`` disables the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = 1
_SEED_DIR = Path(__file__).resolve().parent
_COMMON = ("pipelines/common/ml_common",)
# the seed's own code that builds the training data and calls the trainers
_SEED_FILES = ("models.py", "images.py", "paths.py", "cache.py")

# model name -> the source trees (directories or files, relative to the repository) its
# training imports. Generous on purpose: a spurious retrain costs seconds, a stale model lies.
SOURCES: dict[str, tuple[str, ...]] = {
    "structured_data": ("pipelines/structured_data/structured_data", *_COMMON),
    "digits_cnn": ("pipelines/non_structured_data_images/non_structured_data_images", *_COMMON),
    "al_digits_cnn": (
        "pipelines/non_structured_al_data_images/non_structured_al_data_images",
        # the pools' digits and tiles come from the image pipeline's package
        "pipelines/non_structured_data_images/non_structured_data_images",
        *_COMMON,
    ),
}


def cache_root() -> Path | None:
    """Where entries live; None when the cache is switched off."""
    raw = os.environ.get("ATELIER_MODEL_CACHE", "").strip()
    if raw.lower() in {"off", "0", "no", "false"}:
        return None
    if raw:
        return Path(raw)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "atelier" / "models"


def _installed(rel: str) -> Path | None:
    """Where the package ``rel`` names (its last part) is imported from: the code training runs."""
    spec = importlib.util.find_spec(Path(rel).name)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def source_files(name: str, root: Path | None = None) -> list[tuple[str, Path]]:
    """(label, path) of every source file whose content is part of model ``name``'s key.

    ``root``: a checkout whose sources count; by default the installed packages training
    imports (wherever the checkout or a deployment's copy of it is)."""
    files: dict[str, Path] = {}
    for rel in SOURCES[name]:
        path = root / rel if root is not None else _installed(rel)
        if path is None or not path.is_dir():
            raise FileNotFoundError(f"training source {path or rel} of model {name!r} is missing")
        for file in path.rglob("*.py"):
            files[f"{rel}/{file.relative_to(path).as_posix()}"] = file
    for f in _SEED_FILES:
        files[f"atelier/seed/{f}"] = _SEED_DIR / f
    return sorted(files.items())


def code_hash(name: str, root: Path | None = None) -> str:
    digest = hashlib.sha256()
    for label, file in source_files(name, root):
        digest.update(label.encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def environment() -> dict[str, str]:
    """Library versions and settings that a bit-identical retrain depends on."""
    from importlib.metadata import PackageNotFoundError, version

    env = {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "machine": platform.machine(),
        "torch_num_threads": os.environ.get("TORCH_NUM_THREADS", "1"),
    }
    for dist in ("numpy", "scikit-learn", "torch"):
        try:
            env[dist] = version(dist)
        except PackageNotFoundError:
            env[dist] = "absent"
    return env


def cache_key(
    name: str,
    data_fingerprint: str,
    params: dict[str, Any],
    root: Path | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """``<sha256[:20]>`` of code, data, params and environment (see the module docstring)."""
    doc = {
        "format": FORMAT,
        "name": name,
        "code": code_hash(name, root),
        "data": data_fingerprint,
        "params": params,
        "env": env if env is not None else environment(),
    }
    blob = json.dumps(doc, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


@dataclass(frozen=True)
class Entry:
    key: str
    model_bytes: bytes
    ext: str
    metrics: dict[str, float]
    data_hash: str
    params: dict[str, Any]
    code_version: str


def load(name: str, key: str) -> Entry | None:
    """The entry for ``key``, or None (absent, switched off, or damaged: the artifact's
    SHA-256 must match the one recorded when it was trained)."""
    base = cache_root()
    if base is None:
        return None
    entry_dir = base / name / key
    try:
        meta = json.loads((entry_dir / "meta.json").read_text())
        data = (entry_dir / f"model.{meta['ext']}").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    if meta.get("key") != key or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        return None
    return Entry(
        key=key,
        model_bytes=data,
        ext=str(meta["ext"]),
        metrics=dict(meta["metrics"]),
        data_hash=str(meta["data_hash"]),
        params=dict(meta["params"]),
        code_version=str(meta["code_version"]),
    )


def store(name: str, entry: Entry) -> Path | None:
    """Write ``entry`` atomically (a temporary directory renamed into place)."""
    base = cache_root()
    if base is None:
        return None
    target = base / name / entry.key
    meta = {
        "name": name,
        "key": entry.key,
        "ext": entry.ext,
        "sha256": hashlib.sha256(entry.model_bytes).hexdigest(),
        "metrics": entry.metrics,
        "data_hash": entry.data_hash,
        "params": entry.params,
        "code_version": entry.code_version,
        "environment": environment(),
    }
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.key}-", dir=target.parent))
        (tmp / f"model.{entry.ext}").write_bytes(entry.model_bytes)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except OSError:
        # A cache that cannot be written (read-only home, a concurrent writer) is no error.
        with contextlib.suppress(UnboundLocalError):
            shutil.rmtree(tmp, ignore_errors=True)
        return None
    return target
