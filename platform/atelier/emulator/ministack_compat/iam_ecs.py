"""The resources and condition keys of ECS task calls, as AWS authorizes them (ministack==1.5.33).

MiniStack's ``iam_actions.extract_resource_arn`` names the *cluster* as the resource of every
ECS call that carries a ``cluster`` field. AWS's service authorization reference differs for the
calls the platform's code makes:

- ``ecs:RunTask`` / ``ecs:StartTask``: the resource is the task definition
  (``task-definition/<family>:<revision>``), the cluster is the ``ecs:cluster`` condition key;
- ``ecs:DescribeTasks`` / ``ecs:StopTask``: the resource is the task
  (``task/<cluster>/<id>``), with ``ecs:cluster`` too.

So a least-privilege policy written for AWS (``deploy/policies.py``) is evaluated locally on the
same resource and condition as on AWS. :func:`apply` wraps both functions of ``iam_actions``;
the app imports them from the module at each request, so the wrappers take effect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.iam_actions": ("extract_resource_arn", "request_tag_context"),
    "ministack.services.ecs": ("_resolve_td_key",),
    "ministack.core.responses": ("get_account_id", "get_region"),
}
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
RUN = {"RunTask", "StartTask"}
ON_TASKS = {"DescribeTasks", "StopTask"}


def _operation(headers: dict[str, Any]) -> str:
    target = str(headers.get("x-amz-target") or headers.get("X-Amz-Target") or "")
    return target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""


def _body(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _cluster_arn(doc: dict[str, Any], region: str, account: str) -> str:
    cluster = str(doc.get("cluster") or "default")
    if cluster.startswith("arn:"):
        return cluster
    return f"arn:aws:ecs:{region}:{account}:cluster/{cluster}"


def task_resource(op: str, doc: dict[str, Any], region: str, account: str) -> str | None:
    """The resource AWS authorizes ``op`` on, or None when MiniStack's answer stands."""
    from ministack.services import ecs

    if op in RUN and doc.get("taskDefinition"):
        key = ecs._resolve_td_key(str(doc["taskDefinition"]))
        return f"arn:aws:ecs:{region}:{account}:task-definition/{key}" if key else None
    if op in ON_TASKS:
        tasks = doc.get("tasks") if op == "DescribeTasks" else [doc.get("task")]
        first = str((tasks or [""])[0] or "")
        if first.startswith("arn:"):
            return first
        if first:
            cluster = _cluster_arn(doc, region, account).rsplit("/", 1)[-1]
            return f"arn:aws:ecs:{region}:{account}:task/{cluster}/{first}"
    return None


def apply() -> bool:
    from ministack.core import iam_actions

    extract: Callable[..., str] = iam_actions.extract_resource_arn
    tag_context: Callable[..., dict[str, Any]] = iam_actions.request_tag_context
    if getattr(extract, "_atelier", False):
        return True

    def extract_resource_arn(
        service: str, method: str, path: str, headers: dict[str, Any], body: bytes,
        query_params: dict[str, Any], region: str, account_id: str,
    ) -> str:  # fmt: skip
        if service == "ecs" and (op := _operation(headers)) in RUN | ON_TASKS:
            found = task_resource(op, _body(body), region, account_id)
            if found:
                return found
        return extract(service, method, path, headers, body, query_params, region, account_id)

    def request_tag_context(
        service: str, iam_action: str, body: bytes, params: dict[str, Any]
    ) -> dict[str, Any]:
        context = tag_context(service, iam_action, body, params)
        op = iam_action.split(":", 1)[-1]
        if service == "ecs" and op in RUN | ON_TASKS:
            from ministack.core.responses import get_account_id, get_region

            context = {**context, "ecs:cluster": _cluster_arn(_body(body), get_region(),
                                                              get_account_id())}  # fmt: skip
        return context

    extract_resource_arn._atelier = True  # type: ignore[attr-defined]
    iam_actions.extract_resource_arn = extract_resource_arn
    iam_actions.request_tag_context = request_tag_context
    return True
