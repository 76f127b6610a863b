"""The HTTP API: ``POST /predict {"id"}``, ``GET /health`` and ``GET /version`` (the model version
served now: it follows the registry's prod pointer, see ``serving``). Every error is a JSON body."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import OperationalError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from structured_data.db import Prediction, Repository
from structured_data.model import Classifier
from structured_data.serving import ModelWatcher, Served

log = logging.getLogger("structured_data")
MAX_BODY_BYTES = 4096
ID_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = Field(pattern=ID_PATTERN, description="record id, e.g. '1789'")


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"message": message, **extra})


class BodyLimit:
    """413 for a body declared larger than ``MAX_BODY_BYTES``, before the app reads it.

    A plain ASGI middleware: ``@app.middleware("http")`` (Starlette's ``BaseHTTPMiddleware``)
    runs every request through an extra task and two memory streams, a tenth of the service's
    CPU per prediction under load (docs/benchmarks.md, "Load")."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                too_big = _error(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
                await too_big(scope, receive, send)
                return
        await self.app(scope, receive, send)


class VersionResponse(BaseModel):
    model_name: str
    model_version: str
    stage: str | None
    pinned: bool
    loaded_at: str
    last_reload_error: str | None


def create_app(
    repo: Repository,
    model: Classifier | ModelWatcher,
    model_version: str = "",
    poll_seconds: float = 0.0,
) -> FastAPI:
    """``model`` is a fixed classifier (with ``model_version``) or a watcher that follows the
    registry, checking every ``poll_seconds`` while the app runs (started and stopped with it);
    every answer names the version that produced it."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if isinstance(model, ModelWatcher):
            model.start(poll_seconds)
        warm()
        try:
            yield
        finally:
            if isinstance(model, ModelWatcher):
                model.stop()
            repo.close()  # a stopped task ends its database sessions rather than dropping them

    app = FastAPI(title="structured_data", docs_url=None, redoc_url=None, lifespan=lifespan)
    fixed = (
        Served(model, model_version, datetime.now(UTC).isoformat(timespec="seconds"))
        if isinstance(model, Classifier)
        else None
    )

    def current() -> Served:
        return fixed if fixed is not None else model.current  # type: ignore[union-attr]

    def warm() -> None:
        """Before the first request: the database pool starts connecting, and the model makes
        one throw-away prediction (nothing is recorded). The first prediction after a deploy
        took ~80 ms more than the next ones without this (docs/benchmarks.md, "Load")."""
        repo.warm()
        classifier = current().classifier
        classifier.predict_one(dict.fromkeys(classifier.columns, 0.0))

    app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "problem": e["msg"]}
            for e in exc.errors()
        ]
        return _error(422, 'expected a JSON body {"id": "<record id>"}', errors=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return _error(503, "the feature store is unavailable; retry later")

    @app.exception_handler(Exception)
    async def crashed(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _error(500, "internal error")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "model_version": current().version}

    @app.get("/version")
    def version() -> VersionResponse:
        served = current()
        watcher = model if isinstance(model, ModelWatcher) else None
        return VersionResponse(
            model_name=watcher.name if watcher else "structured_data",
            model_version=served.version,
            stage=watcher.stage if watcher else None,
            pinned=bool(watcher.pinned) if watcher else True,
            loaded_at=served.loaded_at,
            last_reload_error=watcher.last_error if watcher else None,
        )

    @app.post("/predict", response_model=None)
    def predict(body: PredictRequest) -> dict[str, Any] | JSONResponse:
        with repo.unit():  # the read and the insert on one connection
            return _predict(body)

    def _predict(body: PredictRequest) -> dict[str, Any] | JSONResponse:
        start = time.perf_counter()
        served = current()  # one version for the whole request, even if a reload happens now
        classifier = served.classifier
        features = repo.features(body.id, classifier.columns)
        if features is None:
            return _error(404, f"no record with id {body.id!r}")
        label_index, probabilities = classifier.predict_one(features)
        latency_ms = round((time.perf_counter() - start) * 1000.0, 3)
        prediction = Prediction(
            id=body.id,
            prediction=label_index,
            label=classifier.target_names[label_index],
            probabilities=probabilities,
            model_version=served.version,
            latency_ms=latency_ms,
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        repo.record(prediction)
        log.info("predicted id=%s label=%s latency_ms=%.1f", body.id, prediction.label, latency_ms)
        return prediction.__dict__

    return app
