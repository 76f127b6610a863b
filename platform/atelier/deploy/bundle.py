"""Deterministic zip bundles: the same sources give the same bytes, hence the same CodeSha256.

Entries are sorted, every entry gets the same timestamp and permissions, and caches or
compiled files never enter a bundle. Lambda compares ``CodeSha256`` (base64 of the zip's
SHA-256) to decide whether a function's code changed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
EXCLUDED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", "tests", ".venv"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".DS_Store")


@dataclass(frozen=True)
class Bundle:
    name: str
    data: bytes

    @property
    def code_sha256(self) -> str:
        """Lambda's ``CodeSha256``: base64 of the SHA-256 of the zip bytes."""
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode()


def source_files(root: Path) -> list[Path]:
    """Files under ``root`` that belong in a bundle, sorted by their relative path."""
    if not root.is_dir():
        raise FileNotFoundError(f"bundle source {root} is not a directory")
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part in EXCLUDED_DIRS or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file() and not path.name.endswith(EXCLUDED_SUFFIXES):
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def zip_entries(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """Zip ``(arcname, content)`` pairs deterministically."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for arcname, content in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
            info.external_attr = FILE_MODE << 16
            info.create_system = 3  # unix, so the permissions above are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return buf.getvalue()


# What the one layer holds: repository folder -> prefix in the zip (Lambda puts ``python/`` on
# ``sys.path``). ``ml_common`` ships beside ``lambda_shared`` so the API applies the image task's
# own link rules (``ml_common.links.check_link``) before it stores a job: one copy of the rules.
LAYER_SOURCES = (
    ("lambdas/shared/lambda_shared", "python/lambda_shared/"),
    ("pipelines/common/ml_common", "python/ml_common/"),
)


def _entries(root: Path, prefix: str) -> list[tuple[str, bytes]]:
    return [
        (prefix + path.relative_to(root).as_posix(), path.read_bytes())
        for path in source_files(root)
    ]


def build_dir(name: str, root: Path, prefix: str = "") -> Bundle:
    """Bundle a directory, each file stored under ``prefix`` + its path relative to ``root``."""
    entries = _entries(root, prefix)
    if not entries:
        raise ValueError(f"bundle {name}: {root} holds no files")
    return Bundle(name=name, data=zip_entries(entries))


def build_lambda(lambdas_dir: Path, name: str) -> Bundle:
    """The code bundle of ``lambdas/<name>/`` (handler at the zip's root)."""
    return build_dir(name, lambdas_dir / name)


def build_layer(repo_root: Path) -> Bundle:
    """The one layer of every lambda, from the repository at ``repo_root``: ``lambdas/shared/``
    as ``python/<...>`` (``python/lambda_shared/``) and ``pipelines/common/ml_common/`` as
    ``python/ml_common/``. A file both sources would put at one path is an error."""
    entries: list[tuple[str, bytes]] = []
    for folder, prefix in LAYER_SOURCES:
        found = _entries(repo_root / folder, prefix)
        if not found:
            raise ValueError(f"bundle shared-layer: {repo_root / folder} holds no files")
        entries += found
    clashes = sorted(n for n, k in Counter(n for n, _ in entries).items() if k > 1)
    if clashes:
        raise ValueError(f"bundle shared-layer: two sources give {', '.join(clashes)}")
    return Bundle(name="shared-layer", data=zip_entries(entries))
