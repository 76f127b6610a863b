"""Warm workers of a function in another account and region than the default ones get its
layers.

The warmer starts workers in background threads, outside any request, and MiniStack resolves a
function's layers against the region of the current request. A warmer that does not take the
region (and account) from the function itself finds no layer for a function outside the
default region: the worker fails to import what the layer carries ("No module named
'aws_lambda_powertools'"), once a second, for every function of the qa, preprod and prod roots
(eu-west-3), and a request waiting for a new worker falls back to a cold start of its own.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import psutil
import pytest

from atelier.deploy.bundle import zip_entries
from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration
ACCOUNT = "444444444444"
REGION = "eu-west-3"  # the AWS roots' region; the runtime's default is us-east-1
HANDLER = "import layer_only\n\ndef handler(event, context):\n    return layer_only.VALUE\n"


def _zip(files: dict[str, str]) -> bytes:
    return zip_entries((name, text.encode()) for name, text in files.items())


def _client(runtime: Runtime, service: str) -> Any:
    return boto3.client(service, endpoint_url=runtime.endpoint_url, region_name=REGION,
                        aws_access_key_id=ACCOUNT, aws_secret_access_key="test")  # fmt: skip


def _processes(runtime: Runtime, name: str) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(runtime.pid).children(recursive=True):
        try:
            if any(f"ministack-lambda-{name}-" in part for part in child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _wait_workers(runtime: Runtime, name: str, wanted: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while len(_processes(runtime, name)) < wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return len(_processes(runtime, name))


def test_a_function_of_another_account_and_region_is_warmed_with_its_layer(
    runtime: Runtime,
) -> None:
    assert runtime.settings is not None and runtime.settings.lambda_warm_workers >= 1
    iam, lam = _client(runtime, "iam"), _client(runtime, "lambda")
    suffix = uuid.uuid4().hex[:8]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "lambda.amazonaws.com"}}]}  # fmt: skip
    role = iam.create_role(RoleName=f"warm-acct-{suffix}",
                           AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]  # fmt: skip
    s3 = _client(runtime, "s3")
    bucket = f"warm-acct-{suffix}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="layer.zip",
                  Body=_zip({"python/layer_only.py": "VALUE = 'from the layer'\n"}))  # fmt: skip
    layer = lam.publish_layer_version(  # from S3, as Terraform publishes CI's stored bundles
        LayerName=f"warm-acct-{suffix}", CompatibleRuntimes=["python3.11"],
        Content={"S3Bucket": bucket, "S3Key": "layer.zip"},
    )["LayerVersionArn"]  # fmt: skip
    assert f":{REGION}:{ACCOUNT}:" in layer
    name = f"warm-acct-{suffix}"
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handler",
        Code={"ZipFile": _zip({"handler.py": HANDLER})}, Layers=[layer], Timeout=30,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    warm = runtime.settings.lambda_warm_workers
    assert _wait_workers(runtime, name, warm) >= warm, (
        f"{name}: no warm workers (its layer, in {REGION}, not found by the warmer)"
    )
    # more workers wanted: the background warmer (no request, so no account of its own) starts them
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=warm + 1
    )
    assert _wait_workers(runtime, name, warm + 1) >= warm + 1, (
        f"{name}: no worker for the provisioned concurrency (its layer, in {REGION}, not "
        "found by the warmer)"
    )
    answer = lam.invoke(FunctionName=name)
    assert json.loads(answer["Payload"].read()) == "from the layer"
