"""What ``atelier cost replay`` changes on the deployment for its span, and restores after:
the deployment's own schedules (the replay drives the canary's traffic itself) and the TOKEN
authorizer's result cache (it runs on real time; the replay compresses hours into seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from atelier.cost.client import runtime_client


@contextmanager
def paused_schedules(endpoint: str, prefix: str, region: str) -> Iterator[list[str]]:
    """Disable the deployment's own schedules (the every-minute canary, the drift check) for the
    replay, which drives the canary's traffic itself; enable again what was enabled."""
    events = runtime_client("events", endpoint, region)
    rules = events.list_rules(NamePrefix=prefix).get("Rules", [])
    paused = [r["Name"] for r in rules if r.get("ScheduleExpression") and r["State"] == "ENABLED"]
    for name in paused:
        events.disable_rule(Name=name)
    try:
        yield paused
    finally:
        for name in paused:
            events.enable_rule(Name=name)


@contextmanager
def uncached_authorizer(endpoint: str, api_id: str | None, region: str) -> Iterator[list[str]]:
    """No authorizer result cache during the replay; restored after. API Gateway keeps a TOKEN
    authorizer's answer for its TTL in real time (300 s here), and the replay sends hours of
    requests in seconds: one authorizer call would answer them all, where AWS makes one per
    caller per 5 minutes. The replayed profile counts its requests per month (no hourly rate,
    so no per-hour cap), and its estimate then bills one authorizer call per authorized request:
    what the runtime does with the cache off."""
    if api_id is None:
        yield []
        return
    apig = runtime_client("apigateway", endpoint, region)
    kept = {
        a["id"]: int(a.get("authorizerResultTtlInSeconds") or 0)
        for a in apig.get_authorizers(restApiId=api_id).get("items", [])
    }

    def set_ttl(authorizer_id: str, ttl: int) -> None:
        apig.update_authorizer(
            restApiId=api_id,
            authorizerId=authorizer_id,
            patchOperations=[
                {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": str(ttl)}
            ],
        )

    changed = [a for a, ttl in kept.items() if ttl]
    for authorizer_id in changed:
        set_ttl(authorizer_id, 0)
    try:
        yield changed
    finally:
        for authorizer_id in changed:
            set_ttl(authorizer_id, kept[authorizer_id])
