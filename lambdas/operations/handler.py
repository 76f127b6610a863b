"""``GET /operations``: alarm states, the canary's last minutes and the last drift check
(``lambda_shared.operations``), as ``atelier alerts`` shows them in a terminal."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from lambda_shared.api import entry, json_response, make_app
from lambda_shared.operations import operations

app = make_app()


@app.get("/operations")
def operations_route() -> Response[str]:
    return json_response(200, operations(app.current_event.query_string_parameters))


handler = entry(app)
