"""PutMetricAlarm input checks that CloudWatch makes and MiniStack skips: the error AWS returns."""

from __future__ import annotations

from typing import Any

from atelier.emulator.cloudwatch.semantics import (
    BASIC_STATISTICS,
    OPERATORS,
    TREATMENTS,
    is_percentile,
)

ONE_DAY_S = 86_400
HIGH_RESOLUTION_PERIODS = (10, 20, 30)


class AlarmInputError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _enum_error(value: str, member: str, allowed: tuple[str, ...]) -> AlarmInputError:
    return AlarmInputError(
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]",
    )


def check_alarm(alarm: dict[str, Any], *, extended_given: bool) -> None:
    """Raise :class:`AlarmInputError` for a definition CloudWatch refuses.

    ``alarm`` uses MiniStack's stored field names (those of the API)."""
    if not alarm.get("Metrics"):
        stat = alarm.get("Statistic")
        if extended_given:
            ext = str(alarm.get("ExtendedStatistic") or "")
            if not is_percentile(ext):
                raise AlarmInputError(
                    "InvalidParameterValue",
                    f"The value {ext} for parameter ExtendedStatistic is not supported.",
                )
        elif stat not in BASIC_STATISTICS:
            raise _enum_error(str(stat), "statistic", BASIC_STATISTICS)
        period = int(alarm.get("Period") or 0)
        if period <= 0 or (period not in HIGH_RESOLUTION_PERIODS and period % 60):
            raise AlarmInputError(
                "InvalidParameterValue",
                f"The parameter Period must be 10, 20, 30 or a multiple of 60 (got {period}).",
            )
        evaluation_periods = int(alarm.get("EvaluationPeriods") or 0)
        if evaluation_periods < 1:
            raise AlarmInputError(
                "ValidationError",
                "1 validation error detected: Value at 'evaluationPeriods' failed to satisfy "
                "constraint: Member must have value greater than or equal to 1",
            )
        if period * evaluation_periods > ONE_DAY_S * 7:
            raise AlarmInputError(
                "ValidationError",
                "Metrics cannot be checked across more than a week (Period * EvaluationPeriods "
                f"= {period * evaluation_periods} s).",
            )
        m = alarm.get("DatapointsToAlarm")
        if m is not None and not 1 <= int(m) <= evaluation_periods:
            raise AlarmInputError(
                "ValidationError",
                "DatapointsToAlarm must be between 1 and EvaluationPeriods "
                f"({evaluation_periods}), got {m}.",
            )
    treat = alarm.get("TreatMissingData")
    if treat and treat not in TREATMENTS:
        raise _enum_error(str(treat), "treatMissingData", TREATMENTS)
    op = alarm.get("ComparisonOperator")
    if op and op not in OPERATORS and not str(op).endswith(("UpperThreshold", "LowerThreshold")):
        raise _enum_error(str(op), "comparisonOperator", tuple(OPERATORS))
