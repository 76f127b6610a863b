"""The meter's view of MiniStack internals: Lambda invocations, log bytes, alarms defined.

Two instrumentation points every invocation and every log event passes through:
``lambda_svc._execute_function_dispatch`` (one accounted invocation, whatever the executor or
caller: Invoke, API Gateway, event sources) and ``cloudwatch_logs._append_log_events`` (task,
Lambda and PutLogEvents lines alike). Each is wrapped once; a missing name leaves MiniStack
untouched and says so.
"""

from __future__ import annotations

import logging
import time
from types import ModuleType
from typing import Any

from atelier.emulator.meter.core import METER, Meter

log = logging.getLogger("atelier.meter")
REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.lambda_svc": ("_execute_function_dispatch",),
    "ministack.services.cloudwatch_logs": ("_append_log_events",),
    "ministack.services.cloudwatch": ("_alarms._data",),
}
LOG_EVENT_OVERHEAD = 26  # bytes AWS adds per event


def _wrap(module: ModuleType, attr: str, original: Any, make: Any) -> bool:
    """Replace ``module.attr`` (``original``, read by the caller so the internals scan sees it)
    by ``make(original)``, once."""
    if original is None or getattr(original, "_atelier_meter", False):
        if original is None:
            log.warning("meter: %s.%s is gone; that usage is not metered", module.__name__, attr)
        return False
    wrapped = make(original)
    wrapped._atelier_meter = True
    setattr(module, attr, wrapped)
    return True


def install(meter: Meter = METER) -> list[str]:
    """Wrap both instrumentation points now; returns what is metered."""
    return [*install_lambda(meter), *install_logs(meter)]


def install_lambda(meter: Meter = METER) -> list[str]:
    """Wrap ``lambda_svc._execute_function_dispatch`` (the runtime calls this when MiniStack
    first imports its Lambda service: :mod:`.post_import`)."""

    def dispatch(original: Any) -> Any:
        def metered(func: dict[str, Any], config: dict[str, Any], *args: Any, **kw: Any) -> Any:
            meter.lambda_started(str(config.get("FunctionName", "unknown")))
            start = time.time()
            try:
                return original(func, config, *args, **kw)
            finally:
                meter.lambda_invoked(
                    str(config.get("FunctionName", "unknown")),
                    (time.time() - start) * 1000.0,
                    float(config.get("MemorySize", 128)),
                )

        return metered

    from ministack.services import lambda_svc

    dispatch_fn = getattr(lambda_svc, "_execute_function_dispatch", None)
    if _wrap(lambda_svc, "_execute_function_dispatch", dispatch_fn, dispatch):
        return ["lambda invocations"]
    return []


def install_logs(meter: Meter = METER) -> list[str]:
    """Wrap ``cloudwatch_logs._append_log_events``."""

    def append(original: Any) -> Any:
        def metered(stream: Any, events: list[dict[str, Any]]) -> Any:
            size = sum(len(str(e.get("message", "")).encode()) + LOG_EVENT_OVERHEAD for e in events)
            meter.count("logs.bytes", size)
            return original(stream, events)

        return metered

    from ministack.services import cloudwatch_logs

    append_fn = getattr(cloudwatch_logs, "_append_log_events", None)
    if _wrap(cloudwatch_logs, "_append_log_events", append_fn, append):
        return ["log bytes"]
    return []


def alarm_names() -> list[str]:
    """Metric alarms defined in MiniStack (every account and region)."""
    try:
        from ministack.services import cloudwatch

        keys = list(cloudwatch._alarms._data)  # (account, region, name) -> alarm
        return sorted({str(k[-1]) if isinstance(k, tuple) else str(k) for k in keys})
    except Exception:  # the meter never breaks the runtime
        log.debug("meter: alarms not readable", exc_info=True)
        return []
