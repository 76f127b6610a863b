"""The public API's one registry: every route with the models it validates and answers with.

The request models are the ones the handlers parse with (``lambda_shared.validation``); the
response models describe what they answer. The routes themselves come from ``topology.yaml``
(the one registry of routes, which also builds API Gateway); ``lambda_shared.openapi`` joins
each route with its :data:`MODELS` entry into the OpenAPI 3 document (committed as
``lambdas/openapi.json``, checked for drift by ``tests/unit/lambdas/test_openapi.py``). A route
without an entry here still appears, with a generic body, and its test says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lambda_shared.validation import (
    ActiveLearningRequest,
    ImageJobRequest,
    JobList,
    LoginRequest,
    PredictRequest,
    UploadRequest,
    UploadTarget,
)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class FieldProblem(BaseModel):
    field: str
    problem: str


class ApiErrorBody(_Answer):
    """Every error of the lambdas: ``error`` is a stable code, ``message`` is for a person."""

    message: str = Field(min_length=1)
    error: str = Field(min_length=1)
    errors: list[FieldProblem] | None = None
    job_id: str | None = None
    status: str | None = None


class GatewayErrorBody(_Answer):
    """API Gateway's own answers (authorizer 401/403, stage throttling 429)."""

    message: str = Field(min_length=1)


class Token(_Answer):
    token: str = Field(min_length=1)
    expires_in: int = Field(gt=0)


class Prediction(_Answer):
    id: str
    prediction: int
    label: str
    model_version: str
    probabilities: list[float] | dict[str, float] | None = None
    latency_ms: float | None = None
    created_at: str | None = None


JobStatus = Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED"]


class JobAccepted(_Answer):
    job_id: str
    status: JobStatus


class Progress(_Answer):
    round: int
    of: int


class Job(_Answer):
    job_id: str
    pipeline: str
    status: JobStatus
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    request: dict[str, object] | None = None
    progress: Progress | None = None
    outputs: dict[str, str] | None = None
    error: str | None = None
    device: str | None = None


AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]


class AlarmRow(_Answer):
    name: str
    state: AlarmState
    reason: str
    updated: str | None = None
    metric: str | None = None
    notifies: bool | None = None


class CanaryMinute(_Answer):
    """One minute the model check ran (``Atelier/Canary``)."""

    minute: str
    success: bool
    wrong_answers: int = Field(ge=0)
    latency_ms: float | None = None


class DriftCheck(_Answer):
    """The last drift check (``drift/latest.json`` of the artifacts bucket)."""

    checked_at: str | None = None
    share: float = Field(ge=0, le=1)
    drifted: list[str]
    current_rows: int | None = None
    report_url: str | None = None


class Operations(_Answer):
    environment: str
    minutes: int = Field(ge=1)
    alarms: list[AlarmRow]
    canary: list[CanaryMinute]
    drift: DriftCheck | None


@dataclass(frozen=True)
class Route:
    """One route of ``topology.yaml`` (the registry of routes): method, path, its Lambda."""

    method: str
    path: str
    function: str
    authorized: bool = True


@dataclass(frozen=True)
class Models:
    """What a route validates and answers with (kept next to the models, in this package)."""

    summary: str
    ok: tuple[int, type[BaseModel]]
    request: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    idempotency_key: bool = False
    # name -> (description, JSON schema) of each path parameter
    path_params: dict[str, tuple[str, dict[str, object]]] = field(default_factory=dict)
    # name -> (description, JSON schema) of each optional query parameter
    query_params: dict[str, tuple[str, dict[str, object]]] = field(default_factory=dict)
    example: dict[str, object] | None = None  # a request that succeeds on a seeded stack
    # OpenAPI links from the success answer: name -> (target operation, its parameters as
    # runtime expressions), so a client (or schemathesis' stateful phase) can chain calls
    links: dict[str, tuple[tuple[str, str], dict[str, str]]] = field(default_factory=dict)


_COMMON = (400, 413, 422, 500)
# keyed by (METHOD, path) as topology.yaml declares the route
MODELS: dict[tuple[str, str], Models] = {
    ("POST", "/auth"): Models(
        "Log in: a bearer token for the other routes",
        ok=(200, Token), request=LoginRequest, errors=(*_COMMON, 401),
        links={"ListJobsWithToken": (("GET", "/jobs"), {
            "header.Authorization": "Bearer {$response.body#/token}"})},
    ),
    ("POST", "/structured_data"): Models(
        "Predict one record",
        ok=(200, Prediction), request=PredictRequest, errors=(*_COMMON, 404, 502, 503, 504),
        example={"id": "1789"},
    ),
    ("POST", "/non_structured_data_images"): Models(
        "Start an image job", ok=(202, JobAccepted), request=ImageJobRequest,
        errors=(*_COMMON, 409, 503), idempotency_key=True,
        links={"GetJob": (("GET", "/jobs/{job_id}"), {"path.job_id": "$response.body#/job_id"})},
    ),
    ("POST", "/non_structured_al_data_images"): Models(
        "Start an active-learning job", ok=(202, JobAccepted), request=ActiveLearningRequest,
        errors=(*_COMMON, 409, 503), idempotency_key=True,
        links={"GetJob": (("GET", "/jobs/{job_id}"), {"path.job_id": "$response.body#/job_id"})},
    ),
    ("GET", "/jobs/{job_id}"): Models(
        "A job: status, timings, outputs, error, progress",
        ok=(200, Job), errors=(400, 404, 500),
        path_params={"job_id": ("the job id answered by a job route", {
            "type": "string", "format": "uuid",
            "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
        })},
    ),
    ("GET", "/jobs"): Models(
        "The caller's jobs, newest first, one page at a time",
        # 400: a cursor this API never issued, a limit that is not a number; 422: a field out
        # of its bounds (limit 0 or 101, an empty cursor), as the other routes answer it
        ok=(200, JobList), errors=(400, 422, 500),
        query_params={
            "limit": ("jobs per page (default 20)", {"type": "integer", "minimum": 1, "maximum": 100}),
            "next": ("the cursor of the previous page's answer", {"type": "string", "minLength": 1}),
        },
    ),
    ("POST", "/uploads"): Models(
        "A presigned POST form to send one image to S3", ok=(200, UploadTarget),
        request=UploadRequest, errors=_COMMON,
    ),
    ("GET", "/operations"): Models(
        "Alarm states, the model check's last minutes, the last drift check",
        ok=(200, Operations), errors=(400, 500),
        query_params={"minutes": ("how many minutes of the model check to return (default 30)",
                                  {"type": "integer", "minimum": 1, "maximum": 180})},
    ),
}  # fmt: skip
