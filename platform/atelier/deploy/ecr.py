"""ECR repositories, one per pipeline image."""

from __future__ import annotations

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged
from atelier.deploy.clients import Clients, is_not_found

KIND = "ecr.repository"


def ensure_repositories(clients: Clients, names: list[str], tags: dict[str, str]) -> list[Change]:
    ecr = clients("ecr")
    present: set[str] = set()
    for page in ecr.get_paginator("describe_repositories").paginate():
        present.update(r["repositoryName"] for r in page["repositories"])
    changes = []
    for name in names:
        if name in present:
            changes.append(unchanged(KIND, name))
            continue
        ecr.create_repository(
            repositoryName=name,
            imageTagMutability="MUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration={"encryptionType": "AES256"},
            tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
        changes.append(created(KIND, name))
    return changes


def remove_repository(clients: Clients, name: str) -> Change:
    try:
        clients("ecr").delete_repository(repositoryName=name, force=True)
    except ClientError as exc:
        if is_not_found(exc):
            return absent(KIND, name)
        raise
    return deleted(KIND, name)
