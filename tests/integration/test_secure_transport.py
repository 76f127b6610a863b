"""``ATELIER_SECURE_TRANSPORT``: every request counts as TLS, as SDK and Terraform calls to AWS do.

terraform/modules/data gives every bucket a policy that denies ``aws:SecureTransport`` false.
The runtime is plain HTTP on loopback, so under IAM enforcement that policy refuses every call,
the deploy role's too (what stopped the rehearsals' applies). With the setting the same policy
lets TLS calls through, as on AWS; without it (the session runtime) it still refuses them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from atelier_devtools.runtime import Runtime, start_runtime

pytestmark = pytest.mark.integration
ACCOUNT = "616161616161"


def _tls_only_bucket(endpoint: str, name: str) -> Any:
    """A bucket with the TLS-only policy, and an S3 client of an admin role of its account
    (the account's root keys pass every policy; a role, like Terraform's deploy role, does not)."""
    keys = {"endpoint_url": endpoint, "region_name": "us-east-1",
            "aws_access_key_id": ACCOUNT, "aws_secret_access_key": "test"}  # fmt: skip
    root = boto3.client("s3", **keys)
    root.create_bucket(Bucket=name)
    root.put_object(Bucket=name, Key="k", Body=b"v")
    deny = {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}  # fmt: skip
    root.put_bucket_policy(Bucket=name, Policy=json.dumps(deny))
    iam = boto3.client("iam", **keys)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}  # fmt: skip
    admin = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # fmt: skip
    try:
        arn = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(trust))
        arn = arn["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName="deployer")["Role"]["Arn"]
    iam.put_role_policy(RoleName="deployer", PolicyName="all", PolicyDocument=json.dumps(admin))
    creds = boto3.client("sts", **keys).assume_role(RoleArn=arn, RoleSessionName="tls")
    creds = creds["Credentials"]
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])  # fmt: skip


def test_plain_http_is_refused_by_a_tls_only_policy(runtime: Runtime) -> None:
    s3 = _tls_only_bucket(runtime.endpoint_url, "tls-only-http")
    with pytest.raises(s3.exceptions.ClientError, match="explicit deny"):
        s3.get_object(Bucket="tls-only-http", Key="k")


def test_with_secure_transport_the_same_policy_lets_calls_through(tmp_path: Path) -> None:
    rt = start_runtime(tmp_path / "rt", env={"ATELIER_SECURE_TRANSPORT": "1"})
    try:
        s3 = _tls_only_bucket(rt.endpoint_url, "tls-only-tls")
        assert s3.get_object(Bucket="tls-only-tls", Key="k")["Body"].read() == b"v"
    finally:
        rt.stop()
