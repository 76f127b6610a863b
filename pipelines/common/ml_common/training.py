"""The command line every pipeline's ``train.py`` shares: train, then write the artifact and
metrics to a directory, or register the model as a candidate in the registry.

``python -m <pipeline>.train --out DIR``      writes ``DIR/<artifact>`` and ``DIR/metrics.json``
``python -m <pipeline>.train --register``     stores a ``candidate`` in ``$MODELS_BUCKET`` (the
    way a training task runs in an account: RunTask with this command), with the data hash,
    the params and ``CODE_VERSION`` (the commit the image was built from) as its lineage.
"""

from __future__ import annotations

import argparse
import json
import os
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
    model_name: str | None = None,
) -> None:
    """Parse ``--out DIR`` / ``--register``, train once, write or register the result."""
    parser = argparse.ArgumentParser(description=description)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path)
    target.add_argument(
        "--register", action="store_true", help="store a candidate in MODELS_BUCKET"
    )
    args = parser.parse_args(argv)
    if args.register and not model_name:
        parser.error("this pipeline does not register models")
    from ml_common.aws import require_env

    bucket = require_env("MODELS_BUCKET") if args.register else ""  # before a long training
    result: Trained = train()
    if args.register:
        from ml_common.model_store import save_model, set_stage

        version = save_model(
            bucket,
            str(model_name),
            result.model_bytes,
            result.metrics,
            str(getattr(result, "data_hash", "")),
            os.environ.get("CODE_VERSION", "unknown"),
            dict(getattr(result, "params", {})),
            ext=artifact.rsplit(".", 1)[-1],
        )
        # The candidate pointer names the newest candidate: what `atelier evaluate` judges.
        set_stage(bucket, str(model_name), version, "candidate")
        print(json.dumps({"registered": model_name, "version": version, **result.metrics}))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / artifact).write_bytes(result.model_bytes)
    (args.out / "metrics.json").write_text(json.dumps(result.metrics, indent=2))
    print(json.dumps(result.metrics))
