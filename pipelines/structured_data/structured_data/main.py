"""Service entry point (the Dockerfile's CMD): load the prod model, then serve on $HOST:$PORT.

Environment: ``MODELS_BUCKET``, ``MODEL_NAME`` (default ``structured_data``), optional
``MODEL_VERSION`` (pin), ``MODEL_STAGE`` (default ``prod``), ``MODEL_POLL_SECONDS`` (default 30;
how often the stage pointer is checked for a new version, 0 = never), ``DB_SECRET_ARN``,
``HOST`` / ``PORT`` (default 0.0.0.0:8080).

A task that cannot start (no model in the stage yet, no database secret) says so and exits
before it imports scikit-learn and FastAPI: ~0.3 s of CPU per failed start instead of ~1.5,
which matters while the scheduler restarts it with back-off (it shares the task's CPU on AWS and
two cores on a laptop).
"""

from __future__ import annotations

import logging
import os
import sys

from ml_common import model_store
from ml_common.aws import require_env

log = logging.getLogger("structured_data")


def build_app() -> object:
    bucket = require_env("MODELS_BUCKET")
    name = os.environ.get("MODEL_NAME", "structured_data")
    stage, pinned = os.environ.get("MODEL_STAGE", "prod"), os.environ.get("MODEL_VERSION") or None
    secret_arn = require_env("DB_SECRET_ARN")
    if not pinned:  # no model in the stage: fail now, before the heavy imports below
        model_store.resolve_version(bucket, name, stage)

    from structured_data.app import create_app
    from structured_data.db import PostgresRepository, conninfo_from_secret_arn
    from structured_data.serving import ModelWatcher

    watcher = ModelWatcher(bucket, name, stage=stage, pinned=pinned)
    repo = PostgresRepository(conninfo_from_secret_arn(secret_arn))
    repo.ensure_predictions()
    return create_app(repo, watcher, poll_seconds=float(os.environ.get("MODEL_POLL_SECONDS", "30")))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        app = build_app()
    except Exception as exc:  # noqa: BLE001 - a clear last word before the process exits
        log.error("cannot start: %s", exc)
        sys.exit(1)
    host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104 - a container listens on its ENI
    port = int(os.environ.get("PORT", "8080"))
    import uvicorn

    # One line per prediction, the app's own (id, label, latency); API Gateway's stage access
    # log keeps the per-request record. uvicorn's access line doubled the log volume (CloudWatch
    # Logs bills ingestion per GB) and its client address is the load balancer's.
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
