"""Service restart back-off: doubling delays, capped, reset once healthy."""

from __future__ import annotations

from atelier.emulator.ecs.backoff import CAP_S, ServiceBackoff

KEY = ("arn:aws:ecs:us-east-1:0:cluster/c", "service:s")


def test_delays_double_up_to_the_cap_and_reset_when_healthy() -> None:
    now = [100.0]
    backoff = ServiceBackoff(clock=lambda: now[0])
    assert backoff.may_start(KEY)
    delays = [backoff.failed(KEY, "exit 1") for _ in range(8)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0] and delays[-1] == CAP_S
    assert not backoff.may_start(KEY)
    assert backoff.describe(KEY)["health"] == "unhealthy"
    now[0] += CAP_S
    assert backoff.may_start(KEY)
    backoff.healthy(KEY)
    assert backoff.describe(KEY) == {"health": "healthy"}
