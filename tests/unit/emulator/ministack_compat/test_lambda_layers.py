from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from atelier.deploy.bundle import zip_entries
from atelier.emulator.ministack_compat.lambda_layers import LayerCache


def zipped(files: dict[str, str]) -> bytes:
    return zip_entries((name, text.encode()) for name, text in files.items())


def test_one_content_is_extracted_once_whoever_asks(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path / "layers")
    data = zipped({"python/mod.py": "X = 1\n"})
    with ThreadPoolExecutor(8) as pool:
        folders = set(pool.map(lambda _: cache.folder(data), range(16)))
    assert len(folders) == 1 and cache.extractions == 1
    (folder,) = folders
    assert (folder / "python/mod.py").read_text() == "X = 1\n"
    other = cache.folder(zipped({"python/mod.py": "X = 2\n"}))
    assert other != folder and cache.extractions == 2
    assert sorted(p.name for p in cache.root.iterdir()) == sorted([folder.name, other.name])


def test_an_entry_escaping_the_folder_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path / "layers")
    with pytest.raises(RuntimeError, match=r"escapes target dir: \.\./evil\.py"):
        cache.folder(zipped({"python/ok.py": "", "../evil.py": "boom"}))
    assert not (tmp_path / "evil.py").exists()
    assert list(cache.root.iterdir()) == [] and cache.extractions == 0
