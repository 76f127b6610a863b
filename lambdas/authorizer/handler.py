"""The API's TOKEN authorizer: ``Bearer <jwt>`` in, an IAM policy (or 401) out."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_shared.api import logger
from lambda_shared.authorizer import authorize


@logger.inject_lambda_context(log_event=False, clear_state=True)  # the token stays out
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return authorize(event)
