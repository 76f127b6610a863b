"""MiniStack's EventBridge: ECS cluster targets run their task (MiniStack logs "unsupported
target type"), and the scheduler reads the runtime clock."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ministack.services import eventbridge as eb

from atelier.emulator import clock
from atelier.emulator.events.ecs_target import is_ecs_target, launch

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.eventbridge": ("_invoke_target", "_now_ts", "_SCHEDULER_TICK_INTERVAL"),
}
_original_invoke = eb._invoke_target
SWEEP_S = 2.0


def install(run_task: Callable[..., Any]) -> None:
    """``run_task(account, region, **RunTask arguments)``: the task starts in the rule's account
    and region (from the rule's ARN), as EventBridge runs it there with the target's role."""

    def invoke(
        target: dict[str, Any], event: dict[str, Any], rule: dict[str, Any], view: Any = None
    ) -> Any:
        if is_ecs_target(target):
            parts = str(rule.get("Arn", "")).split(":")
            account, region = (parts[4], parts[3]) if len(parts) > 5 else ("", "")
            launch(target, partial(run_task, account, region))
            return None
        return _original_invoke(target, event, rule, view)

    eb._invoke_target = invoke
    # MiniStack sweeps schedules every 10 s: a rate(1 minute) rule would fire up to 10 s late
    eb._SCHEDULER_TICK_INTERVAL = SWEEP_S
    speed = clock.get_clock().speed
    if speed != 1.0:
        eb._now_ts = clock.now
        eb._SCHEDULER_TICK_INTERVAL = max(0.25, SWEEP_S / speed)
