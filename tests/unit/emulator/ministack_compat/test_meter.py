"""The meter's two instrumentation points in MiniStack: present, wrapped once, counted."""

from __future__ import annotations

import importlib
import inspect
import logging

import pytest

from atelier.emulator.meter.core import Meter
from atelier.emulator.ministack_compat import meter as compat


def test_the_wrapped_functions_keep_their_signatures() -> None:
    lam = importlib.import_module("ministack.services.lambda_svc")
    logs = importlib.import_module("ministack.services.cloudwatch_logs")
    dispatch = getattr(
        lam._execute_function_dispatch, "__wrapped__", lam._execute_function_dispatch
    )
    if not getattr(lam._execute_function_dispatch, "_atelier_meter", False):
        assert list(inspect.signature(dispatch).parameters)[:3] == ["func", "config", "event"]
    if not getattr(logs._append_log_events, "_atelier_meter", False):
        assert list(inspect.signature(logs._append_log_events).parameters) == ["stream", "events"]


def test_log_events_are_counted_with_the_aws_overhead(monkeypatch: pytest.MonkeyPatch) -> None:
    logs = importlib.import_module("ministack.services.cloudwatch_logs")
    seen: list[int] = []
    monkeypatch.setattr(logs, "_append_log_events", lambda stream, events: seen.append(len(events)))
    meter = Meter()
    assert "log bytes" in compat.install(meter)
    logs._append_log_events({}, [{"message": "hello"}, {"message": "é"}])
    assert seen == [2]
    assert meter.snapshot()["counters"]["logs.bytes"] == 5 + 2 + 2 * compat.LOG_EVENT_OVERHEAD
    assert "log bytes" not in compat.install(meter)  # wrapped once


def test_a_moved_internal_is_reported_and_left_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    logs = importlib.import_module("ministack.services.cloudwatch_logs")
    monkeypatch.delattr(logs, "_append_log_events")
    with caplog.at_level(logging.WARNING, logger="atelier.meter"):
        done = compat.install(Meter())
    assert "log bytes" not in done
    assert "_append_log_events is gone" in caplog.text
