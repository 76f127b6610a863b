"""Patches that run when a module is first imported (``ministack_compat.post_import``), shown
on a throwaway package so the pytest process's own MiniStack imports do not matter."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from atelier.emulator.ministack_compat import post_import

SOURCE = "import time\ntime.sleep(0.05)\nVALUE = 'original'\n"


@pytest.fixture
def package(tmp_path: Path) -> Iterator[str]:
    """A fresh package ``<name>`` with a submodule ``svc`` (``VALUE = 'original'``)."""
    name = f"fake_ministack_{uuid.uuid4().hex[:8]}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / name / "svc.py").write_text(SOURCE)
    sys.path.insert(0, str(tmp_path))
    try:
        yield name
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m.startswith(name)]:
            del sys.modules[module]


def _patch(module_name: str) -> None:
    # as the compat modules do: import the module by name inside the patch
    module = importlib.import_module(module_name)
    setattr(module, "VALUE", "patched")  # noqa: B010 - a module mypy cannot see


def test_a_patch_waits_for_the_first_import_and_runs_inside_it(package: str) -> None:
    svc = f"{package}.svc"
    post_import.when_imported(svc, "value patched", lambda: _patch(svc))
    assert svc not in sys.modules
    assert svc not in post_import.applied()
    module = importlib.import_module(svc)
    assert module.VALUE == "patched"
    assert post_import.applied()[svc] == ["value patched"]


def test_an_imported_module_is_patched_at_once(package: str) -> None:
    svc = f"{package}.svc"
    module = importlib.import_module(svc)
    assert module.VALUE == "original"
    post_import.when_imported(svc, "late", lambda: _patch(svc))
    assert module.VALUE == "patched"


def test_without_the_hook_the_module_stays_unpatched(package: str) -> None:
    """Broken on purpose: the same check on a module nobody registered a patch for."""
    svc = f"{package}.svc"
    post_import.when_imported(f"{package}.other", "elsewhere", lambda: _patch(svc))
    assert importlib.import_module(svc).VALUE == "original"


def test_concurrent_first_imports_all_get_the_patched_module(package: str) -> None:
    svc = f"{package}.svc"
    post_import.when_imported(svc, "value patched", lambda: _patch(svc))
    seen: list[str] = []
    barrier = threading.Barrier(4)

    def load() -> None:
        barrier.wait()
        seen.append(importlib.import_module(svc).VALUE)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen == ["patched"] * 4
    assert post_import.applied()[svc] == ["value patched"]  # once


def test_a_failing_patch_is_logged_and_the_import_still_works(
    package: str, caplog: pytest.LogCaptureFixture
) -> None:
    svc = f"{package}.svc"

    def broken() -> None:
        raise AttributeError("_gone")

    post_import.when_imported(svc, "broken patch", broken)
    with caplog.at_level(logging.ERROR, logger="atelier.compat"):
        assert importlib.import_module(svc).VALUE == "original"
    assert f"{svc}: broken patch not applied" in caplog.text
    assert svc not in post_import.applied()


# an Atelier module that imports the patched module at its top, then defines the patch
COMPAT = "from {package} import svc\n\ndef install() -> None:\n    svc.VALUE = 'patched'\n"


@pytest.mark.parametrize("first", ["svc", "compat"])
def test_a_patch_via_its_compat_module_runs_once_that_module_is_complete(
    package: str, tmp_path: Path, first: str
) -> None:
    """Whichever is imported first: MiniStack's module (its first call) or the compat module
    that imports it at its top (the case where a patch run right after ``svc`` would find the
    compat module half made: ``test_..._without_via`` below)."""
    (tmp_path / package / "compat.py").write_text(COMPAT.format(package=package))
    svc, compat = f"{package}.svc", f"{package}.compat"
    post_import.when_imported(
        svc, "via compat", lambda: importlib.import_module(compat).install(), via=compat
    )
    importlib.import_module(f"{package}.{first}")
    assert importlib.import_module(svc).VALUE == "patched"
    assert post_import.applied()[svc] == ["via compat"]


def test_a_patch_through_a_half_made_compat_module_fails_without_via(
    package: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / package / "compat.py").write_text(COMPAT.format(package=package))
    svc, compat = f"{package}.svc", f"{package}.compat"
    post_import.when_imported(svc, "direct", lambda: importlib.import_module(compat).install())
    with caplog.at_level(logging.ERROR, logger="atelier.compat"):
        importlib.import_module(compat)
    assert importlib.import_module(svc).VALUE == "original"
    assert "partially initialized module" in caplog.text
