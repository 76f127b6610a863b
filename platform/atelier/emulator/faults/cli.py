"""``atelier faults proxy``: put a fault between a client and a dependency, in the foreground."""

from __future__ import annotations

import time
from typing import get_args

import click

from atelier.emulator.faults.proxy import Fault, FaultProxy, Mode


@click.group()
def faults() -> None:
    """Fault injection for local tests: latency, resets, timeouts and lost answers on a TCP
    connection."""


@faults.command()
@click.argument("upstream")
@click.option(
    "--listen", "listen_port", type=int, default=0, help="port on 127.0.0.1 (default: free)"
)
@click.option("--mode", type=click.Choice(list(get_args(Mode))), default="latency")
@click.option("--latency", "latency_s", type=float, default=1.0, help="seconds (mode latency)")
def proxy(upstream: str, listen_port: int, mode: str, latency_s: float) -> None:
    """Relay 127.0.0.1:<listen> to UPSTREAM (host:port) with a fault, until Ctrl-C.

    Point the client at the printed address (e.g. a Lambda's SERVICE_URL) to see how it behaves.
    """
    host, sep, port = upstream.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter("UPSTREAM must be host:port", param_hint="UPSTREAM")
    fault = Fault(mode=mode, latency_s=latency_s)  # type: ignore[arg-type]
    with FaultProxy(host or "127.0.0.1", int(port), fault, listen_port) as running:
        click.echo(
            f"{running.url} -> {upstream} ({mode}{f' {latency_s}s' if mode == 'latency' else ''}); Ctrl-C stops"
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            click.echo(f"stopped after {running.connections} connections")
