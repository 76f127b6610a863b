"""The environment's customer-managed KMS key, as terraform/modules/data makes it.

One key per environment (``alias/<prefix without its trailing dash>``, rotation on, the same key
policy: the account administers and uses it, the services that write encrypted data for us may
use it). The data buckets use it as their default encryption (SSE-KMS, bucket key on) and the
roles that touch data get its data-key grant (:mod:`atelier.deploy.policies`), as on AWS.
Found by its alias, so a repeat deploy changes nothing; destroy deletes the alias and schedules
the key's deletion (AWS keeps a key at least 7 days).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

KIND = "kms.key"
SERVICES = ["logs.amazonaws.com", "sns.amazonaws.com", "cloudwatch.amazonaws.com",
            "budgets.amazonaws.com"]  # fmt: skip
SERVICE_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                   "kms:Describe*"]  # fmt: skip
DELETION_WINDOW_DAYS = 7


def alias_name(prefix: str) -> str:
    """``alias/atelier-local`` for the prefix ``atelier-local-`` (Terraform's trimsuffix)."""
    return f"alias/{prefix.removesuffix('-')}"


def key_policy(account: str) -> dict[str, Any]:
    """terraform/modules/data's key policy (``data.aws_iam_policy_document.kms``)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "ServicesEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": SERVICES},
                "Action": SERVICE_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
        ],
    }


def _aliased(kms: Any, alias: str) -> dict[str, Any] | None:
    """The key ``alias`` names (None: no such alias)."""
    try:
        metadata: dict[str, Any] = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as exc:
        if is_not_found(exc) or exc.response["Error"]["Code"] == "NotFoundException":
            return None
        raise
    return metadata


def ensure_key(
    clients: Clients, prefix: str, account: str, tags: dict[str, str] | None = None
) -> tuple[str, Change]:
    """The environment's key (its ARN): created with its alias if missing, enabled, rotated."""
    kms, alias = clients("kms"), alias_name(prefix)
    found = _aliased(kms, alias)
    if found is None:
        key = kms.create_key(
            Description=f"Atelier {prefix} data at rest",
            Policy=json.dumps(key_policy(account)),
            Tags=[{"TagKey": k, "TagValue": v} for k, v in (tags or {}).items()],
        )["KeyMetadata"]
        kms.enable_key_rotation(KeyId=key["KeyId"])
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        return str(key["Arn"]), created(KIND, alias)
    fixed = []
    if found.get("KeyState") == "PendingDeletion":
        kms.cancel_key_deletion(KeyId=found["KeyId"])
        fixed.append("deletion cancelled")
    if found.get("KeyState") != "Enabled":
        kms.enable_key(KeyId=found["KeyId"])
        fixed.append("enabled")
    if not kms.get_key_rotation_status(KeyId=found["KeyId"]).get("KeyRotationEnabled"):
        kms.enable_key_rotation(KeyId=found["KeyId"])
        fixed.append("rotation")
    change = updated(KIND, alias, ", ".join(fixed)) if fixed else unchanged(KIND, alias)
    return str(found["Arn"]), change


def remove_key(clients: Clients, prefix: str) -> Change:
    """Delete the alias and schedule the key's deletion."""
    kms, alias = clients("kms"), alias_name(prefix)
    found = _aliased(kms, alias)
    if found is None:
        return absent(KIND, alias)
    kms.delete_alias(AliasName=alias)
    if found.get("KeyState") != "PendingDeletion":
        kms.schedule_key_deletion(KeyId=found["KeyId"], PendingWindowInDays=DELETION_WINDOW_DAYS)
    return deleted(KIND, alias)
