"""The ECS functions the compute agent calls keep their signatures (names: test_required_internals)."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize(
    ("func", "params"),
    [
        ("_mark_task_stopped", ["task_arn", "task", "reason", "stop_code", "exit_code"]),
        ("_mark_task_running", ["task_arn", "task"]),
        ("_refresh_service_state", ["cluster_name", "group"]),
        ("_reconcile_service_tasks", ["cluster_name", "svc_key"]),
        ("_awslogs_config", ["cdef", "task_id", "container_id"]),
    ],
)
def test_ecs_functions_keep_their_signatures(func: str, params: list[str]) -> None:
    ecs = importlib.import_module("ministack.services.ecs")
    assert list(inspect.signature(getattr(ecs, func)).parameters) == params


def test_ministack_is_the_pinned_version() -> None:
    from importlib.metadata import version

    assert version("ministack") == "1.5.33", "the bridge was written against 1.5.33"
