"""MiniStack's application object: its service table, and its Docker backends switched off."""

from __future__ import annotations

import sys
from typing import Any

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.app": ("SERVICE_HANDLERS", "_version", "app"),
    "ministack.services.ecs": ("_get_docker",),
    "ministack.services.rds": ("_get_docker",),
}


def disable_docker_backends() -> None:
    """Stop MiniStack from running ECS tasks (and RDS databases) in Docker itself, from when it
    imports each service (:mod:`.post_import`).

    The compute agent owns execution; with a reachable Docker engine MiniStack would otherwise
    start its own containers for the same tasks.
    """
    from atelier.emulator.ministack_compat import post_import

    post_import.when_imported("ministack.services.ecs", "no Docker", _ecs_without_docker)
    post_import.when_imported("ministack.services.rds", "no Docker", _rds_without_docker)


def _ecs_without_docker() -> None:
    from ministack.services import ecs

    setattr(ecs, "_get_docker", _no_docker)  # noqa: B010


def _rds_without_docker() -> None:
    from ministack.services import rds

    setattr(rds, "_get_docker", _no_docker)  # noqa: B010


def _no_docker() -> None:
    return None


def asgi_app() -> Any:
    """MiniStack's ASGI application (importing it imports every service module)."""
    from ministack import app as ministack_app

    return ministack_app.app


def version() -> str:
    """MiniStack's version, as its own health answer gives it (resolved on first ask)."""
    from ministack import app as ministack_app

    return str(ministack_app._version())


def service_names() -> list[str]:
    from ministack import app as ministack_app

    return sorted(ministack_app.SERVICE_HANDLERS)


def loaded() -> dict[str, Any]:
    """MiniStack's service modules imported so far (each loads on its first use) and the
    patches :mod:`.post_import` applied to them."""
    from atelier.emulator.ministack_compat import post_import

    prefix = "ministack.services."
    names = (name.removeprefix(prefix) for name in list(sys.modules) if name.startswith(prefix))
    return {"services": sorted(n for n in names if "." not in n), "patches": post_import.applied()}
