"""The API's state and actions, kept per account and region, in memory (like saved queries,
scaling configuration is recreated by a deploy)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from atelier.emulator import clock
from atelier.emulator.application_autoscaling import models
from atelier.emulator.application_autoscaling.models import (
    ApiError,
    ScalableTarget,
    ScalingPolicy,
    require_str,
    validation,
)

Key = tuple[str, str, str]  # (namespace, resource id, dimension)


@dataclass
class Scope:
    """One account and region: its targets, policies (by key, then name) and tags (by ARN)."""

    targets: dict[Key, ScalableTarget] = field(default_factory=dict)
    policies: dict[Key, dict[str, ScalingPolicy]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    activities: list[dict[str, Any]] = field(default_factory=list)


def _key(data: dict[str, Any]) -> Key:
    key = (
        require_str(data, "ServiceNamespace"),
        require_str(data, "ResourceId"),
        require_str(data, "ScalableDimension"),
    )
    models.check_dimension(key[0], key[2], key[1])
    return key


def _page(items: list[dict[str, Any]], data: dict[str, Any], field_name: str) -> dict[str, Any]:
    limit = data.get("MaxResults") or 50
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
        raise validation(f"MaxResults must be 1 to 50, got {limit!r}")
    token = data.get("NextToken") or "0"
    if not str(token).isdigit():
        raise ApiError("InvalidNextTokenException", "The next token is invalid")
    start = int(token)
    answer: dict[str, Any] = {field_name: items[start : start + limit]}
    if start + limit < len(items):
        answer["NextToken"] = str(start + limit)
    return answer


class Backend:
    """``on_register(account, region, target)`` lets the scaler clamp a service at once."""

    def __init__(
        self,
        on_register: Callable[[str, str, ScalableTarget], None] | None = None,
        ecs_service_exists: Callable[[str, str, str, str], bool] | None = None,
    ):
        self.lock = threading.RLock()
        self._scopes: dict[tuple[str, str], Scope] = {}
        self.on_register = on_register
        self.ecs_service_exists = ecs_service_exists

    def scope(self, account: str, region: str) -> Scope:
        with self.lock:
            return self._scopes.setdefault((account, region), Scope())

    def scopes(self) -> list[tuple[str, str, Scope]]:
        with self.lock:
            return [(a, r, s) for (a, r), s in self._scopes.items()]

    # -- scalable targets ------------------------------------------------------------------

    def register_scalable_target(
        self, s: Scope, data: dict[str, Any], account: str, region: str
    ) -> dict[str, Any]:
        key = _key(data)
        existing = s.targets.get(key)
        low, high = models.capacities(data, existing)
        match = models.ECS_RESOURCE.match(key[1])
        if (
            existing is None
            and match
            and self.ecs_service_exists is not None
            and not self.ecs_service_exists(account, region, match["cluster"], match["service"])
        ):
            raise validation(f"ECS service doesn't exist: {key[1]}")
        suspended = data.get("SuspendedState") or (existing.suspended if existing else {})
        if not isinstance(suspended, dict):
            raise validation("SuspendedState must be an object")
        role = data.get("RoleARN") or (existing.role_arn if existing else "")
        if not role:
            linked = models.SERVICE_LINKED_ROLE.get(
                key[0],
                f"{key[0]}.application-autoscaling"
                ".amazonaws.com/AWSServiceRoleForApplicationAutoScaling",
            )
            role = f"arn:aws:iam::{account}:role/aws-service-role/{linked}"
        if existing is None:
            target = ScalableTarget(
                key[0],
                key[2],
                key[1],
                low,
                high,
                str(role),
                models.target_arn(region, account),
                clock.now(),
                dict(suspended),
            )
            s.targets[key] = target
        else:
            target = existing
            target.min_capacity, target.max_capacity, target.role_arn = low, high, str(role)
            target.suspended = dict(suspended)
        tags = data.get("Tags")
        if tags is not None:
            self._tag(s, target.arn, tags)
        if self.on_register is not None:
            self.on_register(account, region, target)
        return {"ScalableTargetARN": target.arn}

    def describe_scalable_targets(self, s: Scope, data: dict[str, Any]) -> dict[str, Any]:
        namespace = require_str(data, "ServiceNamespace")
        ids = data.get("ResourceIds") or []
        dimension = data.get("ScalableDimension")
        found = [
            t.shape()
            for (ns, rid, dim), t in sorted(s.targets.items())
            if ns == namespace and (not ids or rid in ids) and (not dimension or dim == dimension)
        ]
        return _page(found, data, "ScalableTargets")

    def deregister_scalable_target(self, s: Scope, data: dict[str, Any]) -> dict[str, Any]:
        key = _key(data)
        target = s.targets.pop(key, None)
        if target is None:
            raise ApiError(
                "ObjectNotFoundException",
                f"No scalable target registered for "
                f"service namespace: {key[0]}, resource ID: {key[1]}, scalable "
                f"dimension: {key[2]}",
            )
        s.policies.pop(key, None)  # AWS deletes the target's policies with it
        s.tags.pop(target.arn, None)
        return {}

    # -- scaling policies -----------------------------------------------------------------

    def put_scaling_policy(
        self, s: Scope, data: dict[str, Any], account: str, region: str
    ) -> dict[str, Any]:
        name = require_str(data, "PolicyName")
        if len(name) > 256:
            raise validation("PolicyName must be at most 256 characters")
        key = _key(data)
        if key not in s.targets:
            raise ApiError(
                "ObjectNotFoundException",
                f"No scalable target registered for "
                f"service namespace: {key[0]}, resource ID: {key[1]}, scalable "
                f"dimension: {key[2]}",
            )
        policy_type = str(data.get("PolicyType") or "StepScaling")
        config = models.policy_configuration(policy_type, data)
        existing = s.policies.get(key, {}).get(name)
        arn = existing.arn if existing else models.policy_arn(region, account, key[0], key[1], name)
        s.policies.setdefault(key, {})[name] = ScalingPolicy(
            name,
            key[0],
            key[2],
            key[1],
            policy_type,
            config,
            arn,
            existing.created if existing else clock.now(),
        )
        return {"PolicyARN": arn, "Alarms": []}

    def describe_scaling_policies(self, s: Scope, data: dict[str, Any]) -> dict[str, Any]:
        namespace = require_str(data, "ServiceNamespace")
        names = data.get("PolicyNames") or []
        rid, dimension = data.get("ResourceId"), data.get("ScalableDimension")
        found = [
            p.shape()
            for (ns, r, dim), policies in sorted(s.policies.items())
            for p in policies.values()
            if ns == namespace
            and (not rid or r == rid)
            and (not dimension or dim == dimension)
            and (not names or p.name in names)
        ]
        return _page(found, data, "ScalingPolicies")

    def delete_scaling_policy(self, s: Scope, data: dict[str, Any]) -> dict[str, Any]:
        name = require_str(data, "PolicyName")
        key = _key(data)
        if s.policies.get(key, {}).pop(name, None) is None:
            raise ApiError(
                "ObjectNotFoundException",
                f"No scaling policy found for service "
                f"namespace: {key[0]}, resource ID: {key[1]}, scalable dimension: "
                f"{key[2]}, policy name: {name}",
            )
        return {}

    def describe_scaling_activities(self, s: Scope, data: dict[str, Any]) -> dict[str, Any]:
        namespace = require_str(data, "ServiceNamespace")
        rid = data.get("ResourceId")
        found = [
            a
            for a in reversed(s.activities)
            if a["ServiceNamespace"] == namespace and (not rid or a["ResourceId"] == rid)
        ]
        return _page(found, data, "ScalingActivities")

    # -- tags -----------------------------------------------------------------------------

    def _arn_known(self, s: Scope, arn: str) -> None:
        if not any(t.arn == arn for t in s.targets.values()):
            raise ApiError("ResourceNotFoundException", f"No scalable target found for {arn}")

    def _tag(self, s: Scope, arn: str, tags: Any) -> None:
        if not isinstance(tags, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
        ):
            raise validation("Tags must map tag keys to string values")
        current = s.tags.setdefault(arn, {})
        if len(current | tags) > 50:
            raise ApiError("TooManyTagsException", "A resource can have at most 50 tags")
        current.update(tags)

    def tag_resource(self, s: Scope, data: dict[str, Any]) -> dict[str, Any]:
        arn = require_str(data, "ResourceARN")
        self._arn_known(s, arn)
        self._tag(s, arn, data.get("Tags"))
        return {}

    def untag_resource(self, s: Scope, data: dict[str, Any]) -> dict[str, Any]:
        arn = require_str(data, "ResourceARN")
        self._arn_known(s, arn)
        keys = data.get("TagKeys") or []
        for k in keys:
            s.tags.get(arn, {}).pop(k, None)
        return {}

    def list_tags_for_resource(self, s: Scope, data: dict[str, Any]) -> dict[str, Any]:
        arn = require_str(data, "ResourceARN")
        self._arn_known(s, arn)
        return {"Tags": dict(s.tags.get(arn, {}))}

    # -- what the scaler records ---------------------------------------------------------

    def record_activity(self, account: str, region: str, activity: dict[str, Any]) -> None:
        with self.lock:
            s = self.scope(account, region)
            s.activities.append(activity)
            del s.activities[:-200]
