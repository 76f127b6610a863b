"""The interpreter Python functions run with: the stdlib plus what AWS's python runtime ships.

AWS's ``python3.11`` runtime gives a function the standard library, boto3 and its dependencies
(botocore, s3transfer, jmespath, python-dateutil, six, urllib3), the function's bundle and its
layers, nothing else. MiniStack starts its Lambda workers with the runtime's own interpreter,
whose site-packages hold every package of the platform: a dependency missing from the layer
would work locally and fail on AWS. So the runtime creates, once, a small virtual environment
under ``<home>/lambda-python/`` whose site-packages only link those seven distributions of the
runtime's own environment (no copy, no download), and MiniStack's workers use its interpreter.
The bundle and the layers come on ``sys.path`` as before (MiniStack extracts the layers).
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import shutil
import sys
import venv
from pathlib import Path

AWS_RUNTIME_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)
MARKER = ".atelier-lambda-python.json"


def _top_levels(dist: md.Distribution) -> list[Path]:
    """The paths a distribution installed at the top of site-packages (packages, modules and
    its ``.dist-info``), resolved in this environment."""
    tops: dict[str, Path] = {}
    for file in dist.files or []:
        parts = file.parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith(".pth"):
            continue
        tops.setdefault(parts[0], Path(str(dist.locate_file(parts[0]))))
    return [path for path in tops.values() if path.exists()]


def _wanted() -> dict[str, str]:
    return {name: md.version(name) for name in AWS_RUNTIME_DISTRIBUTIONS}


def site_packages(root: Path) -> Path:
    return (
        root
        / "lib"
        / f"python{sys.version_info.major}.{sys.version_info.minor}"
        / ("site-packages")
    )


def interpreter(root: Path) -> Path:
    return root / "bin" / "python"


def ensure(home: Path) -> Path:
    """The interpreter of ``<home>/lambda-python`` (created or refreshed if needed)."""
    root = home / "lambda-python"
    python = interpreter(root)
    wanted = _wanted()
    marker = root / MARKER
    try:
        if json.loads(marker.read_text()) == wanted and python.exists():
            return python
    except (OSError, ValueError):
        pass
    shutil.rmtree(root, ignore_errors=True)
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(root)
    site = site_packages(root)
    for name in AWS_RUNTIME_DISTRIBUTIONS:
        for top in _top_levels(md.distribution(name)):
            link = site / top.name
            if not link.exists():
                os.symlink(top, link)
    marker.write_text(json.dumps(wanted, sort_keys=True))
    return python
