"""The scaler: acts on the ECS targets and target tracking policies of :mod:`.backend`.

A registered target is clamped at once (a service outside its new min/max moves into it, as on
AWS). Then, every evaluation period (60 s of the runtime's clock), each ECS target's target
tracking policies read their metric — the service's average CPU or memory utilization measured
on its task processes (:mod:`.cpu`), or a customized metric's statistic from CloudWatch — and
:func:`.target_tracking.decide` gives the new capacity, applied with ECS ``UpdateService``
through the runtime's own API (as Application Auto Scaling calls ECS on AWS) and recorded as a
scaling activity. Services and metrics are read as the target's account.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from atelier.emulator import clock
from atelier.emulator.application_autoscaling import target_tracking
from atelier.emulator.application_autoscaling.backend import Backend, Key
from atelier.emulator.application_autoscaling.cpu import Sampler
from atelier.emulator.application_autoscaling.models import ECS_RESOURCE, ScalableTarget
from atelier.emulator.ecs.memory import tree_rss_bytes

log = logging.getLogger("atelier.application_autoscaling")
PERIOD_S = 60.0  # one metric datapoint per minute of the runtime's clock, as CloudWatch's
TICK_S = 0.5
Processes = Callable[[], list[dict[str, Any]]]
ServiceKey = tuple[str, str, str, str]  # account, region, cluster name, service name


def following(due: float, now: float, period: float) -> float:
    """When the pass after the one due at ``due`` (and run at ``now``) is due: one period on,
    or one period from now if this pass came more than a period late. A late thread then makes
    one long datapoint, never a burst of short ones, whose CPU readings a single clock tick of
    a task's process would dominate."""
    then = due + period
    return then if then > now else now + period


class Scaler:
    def __init__(self, backend: Backend, processes: Processes, endpoint_url: str) -> None:
        self.backend = backend
        self.processes = processes
        self.endpoint_url = endpoint_url
        self.sampler = Sampler()
        self.states: dict[tuple[str, str, Key], target_tracking.TargetState] = {}
        self._pending: list[tuple[str, str, ScalableTarget]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="atelier-autoscaling", daemon=True)
        self._next_period = 0.0

    # -- lifecycle ------------------------------------------------------------------------

    def registered(self, account: str, region: str, target: ScalableTarget) -> None:
        """Called by RegisterScalableTarget (on the event loop): clamp on the scaler's thread."""
        if target.namespace != "ecs":
            return
        self._pending.append((account, region, target))
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()
        self._wake.set()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        self._next_period = time.monotonic() + clock.get_clock().real_seconds(PERIOD_S)
        self._sample()  # the first CPU sample, so the first period has a value
        while not self._stop.is_set():
            try:
                while self._pending:
                    self._clamp(*self._pending.pop(0))
                now = time.monotonic()
                if now >= self._next_period:
                    period = clock.get_clock().real_seconds(PERIOD_S)
                    self._next_period = following(self._next_period, now, period)
                    self.evaluate()
            except Exception:
                log.exception("autoscaling pass failed; retrying next period")
            self._wake.wait(TICK_S)
            self._wake.clear()

    # -- ECS through the runtime's API ------------------------------------------------------

    def _client(self, service: str, account: str, region: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id=account,
            aws_secret_access_key="test",  # noqa: S106 - the runtime accepts any secret
        )

    def _desired(self, account: str, region: str, resource_id: str) -> int | None:
        match = ECS_RESOURCE.match(resource_id)
        if match is None:
            return None
        ecs = self._client("ecs", account, region)
        found = ecs.describe_services(cluster=match["cluster"], services=[match["service"]])
        services = [s for s in found.get("services", []) if s.get("status") == "ACTIVE"]
        return int(services[0]["desiredCount"]) if services else None

    def _set(
        self, account: str, region: str, target: ScalableTarget, old: int, new: int, cause: str
    ) -> None:
        match = ECS_RESOURCE.match(target.resource_id)
        assert match is not None
        self._client("ecs", account, region).update_service(
            cluster=match["cluster"], service=match["service"], desiredCount=new
        )
        log.info("autoscaling %s: desired count %d -> %d (%s)", target.resource_id, old, new, cause)
        now = datetime.fromtimestamp(clock.now(), UTC)
        self.backend.record_activity(
            account,
            region,
            {
                "ActivityId": str(uuid.uuid4()),
                "ServiceNamespace": target.namespace,
                "ResourceId": target.resource_id,
                "ScalableDimension": target.dimension,
                "Description": f"Setting desired count to {new}.",
                "Cause": cause,
                "StartTime": now.isoformat(),
                "EndTime": now.isoformat(),
                "StatusCode": "Successful",
                "StatusMessage": f"Successfully set desired count to {new}.",
            },
        )

    def _clamp(self, account: str, region: str, target: ScalableTarget) -> None:
        current = self._desired(account, region, target.resource_id)
        if current is None:
            return
        new = target_tracking.clamp(current, target.min_capacity, target.max_capacity)
        if new != current:
            self._set(
                account,
                region,
                target,
                current,
                new,
                f"minimum/maximum capacity of {target.min_capacity}/{target.max_capacity}",
            )

    # -- metrics --------------------------------------------------------------------------

    def _sample(self) -> dict[ServiceKey, dict[str, float]]:
        """This period's average CPU and memory utilization (%) per service with live tasks."""
        wall = time.monotonic()
        sums: dict[ServiceKey, dict[str, list[float]]] = {}
        live = set()
        for p in self.processes():
            if not str(p["group"]).startswith("service:"):
                continue
            live.add(p["task_arn"])
            key = (
                p["account"],
                p["region"],
                str(p["cluster_arn"]).rsplit("/", 1)[-1],
                str(p["group"]).split(":", 1)[1],
            )
            values = sums.setdefault(key, {"cpu": [], "memory": []})
            cpu = self.sampler.utilization(p["task_arn"], p["pid"], p["cpu"], wall)
            if cpu is not None:
                values["cpu"].append(cpu)
            if p.get("memory_mib"):
                values["memory"].append(100.0 * tree_rss_bytes(p["pid"]) / (p["memory_mib"] << 20))
        self.sampler.forget_except(live)
        return {k: {m: sum(v) / len(v) for m, v in vals.items() if v} for k, vals in sums.items()}

    def _custom(self, account: str, region: str, spec: dict[str, Any]) -> float | None:
        if spec.get("Metrics") or not spec.get("MetricName"):
            return None  # metric math is not evaluated locally
        end = datetime.fromtimestamp(clock.now(), UTC)
        stat = spec.get("Statistic", "Average")
        points = (
            self._client("cloudwatch", account, region)
            .get_metric_statistics(
                Namespace=spec["Namespace"],
                MetricName=spec["MetricName"],
                Dimensions=spec.get("Dimensions") or [],
                StartTime=end - timedelta(seconds=PERIOD_S),
                EndTime=end,
                Period=int(PERIOD_S),
                Statistics=[stat],
            )
            .get("Datapoints", [])
        )
        values = [float(d[stat]) for d in points if stat in d]
        return sum(values) / len(values) if values else None

    def _reading(
        self,
        account: str,
        region: str,
        service: ServiceKey,
        measured: dict[ServiceKey, dict[str, float]],
        config: dict[str, Any],
    ) -> float | None:
        predefined = config.get("PredefinedMetricSpecification")
        if predefined is None:
            return self._custom(account, region, config.get("CustomizedMetricSpecification") or {})
        kind = predefined.get("PredefinedMetricType")
        metric = {
            "ECSServiceAverageCPUUtilization": "cpu",
            "ECSServiceAverageMemoryUtilization": "memory",
        }.get(kind)
        return measured.get(service, {}).get(metric) if metric else None

    def evaluate(self) -> None:
        """One evaluation period over every ECS target of every account."""
        measured = self._sample()
        for account, region, scope in self.backend.scopes():
            with self.backend.lock:
                targets = [(k, t) for k, t in scope.targets.items() if k[0] == "ecs"]
                policies = {
                    k: [
                        p
                        for p in scope.policies.get(k, {}).values()
                        if p.policy_type == "TargetTrackingScaling"
                    ]
                    for k, _ in targets
                }
            for key, target in targets:
                self._evaluate_target(account, region, key, target, policies[key], measured)

    def _evaluate_target(
        self,
        account: str,
        region: str,
        key: Key,
        target: ScalableTarget,
        policies: list[Any],
        measured: dict[ServiceKey, dict[str, float]],
    ) -> None:
        match = ECS_RESOURCE.match(target.resource_id)
        current = self._desired(account, region, target.resource_id)
        if match is None or current is None:
            return
        service = (account, region, match["cluster"], match["service"])
        readings = {
            p.name: (
                p.configuration,
                self._reading(account, region, service, measured, p.configuration),
            )
            for p in policies
        }
        state = self.states.setdefault((account, region, key), target_tracking.TargetState())
        new = target_tracking.decide(
            state, current, target.min_capacity, target.max_capacity, readings, clock.now()
        )
        if new > current and target.suspended.get("DynamicScalingOutSuspended"):
            return
        if new < current and target.suspended.get("DynamicScalingInSuspended"):
            return
        if new != current:
            values = ", ".join(f"{n}={v:.1f}" for n, (_, v) in readings.items() if v is not None)
            self._set(
                account,
                region,
                target,
                current,
                new,
                f"target tracking ({values or 'min/max capacity'})",
            )
