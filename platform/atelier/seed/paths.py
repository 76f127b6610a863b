"""Make the pipelines' packages importable from the Atelier environment.

In their images, each pipeline's package and ``ml_common`` sit in ``/app``. Here the same
directories of the repository go on ``sys.path``; the Atelier environment has their
dependencies (the ``app`` extra), so ``structured_data.train`` etc. import as they do in
their images.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from atelier.config import REPO_ROOT

PIPELINES = ("structured_data", "non_structured_data_images", "non_structured_al_data_images")


def pipelines_on_path(root: Path = REPO_ROOT) -> None:
    for sub in ("common", *PIPELINES):
        path = str(root / "pipelines" / sub)
        if path not in sys.path:
            sys.path.append(path)


def code_version(pipeline: str, root: Path = REPO_ROOT) -> str:
    """``src-<hash>`` of the pipeline's package and ml_common sources (stable across clones)."""
    digest = hashlib.sha256()
    dirs = [root / "pipelines" / pipeline / pipeline, root / "pipelines" / "common" / "ml_common"]
    for base in dirs:
        for file in sorted(base.rglob("*.py")):
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return f"src-{digest.hexdigest()[:12]}"
