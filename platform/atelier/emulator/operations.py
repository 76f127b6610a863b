"""The runtime's operations loop: alarms on the clock, metric filters and EMF, SNS deliveries.

One daemon thread wakes when logs or metrics arrive (at most every ``MIN_GAP_S``) and otherwise
once per ``TICK_S`` (real seconds), so an idle runtime with a hundred alarms costs almost nothing.

The alarm engine attaches when MiniStack loads its CloudWatch service (its first call, persisted
state at start, or the first metric a filter publishes), the metric filters when it loads
CloudWatch Logs, and the SNS deliverer (its threads) when it loads SNS, as plain MiniStack loads a
service on first use: the runtime's port opens without them.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from atelier.config import Settings
from atelier.emulator import clock
from atelier.emulator.ministack_compat import post_import

if TYPE_CHECKING:
    from atelier.emulator.cloudwatch.engine import AlarmEngine
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
        from atelier.emulator.ministack_compat import events

        clk = clock.get_clock()
        # each part once MiniStack loads the service it serves (module doc)
        self.engine: AlarmEngine | None = None
        self.pump: FilterPump | None = None
        self.deliverer: Deliverer | None = None
        self.wake = threading.Event()
        self.stopped = threading.Event()
        speed = clk.speed

        def stamp(ts: float) -> float:
            return ts if speed == 1.0 else clk.now()

        def publish(scope: tuple[str, str], dp: Output) -> None:
            # MiniStack's CloudWatch first, alone. Importing the compat module first, on this
            # thread, while a request's thread imports MiniStack's module (whose hook loads the
            # compat module) is a cross-thread import deadlock, which Python breaks by failing
            # this import (seen in the runtime's log: "cannot import name 'cloudwatch'")
            post_import.load(post_import.CLOUDWATCH)
            from atelier.emulator.ministack_compat import cloudwatch as cw

            cw.put_point(
                scope, dp.namespace, dp.metric, dp.dimensions, dp.value, dp.timestamp, dp.unit
            )
            self._poke()

        def on_change() -> None:
            self._poke()
            self.wake.set()

        def attach_alarms() -> None:
            from atelier.emulator.cloudwatch.engine import AlarmEngine, Store
            from atelier.emulator.ministack_compat import cloudwatch as cw

            cw.install(on_change)
            self.engine = AlarmEngine(Store(cw.alarms, cw.points, cw.transition), clk.now)
            self._run_if_needed()

        def on_events(scope: tuple[str, str], group: str, events_: list[dict[str, Any]]) -> None:
            if self.pump is not None:
                self.pump.offer(scope, group, events_)
                self.wake.set()

        def attach_filters() -> None:
            from atelier.emulator.logs.filters import FilterPump
            from atelier.emulator.ministack_compat import logs

            self.pump = FilterPump(logs.filters_for, publish, stamp)
            logs.install(on_events)
            self._run_if_needed()

        def attach_deliveries() -> None:
            from atelier.emulator.ministack_compat import sns
            from atelier.emulator.sns.delivery import Deliverer

            self.deliverer = Deliverer(mailbox_path(settings), clk.now, clk.real_seconds)
            sns.install(self.deliverer)

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

        compat = "atelier.emulator.ministack_compat."
        post_import.when_imported(
            post_import.CLOUDWATCH, "alarms evaluated", attach_alarms, via=compat + "cloudwatch"
        )
        post_import.when_imported(
            post_import.LOGS, "metric filters", attach_filters, via=compat + "logs"
        )
        post_import.when_imported(post_import.SNS, "SNS deliveries", attach_deliveries)
        events.install(run_task)
        self.thread = threading.Thread(target=self._run, name="atelier-operations", daemon=True)
        self._may_run = False
        self._thread_lock = threading.Lock()

    def start(self) -> None:
        """Let the loop run: its thread starts now if a part is attached, else with the first."""
        self._may_run = True
        self._run_if_needed()

    def _run_if_needed(self) -> None:
        with self._thread_lock:
            attached = self.engine is not None or self.pump is not None
            never_started = self.thread.ident is None and not self.stopped.is_set()
            if self._may_run and attached and never_started:
                self.thread.start()

    def _poke(self) -> None:
        if self.engine is not None:
            self.engine.poke()

    def _run(self) -> None:
        while not self.stopped.is_set():
            started = time.monotonic()
            try:
                if self.pump is not None:
                    self.pump.step()
                if self.engine is not None:
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
        if self.deliverer is not None:
            self.deliverer.stop()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
