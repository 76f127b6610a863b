"""Application Auto Scaling's JSON 1.1 front: ``X-Amz-Target: AnyScaleFrontendService.<Action>``,
answers and errors (``{"__type": ..., "Message": ...}``) as AWS gives them."""

from __future__ import annotations

import json
import logging
from typing import Any

from atelier.emulator import application_autoscaling
from atelier.emulator.application_autoscaling.backend import Backend
from atelier.emulator.application_autoscaling.models import ApiError

log = logging.getLogger("atelier.application_autoscaling")
TARGET_PREFIX = application_autoscaling.TARGET_PREFIX
SIGNING_NAME = "application-autoscaling"
WITH_ACCOUNT = frozenset({"RegisterScalableTarget", "PutScalingPolicy"})
ACTIONS = frozenset(
    {
        "RegisterScalableTarget",
        "DescribeScalableTargets",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "DescribeScalingPolicies",
        "DeleteScalingPolicy",
        "DescribeScalingActivities",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
    }
)
Answer = tuple[int, dict[str, Any]]


def _snake(action: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in action).lstrip("_")


def handle(backend: Backend, action: str, body: bytes, account: str, region: str) -> Answer:
    """One call: (HTTP status, JSON answer)."""
    if action not in ACTIONS:
        return 400, {
            "__type": "UnknownOperationException",
            "Message": f"Unknown operation {action!r}",
        }
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return 400, {"__type": "SerializationException", "Message": "Invalid JSON body"}
    method = getattr(backend, _snake(action))
    try:
        with backend.lock:
            scope = backend.scope(account, region)
            if action in WITH_ACCOUNT:
                return 200, method(scope, data, account, region)
            return 200, method(scope, data)
    except ApiError as exc:
        return exc.status, {"__type": exc.code, "Message": exc.message}
    except (TypeError, ValueError, AttributeError) as exc:  # a field of the wrong type
        log.info("%s: bad input: %s", action, exc)
        return 400, {"__type": "ValidationException", "Message": f"Invalid request: {exc}"}
