"""What an ``ensure_*`` or ``remove_*`` function did to one resource."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    ABSENT = "absent"  # destroy found nothing to remove
    PENDING = "pending"  # exists but not ready yet (reported, never fatal)


@dataclass(frozen=True)
class Change:
    kind: str  # e.g. "s3.bucket", "lambda.function"
    name: str
    action: Action
    detail: str = ""

    @property
    def changed(self) -> bool:
        return self.action in (Action.CREATED, Action.UPDATED, Action.DELETED)

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.action.value:9} {self.kind} {self.name}{extra}"


def created(kind: str, name: str, detail: str = "") -> Change:
    return Change(kind, name, Action.CREATED, detail)


def updated(kind: str, name: str, detail: str = "") -> Change:
    return Change(kind, name, Action.UPDATED, detail)


def unchanged(kind: str, name: str, detail: str = "") -> Change:
    return Change(kind, name, Action.UNCHANGED, detail)


def deleted(kind: str, name: str, detail: str = "") -> Change:
    return Change(kind, name, Action.DELETED, detail)


def absent(kind: str, name: str) -> Change:
    return Change(kind, name, Action.ABSENT)
