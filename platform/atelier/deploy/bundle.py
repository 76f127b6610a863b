"""Deterministic zip bundles: the same sources give the same bytes, hence the same CodeSha256.

Entries are sorted, every entry gets the same timestamp and permissions, and caches or
compiled files never enter a bundle. Lambda compares ``CodeSha256`` (base64 of the zip's
SHA-256) to decide whether a function's code changed.
"""

from __future__ import annotations

import base64
import compileall
import hashlib
import io
import py_compile
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from atelier.topology.expander import LAMBDA_RUNTIME

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


def source_files(root: Path, bytecode: bool = False) -> list[Path]:
    """Files under ``root`` that belong in a bundle, sorted by their relative path; compiled
    files (``__pycache__/*.pyc``) only with ``bytecode``."""
    if not root.is_dir():
        raise FileNotFoundError(f"bundle source {root} is not a directory")
    excluded_dirs = EXCLUDED_DIRS - {"__pycache__"} if bytecode else EXCLUDED_DIRS
    excluded = tuple(s for s in EXCLUDED_SUFFIXES if not (bytecode and s == ".pyc"))
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part in excluded_dirs or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file() and not path.name.endswith(excluded):
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


def _entries(root: Path, prefix: str, bytecode: bool = False) -> list[tuple[str, bytes]]:
    return [
        (prefix + path.relative_to(root).as_posix(), path.read_bytes())
        for path in source_files(root, bytecode)
    ]


def build_dir(name: str, root: Path, prefix: str = "", bytecode: bool = False) -> Bundle:
    """Bundle a directory, each file stored under ``prefix`` + its path relative to ``root``
    (compiled files too with ``bytecode``)."""
    entries = _entries(root, prefix, bytecode)
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


# The third-party layer: lambdas/shared/requirements.txt installed by pip for the Lambda platform
# (python3.11, x86_64, wheels only), as ``python/<package>`` in a zip. boto3 and its
# dependencies are not in it: AWS's runtime has them (and so does the local one).
DEPS_REQUIREMENTS = "lambdas/shared/requirements.txt"
LAYER_PYTHON_VERSION = LAMBDA_RUNTIME.removeprefix("python")  # "3.11"
LAYER_PYTHON = tuple(int(n) for n in LAYER_PYTHON_VERSION.split("."))
PIP_PLATFORM = (
    "--platform", "manylinux2014_x86_64", "--python-version", LAYER_PYTHON_VERSION,
    "--implementation", "cp", "--only-binary=:all:",
)  # fmt: skip


def layer_bytecode() -> bool:
    """Whether this interpreter compiles the layer's bytecode: only one of the functions' own
    version (CPython 3.11), whose ``cpython-311.pyc`` files their runtime reads."""
    return sys.implementation.name == "cpython" and sys.version_info[:2] == LAYER_PYTHON


def deps_layer_key(repo_root: Path) -> str:
    """What the layer depends on: the requirements file, pip's target platform and whether it
    holds compiled bytecode."""
    text = (repo_root / DEPS_REQUIREMENTS).read_bytes()
    compiled = f" bytecode={sys.implementation.cache_tag}" if layer_bytecode() else ""
    return hashlib.sha256(text + (" ".join(PIP_PLATFORM) + compiled).encode()).hexdigest()[:16]


def compile_bytecode(root: Path) -> None:
    """Compile every module under ``root`` into ``__pycache__`` as unchecked-hash ``.pyc``.

    A function's cold start then loads bytecode instead of compiling each module of the layer
    (pydantic, powertools: 0.9 s -> 0.5 s of CPU per cold start here). Unchecked: Lambda's code
    is read-only and a zip does not keep the files' times, so timestamp-checked bytecode would
    be judged stale and compiled again. A module that does not compile keeps its source only.
    """
    compileall.compile_dir(
        root,
        quiet=2,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )


def build_deps_layer(repo_root: Path, cache_dir: Path | None = None) -> Bundle:
    """The third-party layer of ``repo_root``; pip runs once per requirements file (the zip is
    kept in ``cache_dir``, keyed by :func:`deps_layer_key`)."""
    cached = cache_dir / f"deps-layer-{deps_layer_key(repo_root)}.zip" if cache_dir else None
    if cached is not None and cached.is_file():
        return Bundle(name="deps-layer", data=cached.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
             "--disable-pip-version-check", "-r", str(repo_root / DEPS_REQUIREMENTS),
             "--target", tmp, *PIP_PLATFORM],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise RuntimeError(
                f"bundle deps-layer: pip could not install {DEPS_REQUIREMENTS}: {' / '.join(tail)}"
            )
        if layer_bytecode():
            compile_bytecode(Path(tmp))
        layer = build_dir("deps-layer", Path(tmp), prefix="python/", bytecode=layer_bytecode())
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        partial.write_bytes(layer.data)
        partial.replace(cached)
    return layer
