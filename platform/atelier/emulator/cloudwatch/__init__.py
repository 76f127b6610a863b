"""CloudWatch behaviour MiniStack lacks: alarms evaluated on a clock with AWS's semantics.

:func:`usage` is what a usage meter reads in the runtime process: alarms defined, evaluations
and transitions, datapoints made from logs (metric filters, EMF), SNS deliveries and e-mails,
ECS tasks started by schedules.
"""

from __future__ import annotations

from atelier.emulator.cloudwatch.engine import counters


def usage() -> dict[str, int]:
    from atelier.emulator.events.ecs_target import counters as events_counters
    from atelier.emulator.logs.filters import counters as logs_counters
    from atelier.emulator.sns.delivery import counters as sns_counters

    out = dict(counters())
    out.update(logs_counters())
    out.update({f"sns_{k}": v for k, v in sns_counters().items()})
    out.update(events_counters())
    return out


__all__ = ["counters", "usage"]
