"""MiniStack's SNS fan-out, with Atelier's deliveries: HTTP(S) through the retrying
:class:`~atelier.emulator.sns.delivery.Deliverer` (MiniStack tries once, 5 s), e-mail to the
local mailbox (MiniStack only logs it).

MiniStack's SNS module imports its Lambda service, so both load on the first SNS call, as in
plain MiniStack: :func:`install` patches them then (:mod:`.post_import`)."""

from __future__ import annotations

import json
from typing import Any

from atelier.emulator.sns.delivery import Deliverer, policy_of

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.sns": (
        "_fanout",
        "_deliver_to_http",
        "_topic_by_arn_any_scope",
        "_build_envelope",
    ),
}
_original: dict[str, Any] = {}
_deliverer: Deliverer | None = None
_policies: dict[str, dict[str, Any] | None] = {}


def install(deliverer: Deliverer) -> None:
    """Deliveries through ``deliverer`` (called once MiniStack has imported its SNS service:
    ``post_import``, by the operations loop)."""
    global _deliverer
    _deliverer = deliverer
    from ministack.services import sns

    async def deliver_http(endpoint: str, payload: str) -> None:
        if _deliverer is not None:
            _deliverer.http(endpoint, payload, _policies.get(endpoint))

    _original.setdefault("fanout", sns._fanout)
    sns._deliver_to_http = deliver_http
    sns._fanout = _fanout


def _fanout(
    topic_arn: str, msg_id: str, message: str, subject: str, *args: Any, **kwargs: Any
) -> Any:
    from ministack.services import sns

    topic = sns._topic_by_arn_any_scope(topic_arn)
    if topic and _deliverer is not None:
        for sub in topic.get("subscriptions", []):
            protocol = sub.get("protocol", "")
            if protocol in ("http", "https"):
                _policies[sub.get("endpoint", "")] = policy_of(
                    sub.get("attributes", {}), topic.get("attributes", {})
                )
            if not sub.get("confirmed") or protocol not in ("email", "email-json"):
                continue
            if protocol == "email-json":
                body = sns._build_envelope(topic_arn, msg_id, message, subject, {}, False)
            else:
                body = _email_text(message)
            _deliverer.email(
                sub.get("endpoint", ""), subject or "AWS Notification Message", body, topic_arn
            )
    return _original["fanout"](topic_arn, msg_id, message, subject, *args, **kwargs)


def _email_text(message: str) -> str:
    try:
        return json.dumps(json.loads(message), indent=2)
    except ValueError:
        return message
