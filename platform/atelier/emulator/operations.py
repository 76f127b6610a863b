"""The runtime's operations loop: alarms on the clock, metric filters and EMF, SNS deliveries.

One daemon thread wakes when logs or metrics arrive (at most every ``MIN_GAP_S``) and otherwise
once per ``TICK_S`` (real seconds), so an idle runtime with a hundred alarms costs almost nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from atelier.config import Settings
from atelier.emulator import clock
from atelier.emulator.cloudwatch.engine import AlarmEngine, Store
from atelier.emulator.logs.filters import FilterPump, Output
from atelier.emulator.sns.delivery import Deliverer

DEFAULT_ACCOUNT = "000000000000"  # MiniStack's account for the well-known test keys
log = logging.getLogger("atelier.operations")
TICK_S = 1.0
# Measured under load (docs/benchmarks.md, "Load"): each request's Lambda metrics and logs woke
# the loop, which then evaluated every alarm again, continuously: 45 % of the runtime's
# interpreter time at 20 req/s. Alarms still see new data within this, not a minute as on AWS.
MIN_GAP_S = 0.25


def mailbox_path(settings: Settings) -> Any:
    return settings.home / "mailbox" / "mail.jsonl"


class Operations:
    def __init__(self, settings: Settings) -> None:
        from atelier.emulator.ministack_compat import cloudwatch as cw
        from atelier.emulator.ministack_compat import events, logs, sns

        clk = clock.get_clock()
        self.engine = AlarmEngine(Store(cw.alarms, cw.points, cw.transition), clk.now)
        speed = clk.speed

        def stamp(ts: float) -> float:
            return ts if speed == 1.0 else clk.now()

        def publish(scope: tuple[str, str], dp: Output) -> None:
            cw.put_point(
                scope, dp.namespace, dp.metric, dp.dimensions, dp.value, dp.timestamp, dp.unit
            )
            self.engine.poke()

        self.pump = FilterPump(logs.filters_for, publish, stamp)
        self.deliverer = Deliverer(mailbox_path(settings), clk.now, clk.real_seconds)
        self.wake = threading.Event()
        self.stopped = threading.Event()

        def on_change() -> None:
            self.engine.poke()
            self.wake.set()

        def on_events(scope: tuple[str, str], group: str, events_: list[dict[str, Any]]) -> None:
            self.pump.offer(scope, group, events_)
            self.wake.set()

        def run_task(account: str, region: str, **args: Any) -> Any:
            """RunTask in the rule's account (on the runtime a 12-digit access key is that
            account) and region; the default account keeps the runtime's own credentials."""
            keys: dict[str, str] = {}
            if account.isdigit() and len(account) == 12 and account != DEFAULT_ACCOUNT:
                keys = {"aws_access_key_id": account, "aws_secret_access_key": "test"}
            import boto3  # on the first rule that runs a task: boto3 is not loaded before the port

            ecs = boto3.client(
                "ecs", endpoint_url=settings.endpoint_url, region_name=region or settings.region,
                **keys,
            )  # fmt: skip
            return ecs.run_task(**args)

        cw.install(on_change)
        logs.install(on_events)
        sns.install(self.deliverer)
        events.install(run_task)
        self.thread = threading.Thread(target=self._run, name="atelier-operations", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            started = time.monotonic()
            try:
                self.pump.step()
                self.engine.step()
            except Exception:
                log.exception("operations step failed")
            self.wake.wait(TICK_S)
            self.wake.clear()
            # under load every request wakes the loop; steps at most every MIN_GAP_S
            self.stopped.wait(max(MIN_GAP_S - (time.monotonic() - started), 0.0))

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()
        self.deliverer.stop()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
