"""Service entry point (the Dockerfile's CMD): load the prod model, then serve on $HOST:$PORT.

Environment: ``MODELS_BUCKET``, ``MODEL_NAME`` (default ``structured_data``), optional
``MODEL_VERSION`` (pin), ``DB_SECRET_ARN``, ``HOST`` / ``PORT`` (default 0.0.0.0:8080).
"""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from ml_common.aws import require_env
from ml_common.model_store import load_model
from structured_data.app import create_app
from structured_data.db import PostgresRepository, conninfo_from_secret_arn
from structured_data.model import Classifier

log = logging.getLogger("structured_data")


def build_app() -> object:
    bucket = require_env("MODELS_BUCKET")
    name = os.environ.get("MODEL_NAME", "structured_data")
    loaded = load_model(bucket, name, version=os.environ.get("MODEL_VERSION") or None)
    classifier = Classifier.from_json(loaded.data)
    log.info("loaded model %s version %s", name, loaded.version)
    repo = PostgresRepository(conninfo_from_secret_arn(require_env("DB_SECRET_ARN")))
    repo.ensure_predictions()
    return create_app(repo, classifier, loaded.version)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        app = build_app()
    except Exception as exc:  # noqa: BLE001 - a clear last word before the process exits
        log.error("cannot start: %s", exc)
        sys.exit(1)
    host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104 - a container listens on its ENI
    port = int(os.environ.get("PORT", "8080"))
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
