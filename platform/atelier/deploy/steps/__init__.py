"""The deploy steps, by tier: ``foundation`` (network, data, secrets, logs, IAM, bundles),
``compute`` (database, ECR, ECS, the ALB) and ``app`` (lambdas, API, website, users, alarms).

A step takes the :class:`~atelier.deploy.context.Deployment`, reads the results of the steps it
depends on (see :mod:`atelier.deploy.plan`) and returns ``(result, changes)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from atelier.deploy.change import Change

T = TypeVar("T")
Result = tuple[Any, list[Change]]


def fan_out(calls: Sequence[Callable[[], T]], workers: int = 8) -> list[T]:
    """Run independent zero-argument calls concurrently; results keep the calls' order."""
    if len(calls) <= 1:
        return [c() for c in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls))) as pool:
        futures = [pool.submit(c) for c in calls]
        return [f.result() for f in futures]
