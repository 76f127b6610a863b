"""Which account an environment's registry lives in, and the S3 client that reaches it.

qa, preprod and prod are separate AWS accounts. A promotion reads the preprod account's
registry and writes the prod account's, each with that account's credentials, resolved from
configuration alone (the same code on the laptop and in CI):

1. ``ATELIER_<ENV>_ROLE_ARN``: assume this role with the current credentials (on AWS the prod
   deploy role assumes a read role in preprod);
2. ``ATELIER_<ENV>_ACCESS_KEY_ID`` / ``ATELIER_<ENV>_SECRET_ACCESS_KEY`` (on the local runtime
   the 12-digit access key *is* the account);
3. otherwise the current credentials (the account CI is already in).

The bucket is ``ATELIER_<ENV>_MODELS_BUCKET`` or the contract's ``atelier-<env>-models``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})


@dataclass(frozen=True)
class Account:
    """One environment's registry: its name, its models bucket and a client in its account."""

    env: str
    bucket: str
    s3: Any

    def account_id(self) -> str:
        """The account the client's credentials resolve to (STS GetCallerIdentity)."""
        sts = _session(self.env).client("sts", config=_CONFIG)
        return str(sts.get_caller_identity()["Account"])


def _var(env: str, name: str) -> str | None:
    value = os.environ.get(f"ATELIER_{env.upper().replace('-', '_')}_{name}", "").strip()
    return value or None


def session(env: str) -> boto3.Session:
    """A boto3 session in environment ``env``'s account (see the module docstring)."""
    return _session(env)


def _session(env: str) -> boto3.Session:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    role = _var(env, "ROLE_ARN")
    if role:
        creds = boto3.client("sts", region_name=region, config=_CONFIG).assume_role(
            RoleArn=role, RoleSessionName=f"atelier-registry-{env}"
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )
    key, secret = _var(env, "ACCESS_KEY_ID"), _var(env, "SECRET_ACCESS_KEY")
    if key:
        return boto3.Session(
            aws_access_key_id=key,
            aws_secret_access_key=secret or "unused",
            aws_session_token=_var(env, "SESSION_TOKEN"),
            region_name=region,
        )
    return boto3.Session(region_name=region)


def _endpoint() -> dict[str, Any]:
    """The endpoint of the command's explicit session (the local runtime), if it set one;
    otherwise boto3 resolves it (``AWS_ENDPOINT_URL`` or AWS itself)."""
    from ml_common.aws import _SESSION

    current = _SESSION.get()
    return {"endpoint_url": current.endpoint_url} if current and current.endpoint_url else {}


def account(env: str, bucket: str | None = None) -> Account:
    """The registry of environment ``env`` (see the module docstring for the resolution)."""
    chosen = bucket or _var(env, "MODELS_BUCKET") or f"atelier-{env}-models"
    return Account(env, chosen, _session(env).client("s3", config=_CONFIG, **_endpoint()))
