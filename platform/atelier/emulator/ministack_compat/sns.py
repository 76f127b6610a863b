"""MiniStack's SNS fan-out, with Atelier's deliveries: HTTP(S) through the retrying
:class:`~atelier.emulator.sns.delivery.Deliverer` (MiniStack tries once, 5 s), e-mail to the
local mailbox (MiniStack only logs it)."""

from __future__ import annotations

import json
from typing import Any

from ministack.services import sns

from atelier.emulator.sns.delivery import Deliverer, policy_of

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.sns": (
        "_fanout",
        "_deliver_to_http",
        "_topic_by_arn_any_scope",
        "_build_envelope",
    ),
}
_original_fanout = sns._fanout
_deliverer: Deliverer | None = None
_policies: dict[str, dict[str, Any] | None] = {}


def install(deliverer: Deliverer) -> None:
    global _deliverer
    _deliverer = deliverer

    async def deliver_http(endpoint: str, payload: str) -> None:
        deliverer.http(endpoint, payload, _policies.get(endpoint))

    sns._deliver_to_http = deliver_http
    sns._fanout = _fanout


def _fanout(
    topic_arn: str, msg_id: str, message: str, subject: str, *args: Any, **kwargs: Any
) -> Any:
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
    return _original_fanout(topic_arn, msg_id, message, subject, *args, **kwargs)


def _email_text(message: str) -> str:
    try:
        return json.dumps(json.loads(message), indent=2)
    except ValueError:
        return message
