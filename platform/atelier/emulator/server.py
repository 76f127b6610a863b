"""``python -m atelier.emulator.server``: the Atelier runtime process.

MiniStack (the AWS control plane and its Docker-free data planes) and Atelier's compute agent
in one process on one port. MiniStack reads its configuration from environment variables at
import time, so :func:`configure_environment` runs before ``ministack.app`` is imported.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # Start-up makes ~64,000 objects that live as long as the process (modules, classes,
    # functions) and no garbage: the cyclic collector would run ~80 times over them for
    # nothing, ~20 ms of CPU (~8 % of the start). It pauses until the port opens (_serve).
    gc.disable()

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atelier.config import RepoNotFoundError, Settings, SettingsError

if TYPE_CHECKING:
    from atelier.emulator.ministack_compat.lambda_warm_ahead import Warmer

log = logging.getLogger("atelier.server")
EXIT_PORT_TAKEN = 3
EXIT_STARTUP = 4


class StartupError(RuntimeError):
    """The runtime cannot start as configured (the message says why and what to do)."""


def configure_environment(settings: Settings) -> None:
    """MiniStack's settings, all under ``settings.home``."""
    home = settings.home
    for sub in ("state", "s3", "logs", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env = {
        "GATEWAY_PORT": str(settings.port),
        "BIND_HOST": settings.host,
        "MINISTACK_REGION": settings.region,
        "MINISTACK_ACCOUNT_ID": settings.account_id,
        "STATE_DIR": str(settings.state_dir),
        "S3_DATA_DIR": str(home / "s3"),
        # nothing here speaks SFTP or MQTT over mTLS: skip their listeners and imports
        "SFTP_ENABLED": "0",
        "IOT_MTLS_ENABLED": "0",
        # keep Lambda workers warm for the whole session
        "LAMBDA_WARM_TTL_SECONDS": os.environ.get("LAMBDA_WARM_TTL_SECONDS", "3600"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        # IAM enforcement (Settings.iam_enforce): MiniStack's policy evaluator
        "AUTH": "true" if settings.iam_enforce else "false",
    }
    if settings.persist:
        env.update({"PERSIST_STATE": "1", "LOCALSTACK_PERSISTENCE": "1", "S3_PERSIST": "1"})
    else:
        env.update({"PERSIST_STATE": "0", "S3_PERSIST": "0"})
        os.environ.pop("LOCALSTACK_PERSISTENCE", None)
    os.environ.update(env)
    # what the agent's own boto3 calls (and the Lambda workers it forks) talk to
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", settings.region)


def port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class Setup:
    """What :func:`build` made before the port opens: the ASGI app, and the background parts
    :meth:`close` stops once the server has stopped."""

    app: Any
    closers: list[Callable[[], None]]

    def close(self) -> None:
        for close in self.closers:
            close()


def build(settings: Settings) -> Setup:
    """Everything the runtime does before its port opens (MiniStack's own service modules load
    on first use, and Atelier's patches to them then: ``ministack_compat.post_import``)."""
    from atelier.emulator.agent import Agent
    from atelier.emulator.middleware import AtelierApp
    from atelier.emulator.ministack_compat import app as bridge

    ministack_app = bridge.asgi_app()  # imports MiniStack (after configure_environment)
    bridge.disable_docker_backends()
    from atelier.emulator.ministack_compat import alb as alb_compat
    from atelier.emulator.ministack_compat import meter as metering
    from atelier.emulator.ministack_compat import post_import

    post_import.when_imported(post_import.LOGS, "metered", metering.install_logs)
    post_import.when_imported(
        "ministack.services.alb", "keep-alive forwarding to targets", alb_compat.apply
    )
    snapshotter = None
    if settings.persist:
        from atelier.emulator.ministack_compat import persistence

        snapshotter = persistence.install(settings.state_dir)
    warmer = _lambda_patches(settings)
    from atelier.emulator.ministack_compat import apigateway as apigateway_compat

    apigateway_compat.apply_on_import()
    from atelier.emulator.ministack_compat import terraform_fidelity, terraform_fidelity_edge

    for fidelity in (terraform_fidelity, terraform_fidelity_edge):
        post_import.each_when_imported(fidelity.FIXES, "terraform fidelity")
    from atelier.emulator.ministack_compat import iam_ecs

    iam_ecs.apply()  # ECS task calls authorized on AWS's resources and ecs:cluster
    from atelier.emulator.ministack_compat import transport

    transport.apply()  # loopback callers count as aws:SecureTransport, as TLS SDK calls on AWS
    from atelier.emulator.ministack_compat import kms as kms_compat

    kms_compat.apply()  # S3 and Secrets Manager data calls need the CMK's KMS permission
    kms_compat.refuse_unusable_keys()  # ... and fail when the CMK is disabled
    log.info("IAM enforcement: %s", "on" if settings.iam_enforce else "off")
    try:
        agent = Agent(settings)
    except RuntimeError as exc:
        raise StartupError(str(exc)) from exc
    from atelier.emulator import clock
    from atelier.emulator.operations import Operations

    clock.set_clock(clock.Clock(settings.clock_speed))
    operations = Operations(settings)
    operations.start()
    from atelier.emulator.collector import IdleCollector

    collector = IdleCollector().start()  # full garbage collections while no request waits
    atelier_app = AtelierApp(
        ministack_app, agent, bridge.version, snapshotter, collector.touch, collector.status
    )
    from atelier.emulator.sdk_retry import RetryReplay

    app = RetryReplay(atelier_app)  # an SDK retry of a call whose answer was lost
    closers = [collector.stop, operations.stop, agent.shutdown]
    return Setup(app, [warmer.stop, *closers] if warmer is not None else closers)


async def _serve(settings: Settings) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    setup = build(settings)
    config = Config()
    config.bind = [f"{settings.host}:{settings.port}"]
    config.keep_alive_timeout = settings.keep_alive_s
    config.loglevel = "WARNING"
    config.accesslog = None
    config.graceful_timeout = 5
    resume_collection()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await serve(setup.app, config, shutdown_trigger=stop.wait)
    finally:
        setup.close()


def resume_collection() -> None:
    """Start-up is done: what it made is frozen out of later collections (``gc.freeze``; the
    idle collector unfreezes it when nobody waits) and the collector paused when this module
    started as the runtime runs again. A no-op when the collector was never paused."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _lambda_patches(settings: Settings) -> Warmer | None:
    """Atelier's patches to MiniStack's Lambda service, applied when MiniStack first imports it
    (the first Lambda call, or persisted functions at start), as plain MiniStack loads it: the
    port opens without it (``ministack_compat.post_import``). Returns the pre-warmer."""
    from atelier.emulator.ministack_compat import (
        lambda_layers,
        lambda_python,
        lambda_warm,
        post_import,
    )
    from atelier.emulator.ministack_compat import meter as metering

    lambda_svc = post_import.LAMBDA_SVC
    post_import.when_imported(lambda_svc, "metered", metering.install_lambda)
    if os.environ.get("ATELIER_LAMBDA_TUNING", "1") == "1":
        from atelier.emulator.ministack_compat import lambda_ as lambda_tuning

        post_import.when_imported(lambda_svc, "Lambda worker fixes", lambda_tuning.apply)
    warmer = lambda_warm.apply(
        settings.lambda_warm_workers,
        settings.lambda_cold_start_cap,
        settings.lambda_warm_max,
        settings.lambda_warm_window_s,
    )
    post_import.when_imported(
        lambda_svc, "import errors as on AWS", lambda_python.report_import_errors
    )
    layers = settings.home / "lambda-layers"
    post_import.when_imported(
        lambda_svc, "layers extracted once", lambda: lambda_layers.apply(layers)
    )
    if settings.lambda_isolated:
        python = _isolated_python(settings.home)
        post_import.when_imported(
            lambda_svc, "isolated interpreter", lambda: lambda_python.use_interpreter(python)
        )
    return warmer


def _isolated_python(home: Path) -> Callable[[], str]:
    """The isolated interpreter's path, made (``lambda_.python_runtime.ensure``) when the first
    Python worker starts, not before the port opens; a failure fails that worker loudly."""
    lock = threading.Lock()
    made: list[str] = []

    def python() -> str:
        with lock:
            if not made:
                from atelier.emulator.lambda_ import python_runtime

                made.append(str(python_runtime.ensure(home)))
                log.info("Python functions run with %s (stdlib + boto3, bundle, layers)", made[0])
            return made[0]

    return python


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m atelier.emulator.server", description="The Atelier runtime (foreground)."
    )
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--host", default=None)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--persist", action="store_true", default=None)
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {
        k: v
        for k, v in (
            ("port", args.port),
            ("host", args.host),
            ("home", args.home),
            ("persist", args.persist),
        )
        if v
    }
    return Settings(**overrides)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from_args(args)
    except (RepoNotFoundError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STARTUP
    logging.basicConfig(
        level=os.environ.get("ATELIER_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if port_taken(settings.host, settings.port):
        print(
            f"error: {settings.host}:{settings.port} is already in use; stop what holds it "
            f"or choose another port (--port / ATELIER_PORT)",
            file=sys.stderr,
        )
        return EXIT_PORT_TAKEN
    configure_environment(settings)
    log.info(
        "Atelier runtime on %s (home %s, persist=%s, executor=%s)",
        settings.endpoint_url,
        settings.home,
        settings.persist,
        settings.executor,
    )
    try:
        asyncio.run(_serve(settings))
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STARTUP
    return 0


if __name__ == "__main__":
    sys.exit(main())
