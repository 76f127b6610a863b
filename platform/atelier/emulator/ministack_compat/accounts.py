"""The account MiniStack keys a request to, from its access key (for the runtime's own APIs).

MiniStack maps a 12-digit access key to that account and an STS session key to the account of
the role it assumed; the Synthetics API, served before MiniStack, keys its canaries the same
way so a canary lives in the account whose roles, buckets and metrics it uses.
"""

from __future__ import annotations

import contextvars

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.responses": ("set_request_account_id", "get_account_id"),
}


def account_of(access_key_id: str) -> str:
    from ministack.core import responses

    def resolve() -> str:
        responses.set_request_account_id(access_key_id)
        return str(responses.get_account_id())

    return contextvars.copy_context().run(resolve)
