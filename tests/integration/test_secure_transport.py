"""The runtime's endpoint counts as AWS's HTTPS endpoint for ``aws:SecureTransport``
(atelier.emulator.middleware.as_tls_endpoint).

Every bucket Terraform creates carries ``DenyInsecureTransport`` (terraform/modules/data): on
AWS the SDKs speak HTTPS and pass; through the runtime's loopback HTTP port a role's call must
pass too, while a request a proxy marks as plain HTTP is still denied, naming the policy.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration

BUCKET = "tls-only-check"


def tls_only(bucket: str) -> str:
    arn = f"arn:aws:s3:::{bucket}"
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]})  # fmt: skip


@pytest.fixture()
def role_s3(runtime: Runtime) -> Iterator[Any]:
    """S3 through an assumed role allowed everything, on a bucket with the TLS-only policy."""
    iam, s3 = runtime.client("iam"), runtime.client("s3")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": "arn:aws:iam::000000000000:root"}}]}  # fmt: skip
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="tls-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="tls-reader", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"v")
    s3.put_bucket_policy(Bucket=BUCKET, Policy=tls_only(BUCKET))
    creds = runtime.client("sts").assume_role(
        RoleArn="arn:aws:iam::000000000000:role/tls-reader", RoleSessionName="tls-check"
    )["Credentials"]
    client = boto3.client("s3", endpoint_url=runtime.endpoint_url, region_name=runtime.region,
                          aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"])  # fmt: skip
    try:
        yield client
    finally:
        s3.delete_bucket_policy(Bucket=BUCKET)
        s3.delete_object(Bucket=BUCKET, Key="k")
        s3.delete_bucket(Bucket=BUCKET)


def test_a_role_reads_a_tls_only_bucket_through_the_runtime(role_s3: Any) -> None:
    assert role_s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"v"


def test_a_request_marked_plain_http_is_still_denied(role_s3: Any) -> None:
    def plain_http(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-Proto"] = "http"

    role_s3.meta.events.register("before-sign.s3.GetObject", plain_http)
    with pytest.raises(ClientError) as err:
        role_s3.get_object(Bucket=BUCKET, Key="k")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert "explicit deny in a resource-based policy" in str(err.value)
