"""A burst above a low stage limit through API Gateway (TOKEN authorizer, Lambda proxy), on the
running runtime: every answer is a 200 or API Gateway's own 429, never a 5xx, and a refused
request never reaches the authorizer (AWS checks a stage's limit before it).
"""

from __future__ import annotations

import io
import json
import threading
import urllib.error
import urllib.request
import uuid
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from atelier_devtools.runtime import Runtime, token_authorized_api

pytestmark = pytest.mark.integration

AUTHORIZER = """
def handler(event, context):
    if event.get("authorizationToken") != "Bearer good":
        raise Exception("Unauthorized")
    return {"principalId": "user-1", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}
"""
BACKEND = """
import json, time
def handler(event, context):
    time.sleep(0.05)
    return {"statusCode": 200, "body": json.dumps({"ok": True})}
"""
BURST = 40
RATE, BURST_LIMIT = 2, 4


def _function(runtime: Runtime, source: str) -> tuple[str, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", source)
    lam = runtime.client("lambda")
    name = f"throttle-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=runtime.role("throttle-tests"),
        Handler="index.handler", Code={"ZipFile": buf.getvalue()}, Timeout=15,
    )["FunctionArn"]  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name, str(arn)


def _invocations(runtime: Runtime, function: str) -> int:
    with urllib.request.urlopen(f"{runtime.endpoint_url}/_atelier/meter", timeout=30) as resp:
        lambdas = json.loads(resp.read())["lambda"]
    return int(lambdas.get(function, {}).get("invocations", 0))


def _get(url: str) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Authorization": "Bearer good"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_a_burst_above_the_stage_limit_gets_only_200s_and_429s(runtime: Runtime) -> None:
    """40 requests at once against a stage limited to 2 req/s (burst 4): the ones the limit
    refuses are 429 "Too Many Requests", the others 200, none 5xx; the authorizer ran once per
    admitted request only (MiniStack alone ran it for all 40 before throttling)."""
    authorizer, authorizer_arn = _function(runtime, AUTHORIZER)
    _, backend_arn = _function(runtime, BACKEND)
    apigw = runtime.client("apigateway")
    api = token_authorized_api(apigw, "burst-api", authorizer_arn, backend_arn, "burst", "v1")
    apigw.update_stage(
        restApiId=api, stageName="v1",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(RATE)},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(BURST_LIMIT)},
        ],
    )  # fmt: skip
    url = f"{runtime.endpoint_url}/_aws/execute-api/{api}/v1/burst"
    before = _invocations(runtime, authorizer)
    start = threading.Barrier(BURST)

    def one(_: int) -> tuple[int, Any]:
        start.wait(timeout=30)
        return _get(url)

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(one, range(BURST)))
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[429] >= BURST // 2 and statuses[200] >= 1, statuses
    assert all(body == {"message": "Too Many Requests"} for s, body in answers if s == 429)
    assert all(body == {"ok": True} for s, body in answers if s == 200)
    # each admitted request was authorized once; no refused one was
    assert _invocations(runtime, authorizer) - before == statuses[200], statuses
