"""The account MiniStack keys a request to, from its access key (for the runtime's own APIs).

MiniStack maps a 12-digit access key to that account and an STS session key to the account of
the role it assumed; the Synthetics API, served before MiniStack, keys its canaries the same
way so a canary lives in the account whose roles, buckets and metrics it uses.

Work the runtime does outside a request (a Lambda worker started ahead of load) runs in the
account and region of the resource it serves: MiniStack reads both from the request's context.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.responses": ("set_request_account_id", "get_account_id", "set_request_region"),
}


def account_of(access_key_id: str) -> str:
    from ministack.core import responses

    def resolve() -> str:
        responses.set_request_account_id(access_key_id)
        return str(responses.get_account_id())

    return contextvars.copy_context().run(resolve)


def run_as_owner(arn: str, work: Callable[[], T]) -> T:
    """``work()`` in the account and region of ``arn`` (``arn:aws:<service>:<region>:<account>:
    ...``), as if a request of that account and region made it; unchanged for another string."""
    from ministack.core import responses

    parts = arn.split(":")

    def scoped() -> T:
        if len(parts) > 4 and parts[3] and parts[4]:
            responses.set_request_account_id(parts[4])
            responses.set_request_region(parts[3])
        return work()

    return contextvars.copy_context().run(scoped)
