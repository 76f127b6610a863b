"""Code zips (a Lambda layer, a canary's code) extracted as Lambda does: never outside their
folder."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path


def extract_within(data: bytes, folder: Path) -> None:
    """Extract the zip ``data`` into ``folder``; an entry that would land outside it (``../``,
    an absolute path, a sibling folder sharing its prefix) is an error and nothing is written."""
    base = os.path.realpath(folder)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            resolved = os.path.realpath(os.path.join(base, member))
            if resolved != base and not resolved.startswith(base + os.sep):
                raise RuntimeError(f"Zip entry escapes target dir: {member}")
        archive.extractall(base)
