"""The pipelines' source identity, for the model cache and the golden models.

The pipelines' packages are distributions of the workspace (``pipelines/*/pyproject.toml``),
installed next to Atelier, so ``structured_data.train`` etc. import as they do in their images.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

PIPELINES = ("structured_data", "non_structured_data_images", "non_structured_al_data_images")


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not installed (pip install -e pipelines/...)")
    return Path(next(iter(spec.submodule_search_locations)))


def code_version(pipeline: str) -> str:
    """``src-<hash>`` of the pipeline's package and ml_common sources (stable across clones and
    installs: each file is named by its repository path)."""
    digest = hashlib.sha256()
    for sub, package in ((pipeline, pipeline), ("common", "ml_common")):
        base = _package_dir(package)
        for file in sorted(base.rglob("*.py")):
            name = f"pipelines/{sub}/{package}/{file.relative_to(base).as_posix()}"
            digest.update(name.encode())
            digest.update(file.read_bytes())
    return f"src-{digest.hexdigest()[:12]}"
