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

With or without enforcement, :func:`refuse_unusable_keys` makes those data calls fail as on AWS
when their customer key is disabled or pending deletion (S3: ``KMS.DisabledException``; Secrets
Manager: ``EncryptionFailure``/``DecryptionFailure``), before MiniStack handles them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from atelier.emulator.kms import data_keys
from atelier.emulator.ministack_compat import post_import

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.iam_actions": (
        "_s3_action",
        "access_denied_response",
        "s3_additional_checks",
    ),
    "ministack.core.iam_evaluator": ("enforce",),
    "ministack.services.kms": ("_resolve_key",),
    "ministack.core.responses": ("error_response_json", "get_account_id"),
    "ministack.services.s3": (
        "_bucket_default_sse_headers",
        "_buckets.get",
        "_error",
        "_merge_hoisted_amz_headers",
        "_stored_sse_headers",
        "handle_request",
    ),
    "ministack.services.secretsmanager": ("_resolve", "_secrets.get", "handle_request"),
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


# --- keys that cannot be used (disabled, pending deletion): with or without enforcement ---------

SSE_HEADER = "x-amz-server-side-encryption"
SECRET_WRITES_WITH_VALUE = frozenset({"CreateSecret", "PutSecretValue", "UpdateSecret"})


def _unusable(key_id: str | None) -> tuple[str, str] | None:
    """``(KeyState, Arn)`` of the customer key ``key_id`` when it cannot be used, else None."""
    if not data_keys.customer_key(key_id):
        return None
    from ministack.services import kms

    record = kms._resolve_key(key_id)
    if not record or record.get("KeyState") not in data_keys.UNUSABLE_STATES:
        return None
    return str(record["KeyState"]), str(record["Arn"])


def _s3_stored_key(bucket: str, name: str) -> str | None:
    from ministack.services import s3

    record = (s3._buckets.get(bucket) or {}).get("objects", {}).get(name)
    found = s3._stored_sse_headers(record).get(KEY_HEADER) if record else None
    return str(found) if found else None


def _s3_keys(
    method: str, path: str, headers: dict[str, Any], query: dict[str, Any]
) -> list[tuple[bool, str | None]]:
    """``(writes, key id)`` of each customer key an S3 request uses on AWS: GetObject reads
    the object's; PutObject, CopyObject and CreateMultipartUpload write with the named or the
    bucket's default key (a copy also reads its source's)."""
    from ministack.core import iam_actions
    from ministack.services import s3

    bucket, _, name = path.lstrip("/").partition("/")
    action = iam_actions._s3_action(method, path, query) if name else None
    if method == "GET" and action in ("GetObject", "GetObjectVersion"):
        return [(False, _s3_stored_key(bucket, name))]
    writes = action == "PutObject" and "uploadId" not in query and "partNumber" not in query
    if not writes or (method == "POST" and "uploads" not in query):
        return []
    headers = s3._merge_hoisted_amz_headers(headers, query)
    keys: list[tuple[bool, str | None]] = []
    source = unquote(str(headers.get("x-amz-copy-source") or "").partition("?")[0]).lstrip("/")
    if source:
        src_bucket, _, src_name = source.partition("/")
        keys.append((False, _s3_stored_key(src_bucket, src_name)))
    sse = headers.get(SSE_HEADER)
    if sse and sse != "aws:kms":
        return keys  # SSE-S3 asked for: no KMS key
    named = headers.get(KEY_HEADER) or s3._bucket_default_sse_headers(bucket).get(KEY_HEADER)
    return [*keys, (True, str(named) if named else None)]


def _secret_keys(action: str, data: dict[str, Any]) -> list[tuple[bool, str | None]]:
    from ministack.services import secretsmanager

    _, secret = secretsmanager._resolve(data.get("SecretId") or data.get("Name") or "")
    if action == "GetSecretValue":
        return [(False, secret.get("KmsKeyId"))] if secret else []
    has_value = "SecretString" in data or "SecretBinary" in data
    if action not in SECRET_WRITES_WITH_VALUE or not has_value:
        return []
    if action == "CreateSecret":
        return [(True, data.get("KmsKeyId"))]
    return [(True, data.get("KmsKeyId") or (secret or {}).get("KmsKeyId"))]


def _refusal(service: str, keys: list[tuple[bool, str | None]]) -> tuple[str, str] | None:
    for writes, key_id in keys:
        unusable = _unusable(key_id)
        if unusable is not None:
            return data_keys.refusal(service, writes, *unusable)
    return None


def refuse_unusable_keys() -> None:
    """Wrap MiniStack's S3 and Secrets Manager handlers with the key-state check, each when
    MiniStack first imports its module (:mod:`.post_import`)."""
    post_import.when_imported("ministack.services.s3", "unusable CMK refused", _wrap_s3)
    post_import.when_imported(
        "ministack.services.secretsmanager", "unusable CMK refused", _wrap_secrets
    )


def _wrap_s3() -> None:
    from ministack.services import s3

    handle: Callable[..., Any] = s3.handle_request
    if getattr(handle, "_atelier", False):
        return

    async def handle_request(
        method: str, path: str, headers: dict[str, Any], body: bytes, query: dict[str, Any],
        *args: Any, **kwargs: Any,
    ) -> Any:  # fmt: skip
        refused = _refusal("s3", _s3_keys(method, path, headers, query))
        if refused is not None:
            return s3._error(refused[0], refused[1], 400, path)
        return await handle(method, path, headers, body, query, *args, **kwargs)

    handle_request._atelier = True  # type: ignore[attr-defined]
    s3.handle_request = handle_request


def _wrap_secrets() -> None:
    import json

    from ministack.core.responses import error_response_json
    from ministack.services import secretsmanager

    handle: Callable[..., Any] = secretsmanager.handle_request
    if getattr(handle, "_atelier", False):
        return

    async def handle_request(
        method: str, path: str, headers: dict[str, Any], body: bytes, query: dict[str, Any]
    ) -> Any:
        action = str(headers.get("x-amz-target", "")).rpartition(".")[2]
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = None  # MiniStack answers the bad JSON
        if isinstance(data, dict):
            refused = _refusal("secretsmanager", _secret_keys(action, data))
            if refused is not None:
                return error_response_json(refused[0], refused[1], 400)
        return await handle(method, path, headers, body, query)

    handle_request._atelier = True  # type: ignore[attr-defined]
    secretsmanager.handle_request = handle_request
