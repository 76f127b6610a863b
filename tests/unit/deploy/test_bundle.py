"""Lambda bundles are deterministic: the same sources give the same bytes, hence the same hash."""

from __future__ import annotations

import io
import os
import sys
import time
import zipfile
from pathlib import Path

import pytest

from atelier.deploy import bundle
from atelier_devtools.paths import REPO_ROOT


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


SOURCES = {
    "handler.py": "def handler(event, context):\n    return 1\n",
    "domain/__init__.py": "",
    "domain/rules.py": "LIMIT = 3\n",
}


def test_same_sources_give_the_same_bytes_whatever_mtime_mode_and_creation_order(
    tmp_path: Path,
) -> None:
    first = _write(tmp_path / "a", SOURCES)
    second = _write(tmp_path / "b", dict(reversed(list(SOURCES.items()))))
    os.utime(second / "handler.py", (time.time() + 3600, time.time() + 3600))
    (second / "domain" / "rules.py").chmod(0o755)

    one, two = bundle.build_dir("fn", first), bundle.build_dir("fn", second)

    assert one.data == two.data
    assert one.code_sha256 == two.code_sha256
    assert bundle.build_dir("fn", first).data == one.data  # and again, same process


def test_a_changed_source_changes_the_hash(tmp_path: Path) -> None:
    root = _write(tmp_path / "fn", SOURCES)
    before = bundle.build_dir("fn", root).code_sha256
    (root / "domain" / "rules.py").write_text("LIMIT = 4\n")
    assert bundle.build_dir("fn", root).code_sha256 != before


def test_a_new_file_changes_the_hash(tmp_path: Path) -> None:
    root = _write(tmp_path / "fn", SOURCES)
    before = bundle.build_dir("fn", root).code_sha256
    (root / "extra.py").write_text("")
    assert bundle.build_dir("fn", root).code_sha256 != before


def test_entries_are_sorted_dated_and_permissioned_identically(tmp_path: Path) -> None:
    root = _write(tmp_path / "fn", SOURCES)
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0")
    (root / "stale.pyc").write_bytes(b"\0")

    with zipfile.ZipFile(io.BytesIO(bundle.build_dir("fn", root).data)) as zf:
        infos = zf.infolist()

    names = [i.filename for i in infos]
    assert names == sorted(SOURCES)  # caches and compiled files never ship
    assert {i.date_time for i in infos} == {bundle.FIXED_DATE}
    assert {i.external_attr >> 16 for i in infos} == {bundle.FILE_MODE}


def _repo(root: Path) -> Path:
    _write(root / "lambdas" / "shared", {"lambda_shared/__init__.py": "", "lambda_shared/x.py": ""})
    _write(root / "pipelines" / "common" / "ml_common", {"__init__.py": "", "links.py": ""})
    return root


def test_the_layer_holds_lambda_shared_and_ml_common_under_python(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    (root / "pipelines" / "common" / "ml_common" / "__pycache__").mkdir()
    (root / "pipelines" / "common" / "ml_common" / "__pycache__" / "links.pyc").write_bytes(b"\0")
    with zipfile.ZipFile(io.BytesIO(bundle.build_layer(root).data)) as zf:
        assert zf.namelist() == [
            "python/lambda_shared/__init__.py",
            "python/lambda_shared/x.py",
            "python/ml_common/__init__.py",
            "python/ml_common/links.py",
        ]
    assert bundle.build_layer(_repo(tmp_path / "again")).data == bundle.build_layer(root).data
    (root / "pipelines" / "common" / "ml_common" / "links.py").write_text("RULES = 1\n")
    assert (
        bundle.build_layer(root).code_sha256 != bundle.build_layer(tmp_path / "again").code_sha256
    )


def test_the_layer_needs_both_packages_and_nothing_beside_them(tmp_path: Path) -> None:
    root = _write(tmp_path / "repo" / "lambdas" / "shared", {"lambda_shared/a.py": ""}).parents[1]
    with pytest.raises(FileNotFoundError, match="ml_common"):
        bundle.build_layer(root)
    _repo(root)
    packed = zipfile.ZipFile(io.BytesIO(bundle.build_layer(root).data)).namelist()
    # the distribution's own files (and a stray copy of ml_common) stay out of the layer
    _write(
        root / "lambdas" / "shared",
        {"pyproject.toml": "", "requirements.txt": "pyjwt\n", "ml_common/links.py": "copy"},
    )
    assert zipfile.ZipFile(io.BytesIO(bundle.build_layer(root).data)).namelist() == packed


def test_the_repository_layer_ships_the_link_rules() -> None:
    """The real layer: the API's link check imports ml_common.links from it."""
    repo = Path(__file__).resolve().parents[3]
    with zipfile.ZipFile(io.BytesIO(bundle.build_layer(repo).data)) as zf:
        names = set(zf.namelist())
    assert {"python/lambda_shared/validation.py", "python/ml_common/links.py"} <= names
    assert {"python/ml_common/__init__.py", "python/ml_common/errors.py"} <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_code_sha256_is_lambdas_format(tmp_path: Path) -> None:
    import base64
    import hashlib

    built = bundle.build_dir("fn", _write(tmp_path / "fn", SOURCES))
    assert built.code_sha256 == base64.b64encode(hashlib.sha256(built.data).digest()).decode()


def test_missing_or_empty_sources_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a directory"):
        bundle.build_dir("fn", tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no files"):
        bundle.build_dir("fn", tmp_path / "empty")


def test_layer_bytecode_is_unchecked_so_an_extraction_with_new_times_still_uses_it(
    tmp_path: Path,
) -> None:
    """Lambda's code is read-only and a zip keeps no file times: timestamp-checked bytecode
    would be compiled again at every cold start; unchecked-hash bytecode is used as shipped."""
    import importlib.util

    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    bundle.compile_bytecode(src)
    pyc = src / "pkg" / "__pycache__" / f"__init__.{sys.implementation.cache_tag}.pyc"
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01, f"PEP 552 flags {flags:#b}: want hash-based, unchecked"
    assert pyc.read_bytes()[:4] == importlib.util.MAGIC_NUMBER
    names = zipfile.ZipFile(io.BytesIO(bundle.build_dir("l", src, bytecode=True).data)).namelist()
    assert f"pkg/__pycache__/__init__.{sys.implementation.cache_tag}.pyc" in names
    plain = zipfile.ZipFile(io.BytesIO(bundle.build_dir("l", src).data)).namelist()
    assert plain == ["pkg/__init__.py"], "bytecode enters only the bundles that ask for it"


def test_the_deps_layer_key_says_whether_it_holds_bytecode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cached layer built without bytecode is not reused once bytecode is wanted (or back)."""
    keys = set()
    for compiled in (True, False):
        monkeypatch.setattr(bundle, "layer_bytecode", lambda compiled=compiled: compiled)
        keys.add(bundle.deps_layer_key(REPO_ROOT))
    assert len(keys) == 2


def test_only_the_functions_own_python_compiles_the_layer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``cpython-311.pyc`` is read by python3.11 only: another interpreter ships sources alone."""
    assert bundle.LAYER_PYTHON == (3, 11)
    monkeypatch.setattr(sys, "version_info", (3, 12, 0, "final", 0))
    assert not bundle.layer_bytecode()
    monkeypatch.setattr(sys, "version_info", (3, 11, 9, "final", 0))
    assert bundle.layer_bytecode() == (sys.implementation.name == "cpython")
