"""The ASGI types the runtime's own layers share (the middleware, the SDK-retry wrapper, the
Synthetics API), and what they read of a request's signature."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


def signed_service(authorization: str) -> tuple[str, str, str] | None:
    """(access key, region, service) from a SigV4 ``Authorization`` header, or None."""
    match = CREDENTIAL.search(authorization)
    return (match.group(1), match.group(2), match.group(3)) if match else None
