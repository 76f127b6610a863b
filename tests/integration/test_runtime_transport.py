"""Loopback callers reach the runtime with ``aws:SecureTransport`` true, as SDK calls reach AWS
over TLS: the roots' DenyInsecureTransport bucket policy denies nothing a role does locally,
and the condition is still evaluated (a policy denying *secure* transport denies)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration


def deny(bucket: str, secure: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": secure}},
                }
            ],
        }
    )


def as_role(runtime: Runtime, name: str) -> Any:
    arn = runtime.role(name, service="ecs-tasks.amazonaws.com")
    iam = runtime.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
            }
        ],
    }
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    creds = runtime.client("sts").assume_role(RoleArn=arn, RoleSessionName="transport")[
        "Credentials"
    ]
    return boto3.client(
        "s3",
        endpoint_url=runtime.endpoint_url,
        region_name=runtime.region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def test_loopback_is_secure_transport_for_bucket_policies(runtime: Runtime) -> None:
    admin = runtime.client("s3")
    admin.create_bucket(Bucket="tls-only")
    s3 = as_role(runtime, "transport-writer")
    admin.put_bucket_policy(Bucket="tls-only", Policy=deny("tls-only", "false"))
    s3.put_object(Bucket="tls-only", Key="k", Body=b"x")
    assert s3.get_object(Bucket="tls-only", Key="k")["Body"].read() == b"x"
    admin.put_bucket_policy(Bucket="tls-only", Policy=deny("tls-only", "true"))
    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket="tls-only", Key="k")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
