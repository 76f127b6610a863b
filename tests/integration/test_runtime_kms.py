"""SSE-KMS with a customer key on the runtime, IAM enforced: writing an object or reading a
secret protected by the key needs the caller's ``kms:GenerateDataKey``/``kms:Decrypt`` through
that service (``kms:ViaService``, as terraform/modules/permissions grants it) and a key policy
that allows it; a denial names the KMS action and the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from atelier_devtools.runtime import Runtime, start_runtime

pytestmark = pytest.mark.integration
ACCOUNT = "000000000000"
DATA = {
    "Sid": "Data",
    "Effect": "Allow",
    "Resource": "*",
    "Action": ["s3:PutObject", "s3:GetObject", "secretsmanager:GetSecretValue"],
}


def key_policy(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": principal},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


def data_key(region: str, services: list[str]) -> dict[str, Any]:
    return {
        "Sid": "DataKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {
            "StringLike": {"kms:ViaService": [f"{s}.{region}.amazonaws.com" for s in services]}
        },
    }


def session(runtime: Runtime, name: str, statements: list[dict[str, Any]]) -> boto3.Session:
    iam = runtime.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            }
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    creds = runtime.client("sts").assume_role(RoleArn=arn, RoleSessionName=name)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=runtime.region,
    )


def denied(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
    return str(caught.value)


@pytest.fixture(scope="module")
def cmk(runtime: Runtime) -> dict[str, str]:
    kms, s3, sm = runtime.client("kms"), runtime.client("s3"), runtime.client("secretsmanager")
    key = kms.create_key(Policy=key_policy(f"arn:aws:iam::{ACCOUNT}:root"))["KeyMetadata"]
    kms.create_alias(AliasName="alias/sse-test", TargetKeyId=key["KeyId"])
    s3.create_bucket(Bucket="sse-kms")
    s3.put_bucket_encryption(
        Bucket="sse-kms",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["Arn"],
                    }
                }
            ]
        },
    )
    s3.put_object(Bucket="sse-kms", Key="seed", Body=b"seed")
    sm.create_secret(Name="sse-secret", SecretString="s3cret", KmsKeyId="alias/sse-test")
    return {"arn": key["Arn"], "id": key["KeyId"]}


def test_the_key_is_required_through_the_service(runtime: Runtime, cmk: dict[str, str]) -> None:
    granted = session(
        runtime, "kms-granted", [DATA, data_key(runtime.region, ["s3", "secretsmanager"])]
    )
    url = runtime.endpoint_url
    s3, sm = (
        granted.client("s3", endpoint_url=url),
        granted.client("secretsmanager", endpoint_url=url),
    )
    put = s3.put_object(Bucket="sse-kms", Key="k", Body=b"x")
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == cmk["arn"]
    assert s3.get_object(Bucket="sse-kms", Key="k")["Body"].read() == b"x"
    assert sm.get_secret_value(SecretId="sse-secret")["SecretString"] == "s3cret"
    # the grant holds only through those services: KMS called directly refuses it
    denied(
        granted.client("kms", endpoint_url=url).generate_data_key,
        KeyId=cmk["arn"],
        KeySpec="AES_256",
    )


def test_without_the_grant_the_call_is_denied_naming_the_kms_action(
    runtime: Runtime, cmk: dict[str, str]
) -> None:
    bare = session(runtime, "kms-missing", [DATA])
    url = runtime.endpoint_url
    s3, sm = bare.client("s3", endpoint_url=url), bare.client("secretsmanager", endpoint_url=url)
    assert "kms:GenerateDataKey" in denied(s3.put_object, Bucket="sse-kms", Key="k2", Body=b"x")
    assert "kms:Decrypt" in denied(s3.get_object, Bucket="sse-kms", Key="seed")
    message = denied(sm.get_secret_value, SecretId="sse-secret")
    assert "kms:Decrypt" in message
    elsewhere = session(
        runtime, "kms-dynamodb-only", [DATA, data_key(runtime.region, ["dynamodb"])]
    )
    denied(elsewhere.client("s3", endpoint_url=url).get_object, Bucket="sse-kms", Key="seed")


def test_the_key_policy_must_allow(runtime: Runtime, cmk: dict[str, str]) -> None:
    granted = session(runtime, "kms-policy", [DATA, data_key(runtime.region, ["s3"])])
    s3 = granted.client("s3", endpoint_url=runtime.endpoint_url)
    kms = runtime.client("kms")
    kms.put_key_policy(
        KeyId=cmk["id"],
        PolicyName="default",
        Policy=key_policy(f"arn:aws:iam::{ACCOUNT}:role/someone-else"),
    )
    try:
        assert "kms:Decrypt" in denied(s3.get_object, Bucket="sse-kms", Key="seed")
    finally:
        kms.put_key_policy(
            KeyId=cmk["id"], PolicyName="default", Policy=key_policy(f"arn:aws:iam::{ACCOUNT}:root")
        )
    assert s3.get_object(Bucket="sse-kms", Key="seed")["Body"].read() == b"seed"


def refused(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(error["Code"]), str(error["Message"])


def test_a_disabled_or_deleted_key_refuses_the_data_it_protects(runtime: Runtime) -> None:
    kms, s3, sm = runtime.client("kms"), runtime.client("s3"), runtime.client("secretsmanager")
    key = kms.create_key(Policy=key_policy(f"arn:aws:iam::{ACCOUNT}:root"))["KeyMetadata"]
    sse = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}
    s3.create_bucket(Bucket="sse-disabled")
    s3.put_bucket_encryption(
        Bucket="sse-disabled",
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": sse}]},
    )
    s3.put_object(Bucket="sse-disabled", Key="seed", Body=b"seed")
    sm.create_secret(Name="sse-disabled-secret", SecretString="v1", KmsKeyId=key["Arn"])
    role = session(
        runtime,
        "kms-disabled",
        [DATA, {**DATA, "Sid": "Put", "Action": ["secretsmanager:PutSecretValue"]},
         data_key(runtime.region, ["s3", "secretsmanager"])],
    )  # fmt: skip
    url = runtime.endpoint_url
    rs3, rsm = role.client("s3", endpoint_url=url), role.client("secretsmanager", endpoint_url=url)
    kms.disable_key(KeyId=key["KeyId"])
    try:
        disabled = ("KMS.DisabledException", f"{key['Arn']} is disabled.")
        assert refused(rs3.put_object, Bucket="sse-disabled", Key="new", Body=b"x") == disabled
        assert refused(rs3.get_object, Bucket="sse-disabled", Key="seed") == disabled
        code, message = refused(rsm.get_secret_value, SecretId="sse-disabled-secret")
        assert code == "DecryptionFailure" and f"{key['Arn']} is disabled" in message
        code, message = refused(
            rsm.put_secret_value, SecretId="sse-disabled-secret", SecretString="v2"
        )
        assert code == "EncryptionFailure" and f"{key['Arn']} is disabled" in message
        # SSE-S3 asked for explicitly needs no KMS key: not refused
        rs3.put_object(Bucket="sse-disabled", Key="aes", Body=b"y", ServerSideEncryption="AES256")
    finally:
        kms.enable_key(KeyId=key["KeyId"])
    assert rs3.get_object(Bucket="sse-disabled", Key="seed")["Body"].read() == b"seed"
    assert rsm.get_secret_value(SecretId="sse-disabled-secret")["SecretString"] == "v1"
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    code, message = refused(rs3.get_object, Bucket="sse-disabled", Key="seed")
    assert code == "KMS.KMSInvalidStateException" and "pending deletion" in message


def test_without_enforcement_a_disabled_key_still_refuses(tmp_path: Path) -> None:
    # the key's state is not an IAM decision: AWS refuses whoever calls
    rt = start_runtime(tmp_path / "home", env={"ATELIER_IAM_ENFORCE": "false"})
    try:
        assert rt.status()["iam_enforce"] is False
        kms, s3 = rt.client("kms"), rt.client("s3")
        key = kms.create_key()["KeyMetadata"]
        s3.create_bucket(Bucket="open-sse")
        s3.put_object(Bucket="open-sse", Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId=key["Arn"])  # fmt: skip
        kms.disable_key(KeyId=key["KeyId"])
        assert refused(s3.get_object, Bucket="open-sse", Key="k")[0] == "KMS.DisabledException"
    finally:
        rt.stop()
