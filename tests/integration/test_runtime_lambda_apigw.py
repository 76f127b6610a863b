"""Lambda (env vars, timeout) and API Gateway REST with a TOKEN authorizer, on the runtime."""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request
import uuid
import zipfile
from typing import Any

import pytest

from atelier_devtools.runtime import Runtime, token_authorized_api

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::000000000000:role/lambda-role"

ECHO = """
import os, time
def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"greeting": os.environ.get("GREETING"), "endpoint": os.environ.get("AWS_ENDPOINT_URL")}
"""
AUTHORIZER = """
def handler(event, context):
    token = event.get("authorizationToken", "")
    if token == "Bearer good":
        effect = "Allow"
    elif token == "Bearer denied":
        effect = "Deny"
    else:
        raise Exception("Unauthorized")
    return {"principalId": "user-1", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
"""
BACKEND = """
import json
def handler(event, context):
    principal = event["requestContext"].get("authorizer", {}).get("principalId")
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"ok": True, "principal": principal})}
"""


def bundle(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", source)
    return buf.getvalue()


def create_function(lam: Any, source: str, **kwargs: Any) -> str:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": bundle(source)},
        **kwargs,
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return str(arn)


def test_lambda_sees_its_environment_and_the_emulator_endpoint(runtime: Runtime) -> None:
    lam = runtime.client("lambda")
    arn = create_function(lam, ECHO, Environment={"Variables": {"GREETING": "bonjour"}})
    resp = lam.invoke(FunctionName=arn, Payload=b"{}")
    assert "FunctionError" not in resp
    body = json.loads(resp["Payload"].read())
    assert body["greeting"] == "bonjour"
    assert body["endpoint"]  # injected, like LocalStack


def test_lambda_past_its_timeout_fails_with_a_timeout_error(runtime: Runtime) -> None:
    lam = runtime.client("lambda")
    arn = create_function(lam, ECHO, Timeout=1)
    resp = lam.invoke(FunctionName=arn, Payload=json.dumps({"sleep": 3}).encode())
    assert resp.get("FunctionError")
    assert "timed out" in resp["Payload"].read().decode().lower()


LOGGER = """
import boto3
import botocore.handlers
def handler(event, context):
    print("log line from the handler")
    depth_hook = any(getattr(h[1], "__name__", "") == "_ms_add_invoke_depth"
                     for h in botocore.handlers.BUILTIN_HANDLERS)
    return {"buckets": len(boto3.client("s3").list_buckets()["Buckets"]), "depth": depth_hook}
"""


def test_lambda_log_lines_and_boto3_calls_to_the_emulator_work(runtime: Runtime) -> None:
    runtime.client("s3").create_bucket(Bucket="seen-by-lambda")
    lam = runtime.client("lambda")
    arn = create_function(lam, LOGGER)
    for _ in range(3):  # cold, then warm workers: the log must be there every time
        resp = lam.invoke(FunctionName=arn, Payload=b"{}", LogType="Tail")
        payload = resp["Payload"].read()
        assert "FunctionError" not in resp, payload
        body = json.loads(payload)
        assert body["buckets"] >= 1
        assert body["depth"] is True  # MiniStack's recursion guard is still installed
        assert "log line from the handler" in base64.b64decode(resp["LogResult"]).decode()


@pytest.fixture(scope="module")
def api_url(runtime: Any) -> str:
    lam, apigw = runtime.client("lambda"), runtime.client("apigateway")
    auth_arn, backend_arn = create_function(lam, AUTHORIZER), create_function(lam, BACKEND)
    api = token_authorized_api(
        apigw, "rt-api", auth_arn, backend_arn, path_part="hello", stage="local"
    )
    return f"{runtime.endpoint_url}/_aws/execute-api/{api}/local/hello"


def call(url: str, token: str | None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("Bearer good", 200),
        ("Bearer bad", 401),
        (None, 401),
        ("Bearer denied", 403),
    ],
)
def test_token_authorizer_allows_rejects_and_denies(
    api_url: str, token: str | None, status: int
) -> None:
    code, body = call(api_url, token)
    assert code == status, body
    if status == 200:
        assert json.loads(body) == {"ok": True, "principal": "user-1"}
