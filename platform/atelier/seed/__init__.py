"""`atelier seed`: data and models for a deployed environment, idempotently.

The pipelines' code is not part of the ``atelier`` package (each pipeline is its own image and
its own distribution of the workspace, installed next to Atelier), so the seed trains every
model with the pipeline's own training code, in the same interpreter.
"""

from __future__ import annotations

from typing import Any


def run_seed(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """See :func:`atelier.seed.run.run_seed` (imported lazily: it pulls in torch)."""
    from atelier.seed.run import run_seed as _run

    return _run(*args, **kwargs)


__all__ = ["run_seed"]
