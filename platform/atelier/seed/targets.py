"""Where the seed writes: from options, else the environment, else ``.atelier/outputs.json``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atelier.config import Settings
from ml_common.aws import AwsSession


class SeedConfigError(Exception):
    """A target (bucket, secret) is unknown: deploy first or pass it explicitly."""


@dataclass(frozen=True)
class SeedTargets:
    endpoint_url: str | None
    region: str
    inputs_bucket: str
    models_bucket: str
    db_secret_arn: str | None
    home: Path

    def session(self) -> AwsSession:
        """Where the seed's clients (and the pipelines' code it calls) go; passed explicitly
        with ``ml_common.aws.using``, never by changing the process environment."""
        return AwsSession(self.endpoint_url, self.region)


def resolve_targets(
    settings: Settings,
    endpoint_url: str | None = None,
    inputs_bucket: str | None = None,
    models_bucket: str | None = None,
    db_secret_arn: str | None = None,
    home: Path | None = None,
) -> SeedTargets:
    home = home or settings.home
    outputs: dict[str, Any] = {}
    path = home / "outputs.json"
    if path.is_file():
        outputs = json.loads(path.read_text())
    buckets = outputs.get("buckets", {})
    endpoint = (
        endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL")
        or outputs.get("endpoint_url")
        or (settings.endpoint_url if settings.env == "local" else None)
    )
    inputs = inputs_bucket or os.environ.get("INPUTS_BUCKET") or buckets.get("inputs")
    models = models_bucket or os.environ.get("MODELS_BUCKET") or buckets.get("models")
    if not inputs or not models:
        raise SeedConfigError(
            "unknown inputs/models buckets: run `atelier deploy` first or pass --inputs-bucket "
            "and --models-bucket"
        )
    secret = (
        db_secret_arn or os.environ.get("DB_SECRET_ARN") or outputs.get("secrets", {}).get("db")
    )
    return SeedTargets(
        endpoint_url=endpoint,
        region=str(outputs.get("region") or settings.region),
        inputs_bucket=str(inputs),
        models_bucket=str(models),
        db_secret_arn=str(secret) if secret else None,
        home=home,
    )
