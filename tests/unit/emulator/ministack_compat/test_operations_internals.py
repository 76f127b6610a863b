"""Fails loudly when a MiniStack upgrade moves an internal the CloudWatch, Logs, SNS and
EventBridge behaviour relies on."""

from __future__ import annotations

import importlib
import inspect

import pytest

from atelier.emulator.ministack_compat import cloudwatch, events, logs, sns

COMPAT = (cloudwatch, events, logs, sns)


@pytest.mark.parametrize(
    ("module", "func", "params"),
    [
        (
            "ministack.services.cloudwatch",
            "_record_history",
            ["alarm_name", "old_state", "new_state", "reason"],
        ),
        (
            "ministack.services.cloudwatch",
            "_store_datum",
            ["namespace", "name", "dims", "ts", "unit", "value", "values", "counts", "stat_values"],
        ),
        (
            "ministack.services.cloudwatch_logs",
            "_fanout_to_subscription_filters",
            ["group_name", "stream_name", "events"],
        ),
        ("ministack.services.sns", "_fanout", ["topic_arn", "msg_id", "message", "subject"]),
        ("ministack.services.eventbridge", "_invoke_target", ["target", "event", "rule"]),
    ],
)
def test_signatures_we_call(module: str, func: str, params: list[str]) -> None:
    got = list(inspect.signature(getattr(importlib.import_module(module), func)).parameters)
    assert got[: len(params)] == params, f"{module}.{func} now takes {got}"
