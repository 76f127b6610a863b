"""Fails loudly when a MiniStack upgrade moves an internal the compute agent relies on."""

from __future__ import annotations

import importlib
import inspect

import pytest

from atelier.emulator.ministack_compat import app, ecs, lambda_, s3

COMPAT = (app, ecs, lambda_, s3)


@pytest.mark.parametrize(
    ("compat", "module", "names"),
    [(c.__name__, m, n) for c in COMPAT for m, n in sorted(c.REQUIRED_INTERNALS.items())],
)
def test_required_internals_exist(compat: str, module: str, names: tuple[str, ...]) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in names if not hasattr(mod, name)]
    assert not missing, f"{module} no longer has {missing}: update {compat}"


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
