"""``POST /structured_data {"id"}``: the prediction of the structured-data service."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from lambda_shared import settings
from lambda_shared.api import entry, json_response, make_app, warm_up
from lambda_shared.predict import predict
from lambda_shared.request_body import json_object
from lambda_shared.validation import PredictRequest, parse

app = make_app()
warm_up(settings.service_settings)  # read at init, not in the first prediction


@app.post("/structured_data")
def post_structured_data() -> Response[str]:
    request = parse(PredictRequest, json_object(app.current_event.raw_event))
    return json_response(200, predict(request.id))


handler = entry(app, pipeline="structured_data")
