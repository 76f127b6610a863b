"""Starting a job: a PENDING item, then ``RunTask``, then the task ARN on the job.

If RunTask fails the job is marked FAILED with the reason and the caller gets 503 (the job id
is in the error body). With an ``Idempotency-Key`` header the same key returns the same job:
powertools idempotency on ``IDEMPOTENCY_TABLE`` (its documented schema: pk ``id``, TTL
``expiration``) stores the answer under the key, per function. Why powertools rather than a
hand-written conditional put: it already handles the in-progress window (a concurrent
duplicate gets 409 instead of starting a second task), expiry, and a different body under the
same key (422); and a failure (exception) is not stored, so retrying a 503 with the same key
really retries. Keys live 24 hours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_shared import settings
from lambda_shared.api import logger
from lambda_shared.aws import client
from lambda_shared.errors import (
    ConfigurationError,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    ServiceUnavailable,
)
from lambda_shared.tasks import Launch, TaskStartError, run_task
from ml_common.jobs import PENDING, JobStateError, JobStore, new_job_id

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces


@dataclass(frozen=True)
class Pipeline:
    """A job pipeline: its name (= its task's container) and how a request becomes task env."""

    name: str
    task_definition: Callable[[settings.LaunchSettings], str | None]
    task_env: Callable[[dict[str, Any]], dict[str, str]]
    gpu: bool = False


IMAGES = Pipeline(
    name="non_structured_data_images",
    task_definition=lambda conf: conf.images_task_definition,
    task_env=lambda request: {"INPUT_LINK": request["link"]},
)
ACTIVE_LEARNING = Pipeline(
    name="non_structured_al_data_images",
    task_definition=lambda conf: conf.al_task_definition,
    task_env=lambda request: {"DATASET_IDS": json.dumps(request["ids"])},
    gpu=True,
)


def idempotency_key(value: str | None) -> str | None:
    """The header's value if it is an acceptable key (400 otherwise); None when absent."""
    if value is None:
        return None
    if not _KEY.fullmatch(value):
        raise InvalidIdempotencyKey(
            f"the {IDEMPOTENCY_HEADER} header must be 1 to 255 printable ASCII characters"
        )
    return value


def _launch(pipeline: Pipeline) -> Launch:
    conf = settings.launch_settings()
    definition = pipeline.task_definition(conf)
    if not definition:
        raise ConfigurationError(
            "the API is misconfigured; see the function's logs",
            internal=f"no task definition variable set for {pipeline.name}",
        )
    return Launch(
        cluster=settings.jobs_settings().ecs_cluster,
        task_definition=definition,
        container=pipeline.name,
        subnets=conf.subnet_ids,
        security_groups=conf.security_group_ids,
        launch_type="EC2" if pipeline.gpu else "FARGATE",
        capacity_provider=conf.gpu_capacity_provider if pipeline.gpu else None,
    )


def start_job(pipeline: Pipeline, request: dict[str, Any]) -> dict[str, Any]:
    """Create the job, start its task; ``{"job_id", "status": "PENDING"}``."""
    launch = _launch(pipeline)
    store = JobStore(settings.jobs_settings().jobs_table, client("dynamodb"))
    job_id = new_job_id()
    store.create(job_id, pipeline.name, request)
    try:
        task_arn = run_task(
            launch, {"JOB_ID": job_id, **pipeline.task_env(request)}, started_by=job_id
        )
    except TaskStartError as exc:
        logger.error("task not started", job_id=job_id, reason=str(exc))
        store.mark_failed(job_id, str(exc))
        raise ServiceUnavailable(
            "the job could not be started; try again later", job_id=job_id, status="FAILED"
        ) from exc
    try:
        store.set_task_arn(job_id, task_arn)
    except JobStateError as exc:  # the task runs anyway; the job just lacks its ARN
        logger.warning("task ARN not recorded", job_id=job_id, reason=str(exc))
    logger.info("job started", job_id=job_id, pipeline=pipeline.name, task_arn=task_arn)
    return {"job_id": job_id, "status": PENDING}


@cache
def _idempotent_start() -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
    """``start_job`` behind powertools idempotency (built on first use: it needs settings)."""
    config = IdempotencyConfig(
        event_key_jmespath="[pipeline, caller, key]",
        payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
    )
    store = DynamoDBPersistenceLayer(
        table_name=settings.launch_settings().idempotency_table,
        boto3_client=client("dynamodb"),
    )

    start = idempotent_function(
        _start_submission,
        data_keyword_argument="submission",
        config=config,
        persistence_store=store,
    )
    return config, start


def _start_submission(*, submission: dict[str, Any], pipeline: Pipeline) -> dict[str, Any]:
    return start_job(pipeline, submission["request"])


def submit(
    pipeline: Pipeline,
    request: dict[str, Any],
    key: str | None,
    context: LambdaContext | None,
    caller: str | None = None,
) -> dict[str, Any]:
    """Start a job, or with ``key`` return the job that key already started for ``caller``
    (the authorizer's principal: one caller's key never returns another caller's job)."""
    if key is None:
        return start_job(pipeline, request)
    config, start = _idempotent_start()
    if context is not None:
        config.register_lambda_context(context)  # in-progress records expire with the call
    submission = {"pipeline": pipeline.name, "caller": caller, "key": key, "request": request}
    try:
        return start(submission=submission, pipeline=pipeline)
    except IdempotencyAlreadyInProgressError as exc:
        raise IdempotencyInProgress(
            f"a request with this {IDEMPOTENCY_HEADER} is still being processed; retry shortly"
        ) from exc
    except IdempotencyValidationError as exc:
        raise IdempotencyKeyReused(
            f"this {IDEMPOTENCY_HEADER} was already used with a different request body"
        ) from exc


def caller(event: dict[str, Any]) -> str | None:
    """The principal API Gateway's authorizer vouched for (REST proxy event)."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    principal = authorizer.get("principalId")
    return principal if isinstance(principal, str) and principal else None


def reset() -> None:
    _idempotent_start.cache_clear()
