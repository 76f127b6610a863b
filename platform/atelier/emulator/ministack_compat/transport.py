"""``aws:SecureTransport`` for the runtime's loopback clients (ministack==1.5.33).

AWS's API endpoints are TLS, so every SDK call reaches AWS with ``aws:SecureTransport`` true,
and the roots' ``DenyInsecureTransport`` bucket policies (terraform/modules/data) deny nothing a
deployer or an application does there. The runtime's single port is plain HTTP on loopback:
MiniStack would read every call as insecure and that policy would deny them all (Terraform's
own bucket settings after the policy lands, every object read by a lambda or task). A request
from 127.0.0.0/8 or ::1 never leaves the machine, so it counts as secure transport here; a call
from another host keeps MiniStack's reading (secure only over TLS).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.app": ("pin_request_origin",),
}


def is_loopback(source_ip: str) -> bool:
    try:
        return ipaddress.ip_address(source_ip).is_loopback
    except ValueError:
        return False


def apply() -> bool:
    from ministack import app

    original: Callable[[str, bool], None] = app.pin_request_origin
    if getattr(original, "_atelier", False):
        return True

    def pin_request_origin(source_ip: str, secure_transport: bool) -> None:
        original(source_ip, secure_transport or is_loopback(source_ip))

    pin_request_origin._atelier = True  # type: ignore[attr-defined]
    app.pin_request_origin = pin_request_origin
    return True
