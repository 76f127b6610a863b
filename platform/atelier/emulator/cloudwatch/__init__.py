"""CloudWatch behaviour MiniStack lacks: alarms evaluated on a clock with AWS's semantics."""

from atelier.emulator.cloudwatch.engine import counters

__all__ = ["counters"]
