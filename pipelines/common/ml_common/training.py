"""The command line every pipeline's ``train.py`` shares: train, write the artifact and metrics."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol


class Trained(Protocol):
    @property
    def model_bytes(self) -> bytes: ...

    @property
    def metrics(self) -> dict[str, float]: ...


def train_cli(
    description: str | None,
    train: Callable[[], Any],
    artifact: str,
    argv: list[str] | None = None,
) -> None:
    """``python -m <pipeline>.train --out DIR`` writes ``DIR/<artifact>`` and ``DIR/metrics.json``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result: Trained = train()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / artifact).write_bytes(result.model_bytes)
    (args.out / "metrics.json").write_text(json.dumps(result.metrics, indent=2))
    print(json.dumps(result.metrics))
