"""``POST /non_structured_al_data_images {"ids": [...]}`` (or repeated ``"id"`` keys): start
the active-learning job (202 with its id)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from lambda_shared.api import entry, json_response, make_app
from lambda_shared.request_body import header, json_object
from lambda_shared.submit import (
    ACTIVE_LEARNING,
    IDEMPOTENCY_HEADER,
    caller,
    idempotency_key,
    submit,
)
from lambda_shared.validation import active_learning_ids

app = make_app()


@app.post("/non_structured_al_data_images")
def post_active_learning_job() -> Response[str]:
    event = app.current_event.raw_event
    key = idempotency_key(header(event, IDEMPOTENCY_HEADER))
    request = active_learning_ids(json_object(event, repeatable={"id"}))
    job = submit(ACTIVE_LEARNING, request, key, app.lambda_context, caller(event))
    return json_response(202, job)


handler = entry(app, pipeline="non_structured_al_data_images")
