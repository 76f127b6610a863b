"""API Gateway REST (MiniStack 1.5.33 ``services.apigateway_v1``): a Lambda authorizer's policy
matched against a method ARN as IAM matches it, and the stage's throttle checked before the
authorizer runs.

The method ARN ends with the request path as API Gateway decoded it, so a path parameter can
hold any character, a newline included (``GET /jobs/%0A``). MiniStack's ``_arn_matches`` turns
the policy's ``Resource`` into ``^...$`` with ``*`` as ``.*`` and ``re.match``: ``.`` does not
match a newline, so an authorizer that allows ``arn:...:api/stage/*`` (the usual policy) was
"no match" for such a path, and the request was refused by API Gateway (403) before the Lambda
saw it. IAM's ``*`` matches any run of characters and ``?`` any one, newlines included, and the
whole ARN must match (``$`` also matched before a final newline). :func:`apply` replaces the
matcher with that rule; on AWS the request reaches the Lambda, which answers 400 for a
malformed id, and so it does here.

MiniStack ran a method's Lambda authorizer first and checked the stage's throttle (its
``methodSettings`` rate/burst token bucket) after it, so each request above the limit still
invoked the authorizer before its 429: in a burst above the limit (``docs/benchmarks.md``,
"Load") the refused half kept the authorizer's workers busy and the admitted half queued behind
them. AWS applies the stage and method limits before the authorizer (only a usage plan's limits,
whose API key may come from the authorizer, need it first). :func:`apply` moves the stage check
in front of the authorizer (:func:`authorize_after_stage_throttle`) and leaves the usage-plan
checks where they were (:func:`usage_plan_throttle`), so a token is taken once per request.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from atelier.emulator.ministack_compat import post_import

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.apigateway_v1": (
        "_arn_matches",
        "_authorize_request_v1",
        "_check_throttle",
        "_method_throttle_settings",
        "_take_token",
        "_usage_plans_for_key",
        "_gw_error",
        "_GATEWAY_ERROR_MESSAGES",
    ),
}


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(regex, re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    """Whether the policy ``Resource`` ``pattern`` (``*``/``?`` globs) matches all of ``arn``."""
    return _compiled(str(pattern)).fullmatch(str(arn)) is not None


def stage_throttle(stage: dict[str, Any], api_id: str, stage_name: str, resource_path: str,
                   http_method: str) -> Any:  # fmt: skip
    """API Gateway's THROTTLED error if the stage's (or the method's) limit refuses this
    request, else None; takes one token from the same bucket MiniStack keeps."""
    from ministack.services import apigateway_v1 as v1

    entry = v1._method_throttle_settings(stage, resource_path, http_method)
    if entry is None:
        return None
    limits = {"rateLimit": entry.get("throttlingRateLimit"),
              "burstLimit": entry.get("throttlingBurstLimit")}  # fmt: skip
    if v1._take_token(("stage", api_id, stage_name, resource_path, http_method), limits):
        return None
    return v1._gw_error("THROTTLED", v1._GATEWAY_ERROR_MESSAGES["THROTTLED"])


def usage_plan_throttle(stage: dict[str, Any], api_id: str, stage_name: str,
                        resource_path: str, http_method: str, key: Any) -> Any:  # fmt: skip
    """``_check_throttle`` without the stage's bucket (checked before the authorizer)."""
    from ministack.services import apigateway_v1 as v1

    if key is None:
        return None
    for plan_id, plan, entry in v1._usage_plans_for_key(key["id"], api_id, stage_name):
        buckets: list[tuple[tuple[Any, ...], Any]] = [
            (("plan", plan_id, key["id"]), plan.get("throttle") or {})
        ]
        method_limits = (entry.get("throttle") or {}).get(f"{resource_path}/{http_method}")
        if method_limits:
            slot = ("plan", plan_id, key["id"], api_id, stage_name, resource_path, http_method)
            buckets.append((slot, method_limits))
        for slot, limits in buckets:
            if not v1._take_token(slot, limits):
                return v1._gw_error("THROTTLED", v1._GATEWAY_ERROR_MESSAGES["THROTTLED"])
    return None


def apply() -> str:
    from ministack.services import apigateway_v1

    apigateway_v1._arn_matches = arn_matches
    original = apigateway_v1._authorize_request_v1
    if getattr(original, "_atelier", False):
        return "authorizer policy resources as IAM's globs; the stage throttle before it"

    async def authorize_after_stage_throttle(
        api_id: str, stage_name: str, method_obj: dict[str, Any], method: str,
        request_path: str, resource: dict[str, Any], headers: Any, body: Any,
        query_params: Any, path_params: Any, stage: dict[str, Any], *owner: Any,
    ) -> Any:  # fmt: skip
        refused = stage_throttle(stage or {}, api_id, stage_name, resource["path"], method)
        if refused is not None:
            return refused, None
        return await original(
            api_id, stage_name, method_obj, method, request_path, resource, headers, body,
            query_params, path_params, stage, *owner,
        )  # fmt: skip

    authorize_after_stage_throttle._atelier = True  # type: ignore[attr-defined]
    apigateway_v1._authorize_request_v1 = authorize_after_stage_throttle
    apigateway_v1._check_throttle = usage_plan_throttle
    return "authorizer policy resources as IAM's globs; the stage throttle before it"


def apply_on_import() -> None:
    """:func:`apply` when MiniStack first imports its API Gateway service (:mod:`.post_import`)."""
    post_import.when_imported(
        "ministack.services.apigateway_v1", "authorizer globs, stage throttle first", apply
    )
