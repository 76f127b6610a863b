"""Domain code shared by the Atelier lambdas, shipped as one Lambda layer (``python/lambda_shared``).

The handlers in ``lambdas/<name>/handler.py`` only route and format; everything they do lives
here. ``hash_password`` and ``create_user`` are also what ``atelier deploy`` uses to create the
API user, so the deployer and the auth lambda can never disagree on the hash format.

They are loaded on first use (PEP 562): ``create_user`` brings boto3 (~160 ms of a cold start),
which a function that never calls an AWS API, as the structured-data one, does not import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambda_shared.passwords import hash_password, verify_password
    from lambda_shared.users import create_user

__all__ = ["create_user", "hash_password", "verify_password"]


def __getattr__(name: str) -> Any:
    if name in ("hash_password", "verify_password"):
        from lambda_shared import passwords

        return getattr(passwords, name)
    if name == "create_user":
        from lambda_shared.users import create_user

        return create_user
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
