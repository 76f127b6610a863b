"""Which KMS action an S3 or Secrets Manager call needs on the customer key that protects its
data, as AWS documents it: writing asks KMS for a data key (``kms:GenerateDataKey``), reading
asks it to decrypt the stored one (``kms:Decrypt``), both on the caller's behalf, so the caller
needs the permission and the key policy must allow it (``kms:ViaService`` is the service).

AWS-managed keys (``aws/s3``, ``aws/secretsmanager``, or none named) need no grant: their
policies allow every principal of the account through the service.
"""

from __future__ import annotations

S3_WRITES = frozenset({"PutObject", "CreateMultipartUpload", "UploadPart", "CopyObject"})
S3_READS = frozenset({"GetObject", "HeadObject", "GetObjectVersion"})
SECRETS_READS = frozenset({"GetSecretValue", "BatchGetSecretValue"})
SECRETS_WRITES = frozenset({"CreateSecret", "PutSecretValue", "UpdateSecret", "RotateSecret"})
AWS_MANAGED = ("alias/aws/", "aws/")


def kms_action(service: str, operation: str) -> str | None:
    """``kms:GenerateDataKey`` or ``kms:Decrypt`` for a data call of ``service``, else None."""
    if service == "s3":
        if operation in S3_WRITES:
            return "kms:GenerateDataKey"
        if operation in S3_READS:
            return "kms:Decrypt"
        return None
    if service == "secretsmanager":
        if operation in SECRETS_WRITES:
            return "kms:GenerateDataKey"
        if operation in SECRETS_READS:
            return "kms:Decrypt"
    return None


def customer_key(key_id: str | None) -> bool:
    """Whether ``key_id`` names a customer-managed key (an AWS-managed one needs no grant)."""
    if not key_id:
        return False
    name = key_id.split(":", 5)[-1] if key_id.startswith("arn:") else key_id
    return not name.startswith(AWS_MANAGED)


def via_service(service: str, region: str) -> str:
    """The ``kms:ViaService`` value of a call KMS receives from ``service``."""
    return f"{service}.{region}.amazonaws.com"


# KMS key states in which a key cannot be used, and the KMS error each gives.
UNUSABLE_STATES = {
    "Disabled": ("DisabledException", "is disabled."),
    "PendingDeletion": ("KMSInvalidStateException", "is pending deletion."),
    "PendingImport": ("KMSInvalidStateException", "is pending import."),
    "Unavailable": ("KMSInvalidStateException", "is unavailable."),
}


def refusal(service: str, writes: bool, key_state: str, key_arn: str) -> tuple[str, str] | None:
    """The error code and message a ``service`` data call gets when its key is in ``key_state``
    (None: the key is usable). S3 passes KMS's error on, prefixed ``KMS.``; Secrets Manager
    answers with its own ``EncryptionFailure``/``DecryptionFailure`` naming the cause."""
    found = UNUSABLE_STATES.get(key_state)
    if found is None:
        return None
    code, what = found
    if service == "s3":
        return f"KMS.{code}", f"{key_arn} {what}"
    verb = "encrypt" if writes else "decrypt"
    return (
        "EncryptionFailure" if writes else "DecryptionFailure",
        f"Secrets Manager can't {verb} the protected secret text using the provided KMS key: "
        f"{key_arn} {what}",
    )
