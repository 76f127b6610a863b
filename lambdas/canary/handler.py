"""The ``canary`` Lambda: one model check per scheduled event (see ``model_check``).

Configuration (environment): ``API_URL``; ``CANARY_SECRET_ARN`` (a secret
``{"username", "password"}`` of the monitoring user) or ``CANARY_USERNAME`` /
``CANARY_PASSWORD``; ``GOLDEN_PATH`` (default ``golden.json`` in the bundle: ``{"cases": [...]}``);
``CANARY_CALL_TIMEOUT_S`` (optional, seconds per API call, default 10);
``CANARY_IMAGE_LINK`` (optional, an ``s3://`` golden image: its job is followed until the
function's remaining time less ``PUBLISH_MARGIN_S``); ``JOBS_TABLE`` and ``JOB_LIMITS``
(optional: also count the jobs RUNNING past their pipeline's limit, ``jobs_check``).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import jobs_check
import model_check

PUBLISH_MARGIN_S = 5.0  # left for PutMetricData, the jobs scan and the log line


def _deadline(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return time.monotonic() + max(0.0, float(remaining()) / 1000.0 - PUBLISH_MARGIN_S)


def _credentials() -> tuple[str, str]:
    arn = os.environ.get("CANARY_SECRET_ARN")
    if arn:
        secret = json.loads(
            boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        )
        return secret["username"], secret["password"]
    return os.environ["CANARY_USERNAME"], os.environ["CANARY_PASSWORD"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    golden_path = Path(os.environ.get("GOLDEN_PATH") or Path(__file__).with_name("golden.json"))
    golden = json.loads(golden_path.read_text())["cases"]
    username, password = _credentials()
    result = model_check.run(
        os.environ["API_URL"],
        username,
        password,
        golden,
        os.environ.get("CANARY_IMAGE_LINK") or None,
        _deadline(context),
        float(os.environ.get("CANARY_CALL_TIMEOUT_S") or model_check.TIMEOUT_S),
    )
    model_check.publish(result, boto3.client("cloudwatch"))
    if os.environ.get("JOBS_TABLE") and os.environ.get("JOB_LIMITS"):
        items = jobs_check.running_jobs(boto3.client("dynamodb"), os.environ["JOBS_TABLE"])
        limits = json.loads(os.environ["JOB_LIMITS"])
        late = jobs_check.overdue(items, limits, datetime.now(UTC))
        jobs_check.publish(boto3.client("cloudwatch"), late)
        print(json.dumps({"event": "jobs_overdue", "jobs": late}))
    answer: dict[str, Any] = result.as_dict()
    print(json.dumps({"event": "canary_run", **answer}))  # one line per run, for Logs Insights
    return answer
