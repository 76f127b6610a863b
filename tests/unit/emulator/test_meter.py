from __future__ import annotations

import time

from atelier.emulator.meter.core import Meter
from atelier.emulator.meter.http import observe

AUTH = b"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{svc}/aws4_request, SignedHeaders=host"


def _scope(method: str, path: str, **headers: str | bytes) -> dict[str, object]:
    raw = [
        (k.replace("_", "-").encode(), v if isinstance(v, bytes) else v.encode())
        for k, v in headers.items()
    ]
    return {"type": "http", "method": method, "path": path, "headers": raw}


def test_requests_are_classified() -> None:
    m = Meter()
    observe(_scope("POST", "/v1/structured_data", host="abcdef12.execute-api.localhost:4566"), m)
    observe(_scope("OPTIONS", "/v1/structured_data", host="abcdef12.execute-api.localhost:4566"), m)
    observe(
        _scope(
            "PUT", "/bucket/key", authorization=AUTH.replace(b"{svc}", b"s3"), content_length="2048"
        ),
        m,
    )
    observe(_scope("GET", "/bucket/key", authorization=AUTH.replace(b"{svc}", b"s3")), m)
    observe(_scope("POST", "/", x_amz_target="DynamoDB_20120810.PutItem", content_length="3000"), m)
    observe(_scope("POST", "/", x_amz_target="DynamoDB_20120810.GetItem", content_length="100"), m)
    c = m.snapshot()["counters"]
    assert c["apigateway.requests"] == 1  # preflight not billed
    assert (c["s3.puts"], c["s3.gets"], c["s3.bytes_in"]) == (1, 1, 2048)
    assert (c["dynamodb.writes"], c["dynamodb.reads"]) == (3, 1)  # 3 KB item = 3 write units


def test_tasks_are_billed_with_the_clock_or_the_profile_duration() -> None:
    m = Meter()
    m.configure({"clock": 3600, "billed_task_seconds": {"atelier-local-images": 1500}})
    m.task_started("arn:svc", {"family": "atelier-local-sd", "cpu": "512", "memory": "1024"})
    m.task_started("arn:job", {"family": "atelier-local-images", "cpu": "2048", "memory": "4096"})
    m.task_started(
        "arn:gpu", {"family": "atelier-local-al", "cpu": "4096", "memory": "16384"}, "cpu"
    )
    time.sleep(0.05)
    m.task_stopped("arn:job")
    tasks = {t["arn"]: t for t in m.snapshot()["tasks"]}
    assert tasks["arn:job"]["billed_seconds"] == 1500 and not tasks["arn:job"]["running"]
    assert tasks["arn:svc"]["billed_seconds"] >= 0.05 * 3600 * 0.9
    assert tasks["arn:svc"]["vcpu"] == 0.5 and tasks["arn:svc"]["memory_gb"] == 1.0
    assert tasks["arn:gpu"]["gpu"] == 1


def test_a_short_task_is_billed_one_minute_and_reset_keeps_running_tasks() -> None:
    m = Meter()
    m.task_started("a", {"family": "f", "cpu": "256", "memory": "512"})
    m.task_stopped("a")
    assert m.snapshot()["tasks"][0]["billed_seconds"] == 60.0
    m.task_started("b", {"family": "f"})
    m.lambda_invoked("fn", 12.5, 256)
    m.configure({"reset": True})
    snap = m.snapshot()
    assert [t["arn"] for t in snap["tasks"]] == ["b"] and snap["lambda"] == {}


def test_api_requests_are_also_counted_per_api() -> None:
    m = Meter()
    observe(_scope("GET", "/v1/jobs", host="abc123.execute-api.localhost:4566"), m)
    observe(_scope("POST", "/restapis/abc123/v1/_user_request_/auth", host="127.0.0.1"), m)
    observe(_scope("POST", "/_aws/execute-api/zzz9/v1/auth", host="127.0.0.1"), m)
    c = m.snapshot()["counters"]
    assert c["apigateway.requests"] == 3
    assert (c["apigateway.requests@abc123"], c["apigateway.requests@zzz9"]) == (2, 1)


def test_invocations_in_flight_are_shown_until_they_end() -> None:
    m = Meter()
    m.lambda_started("atelier-local-canary")
    m.lambda_started("atelier-local-canary")
    m.lambda_invoked("atelier-local-canary", 10.0)
    assert m.snapshot()["in_flight"] == {"atelier-local-canary": 1}
    m.lambda_invoked("atelier-local-canary", 10.0)
    assert m.snapshot()["in_flight"] == {}
