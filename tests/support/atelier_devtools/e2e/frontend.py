"""When the frontend build can be skipped, honestly.

- ``npm ci`` deletes ``node_modules`` and installs it again from ``package-lock.json``. It is
  skipped when npm's own record of what is installed (``node_modules/.package-lock.json``, which
  npm writes after every install) lists exactly the lockfile's packages (same version, resolved
  URL and integrity; only optional, platform-specific ones may be absent) and each of them is on
  disk.
- ``npm run build`` (the type check, then vite) is skipped when a stamp written after the last
  successful build records the same build inputs (``src/``, ``index.html``, ``package.json``,
  ``package-lock.json``, the vite and TypeScript configs, the Node version) *and* the same
  ``dist/`` contents: a ``dist`` rebuilt or edited since, by anything, is built again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

STAMP = Path("node_modules") / ".atelier-build.json"
_INPUT_FILES = ("index.html", "package.json", "package-lock.json")
_INPUT_GLOBS = ("vite.config.*", "vitest.config.*", "tsconfig*.json")
_INPUT_DIRS = ("src", "public")


def node_modules_mismatch(frontend: Path) -> str | None:
    """None when ``node_modules`` is what ``npm ci`` would install; else the reason it is not."""
    try:
        lock = json.loads((frontend / "package-lock.json").read_text())["packages"]
    except (OSError, ValueError, KeyError):
        return "no readable package-lock.json"
    try:
        installed = json.loads((frontend / "node_modules" / ".package-lock.json").read_text())[
            "packages"
        ]
    except (OSError, ValueError, KeyError):
        return "node_modules has no npm install record"
    fields = ("version", "resolved", "integrity")
    for key, entry in lock.items():
        if not key:
            continue  # the project itself
        have = installed.get(key)
        if have is None:
            if entry.get("optional"):
                continue  # e.g. another platform's binary
            return f"{key} is not installed"
        if any(entry.get(f) != have.get(f) for f in fields):
            return f"{key} differs from package-lock.json"
        if not (frontend / key / "package.json").is_file():
            return f"{key} is missing on disk"
    extra = [k for k in installed if k and k not in lock]
    if extra:
        return f"{extra[0]} is installed but not in package-lock.json"
    return None


def _tree_digest(base: Path, paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(base)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_inputs(frontend: Path) -> list[Path]:
    files = [frontend / f for f in _INPUT_FILES if (frontend / f).is_file()]
    for pattern in _INPUT_GLOBS:
        files += [p for p in frontend.glob(pattern) if p.is_file()]
    for d in _INPUT_DIRS:
        if (frontend / d).is_dir():
            files += [p for p in (frontend / d).rglob("*") if p.is_file()]
    return files


def build_fingerprint(frontend: Path, node_version: str) -> dict[str, Any]:
    dist = frontend / "dist"
    dist_files = [p for p in dist.rglob("*") if p.is_file()] if dist.is_dir() else []
    return {
        "inputs": _tree_digest(frontend, build_inputs(frontend)),
        "node": node_version,
        "dist": _tree_digest(frontend, dist_files) if dist_files else None,
    }


def build_is_current(frontend: Path, node_version: str) -> bool:
    if not (frontend / "dist" / "index.html").is_file():
        return False
    try:
        stamp = json.loads((frontend / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return bool(stamp == build_fingerprint(frontend, node_version))


def write_build_stamp(frontend: Path, node_version: str) -> None:
    path = frontend / STAMP
    path.write_text(json.dumps(build_fingerprint(frontend, node_version), indent=1) + "\n")
