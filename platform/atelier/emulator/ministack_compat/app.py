"""MiniStack's application object: its service table, and its Docker backends switched off."""

from __future__ import annotations

from typing import Any

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.app": ("SERVICE_HANDLERS", "app"),
    "ministack.services.ecs": ("_get_docker",),
    "ministack.services.rds": ("_get_docker",),
}


def disable_docker_backends() -> None:
    """Stop MiniStack from running ECS tasks (and RDS databases) in Docker itself.

    The compute agent owns execution; with a reachable Docker engine MiniStack would otherwise
    start its own containers for the same tasks.
    """
    from ministack.services import ecs, rds

    setattr(ecs, "_get_docker", _no_docker)  # noqa: B010
    setattr(rds, "_get_docker", _no_docker)  # noqa: B010


def _no_docker() -> None:
    return None


def asgi_app() -> Any:
    """MiniStack's ASGI application (importing it imports every service module)."""
    from ministack import app as ministack_app

    return ministack_app.app


def service_names() -> list[str]:
    from ministack import app as ministack_app

    return sorted(ministack_app.SERVICE_HANDLERS)
