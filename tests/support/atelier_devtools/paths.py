"""The checkout the harness runs in: ``ATELIER_REPO_ROOT``, else the one holding this package."""

from __future__ import annotations

from pathlib import Path

from atelier.config import find_repo_root

REPO_ROOT = find_repo_root(Path(__file__).resolve().parent)
