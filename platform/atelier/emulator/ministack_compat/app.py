"""MiniStack's application object: its service table, and its Docker backends switched off."""

from __future__ import annotations

import importlib

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.app": ("app", "SERVICE_HANDLERS"),
    "ministack.services.ecs": ("_get_docker",),
    "ministack.services.rds": ("_get_docker",),
}


def disable_docker_backends() -> None:
    """Stop MiniStack from running ECS tasks (and RDS databases) in Docker itself.

    The compute agent owns execution; with a reachable Docker engine MiniStack would otherwise
    start its own containers for the same tasks.
    """
    for module in (
        importlib.import_module("ministack.services.ecs"),
        importlib.import_module("ministack.services.rds"),
    ):
        setattr(module, "_get_docker", lambda: None)  # noqa: B010


def service_names() -> list[str]:
    from ministack import app as ministack_app

    return sorted(ministack_app.SERVICE_HANDLERS)
