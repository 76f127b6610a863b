"""The error a model validator raises to blame one field (the loader reports that field's line)."""

from __future__ import annotations


class FieldError(ValueError):
    """A cross-field fault that belongs to one field: the loader reports that field's line."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
