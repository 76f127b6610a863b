"""``POST /non_structured_data_images {"link"}``: start the image job (202 with its id)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from lambda_shared.api import entry, json_response, make_app
from lambda_shared.request_body import header, json_object
from lambda_shared.submit import IDEMPOTENCY_HEADER, IMAGES, caller, idempotency_key, submit
from lambda_shared.validation import ImageJobRequest, check_link, parse

app = make_app()


@app.post("/non_structured_data_images")
def post_image_job() -> Response[str]:
    event = app.current_event.raw_event
    key = idempotency_key(header(event, IDEMPOTENCY_HEADER))
    request = parse(ImageJobRequest, json_object(event))
    link = check_link(request.link)
    job = submit(IMAGES, {"link": link}, key, app.lambda_context, caller(event))
    return json_response(202, job)


handler = entry(app, pipeline="non_structured_data_images")
