"""SSE-KMS under IAM enforcement (ministack==1.5.33): S3 and Secrets Manager use the key.

MiniStack records which customer key protects an object or a secret but never involves the key
when the data is written or read, so a role without ``kms:GenerateDataKey``/``kms:Decrypt``
(or a key policy that refuses it) works locally and fails on AWS. Under ``AUTH=true`` this adds
AWS's KMS check to those calls (:mod:`atelier.emulator.kms.data_keys` says which):

- S3: the object's key (its stored SSE key on a read; the request's
  ``x-amz-server-side-encryption-aws-kms-key-id`` or the bucket's default encryption on a
  write) becomes one more check of the request, next to MiniStack's own extra S3 checks;
- Secrets Manager: after ``GetSecretValue``/``PutSecretValue``/``UpdateSecretValue`` is allowed,
  the secret's ``KmsKeyId``.

Each check is MiniStack's own evaluation as a KMS call (the caller's identity policies and the
key policy, which must allow) with ``kms:ViaService`` = ``<service>.<region>.amazonaws.com`` and
``kms:CallerAccount``; the AccessDenied then names the KMS action, as AWS's does.
Keys the runtime does not hold (AWS-managed aliases, unknown ids) are not checked.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from atelier.emulator.kms import data_keys

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.iam_actions": (
        "_s3_action",
        "access_denied_response",
        "s3_additional_checks",
    ),
    "ministack.core.iam_evaluator": ("enforce",),
    "ministack.core.responses": ("get_account_id",),
    "ministack.services.kms": ("_resolve_key",),
    "ministack.services.s3": ("_bucket_default_sse_headers", "_buckets.get", "_stored_sse_headers"),
    "ministack.services.secretsmanager": ("_secrets.get",),
}
KEY_HEADER = "x-amz-server-side-encryption-aws-kms-key-id"
_denied: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "atelier_kms_denied", default=None
)


def key_arn(key_id: str | None) -> str | None:
    """The ARN of the customer key ``key_id`` (id, ARN or alias) names, if the runtime holds it."""
    if not data_keys.customer_key(key_id):
        return None
    from ministack.services import kms

    record = kms._resolve_key(key_id)
    return str(record["Arn"]) if record else None


def _s3_object_key(operation: str, path: str, headers: dict[str, Any]) -> str | None:
    from ministack.services import s3

    bucket, _, name = path.lstrip("/").partition("/")
    if operation in data_keys.S3_WRITES:
        named = headers.get(KEY_HEADER)
        if named:
            return str(named)
        found = s3._bucket_default_sse_headers(bucket).get(KEY_HEADER)
        return str(found) if found else None
    record = (s3._buckets.get(bucket) or {}).get("objects", {}).get(name)
    if not record:
        return None
    found = s3._stored_sse_headers(record).get(KEY_HEADER)
    return str(found) if found else None


def _secret_key(secret_arn: str) -> str | None:
    from ministack.services import secretsmanager

    secret = secretsmanager._secrets.get(secret_arn.partition(":secret:")[2][:-7])
    if not secret or secret.get("ARN") != secret_arn:
        return None
    found = secret.get("KmsKeyId")
    return str(found) if found else None


def apply() -> bool:
    from ministack.core import iam_actions, iam_evaluator

    enforce: Callable[..., Any] = iam_evaluator.enforce
    if getattr(enforce, "_atelier", False):
        return True
    extra_checks: Callable[..., list[tuple[str, str]]] = iam_actions.s3_additional_checks
    denial: Callable[..., Any] = iam_actions.access_denied_response

    def s3_additional_checks(
        method: str, path: str, headers: dict[str, Any], body: bytes, query_params: dict[str, Any]
    ) -> list[tuple[str, str]]:
        checks = extra_checks(method, path, headers, body, query_params)
        operation = iam_actions._s3_action(method, path, query_params) or ""
        action = data_keys.kms_action("s3", operation)
        if action and "/" in path.lstrip("/"):
            arn = key_arn(_s3_object_key(operation, path, headers))
            if arn:
                checks.append((action, arn))
        return checks

    def as_kms_call(
        access_key: str,
        action: str,
        service: str,
        region: str,
        arn: str,
        context: dict[str, Any] | None,
    ) -> Any:
        from ministack.core.responses import get_account_id

        context = {
            **(context or {}),
            "kms:ViaService": data_keys.via_service(service, region),
            "kms:CallerAccount": get_account_id(),
        }
        result = enforce(
            access_key, action, "kms", region, resource_arn=arn, service_context=context
        )
        if result:
            _denied.set((action, arn))
        return result

    def checked_enforce(
        access_key_id: str,
        iam_action: str,
        service: str,
        region: str,
        resource_arn: str = "*",
        service_context: dict[str, Any] | None = None,
    ) -> Any:
        if service == "s3" and iam_action.startswith("kms:"):
            return as_kms_call(
                access_key_id, iam_action, "s3", region, resource_arn, service_context
            )
        _denied.set(None)
        result = enforce(
            access_key_id,
            iam_action,
            service,
            region,
            resource_arn=resource_arn,
            service_context=service_context,
        )
        if result or service != "secretsmanager":
            return result
        action = data_keys.kms_action(service, iam_action.partition(":")[2])
        arn = key_arn(_secret_key(resource_arn)) if action else None
        if action and arn:
            return as_kms_call(access_key_id, action, service, region, arn, None)
        return None

    def access_denied_response(service: str, action: str, *args: Any, **kwargs: Any) -> Any:
        denied = _denied.get()
        if denied is not None and kwargs.get("resource_arn") is not None:
            action, kwargs["resource_arn"] = denied
            kwargs["resource_policy_arn"] = ""
        return denial(service, action, *args, **kwargs)

    checked_enforce._atelier = True  # type: ignore[attr-defined]
    iam_evaluator.enforce = checked_enforce
    iam_actions.s3_additional_checks = s3_additional_checks
    iam_actions.access_denied_response = access_denied_response
    return True
