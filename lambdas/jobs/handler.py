"""``GET /jobs/{job_id}``: the job (status, timings, outputs with presigned links, error,
progress); ``GET /jobs``: the caller's jobs, newest first, paged (``limit``, ``next``)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from lambda_shared import settings
from lambda_shared.api import entry, json_response, make_app, warm_up
from lambda_shared.aws import client, signing_s3
from lambda_shared.job_list import list_jobs
from lambda_shared.job_status import get_job
from lambda_shared.submit import caller

app = make_app()
# the settings and the clients a status or a listing uses, made at init: ~0.3 s of the first
# polls after a deploy otherwise, while their clients ramp up
warm_up(settings.jobs_settings, lambda: client("dynamodb"), lambda: client("ecs"), signing_s3)


# Any id reaches the route (API Gateway already matched /jobs/{job_id}), so a malformed id is
# answered 400 by get_job rather than 404 by a stricter route pattern (``(?s:...)``: an id
# with a newline in it is malformed too, not "no route").
@app.get("/jobs/(?s:.+)")
def get_job_route() -> Response[str]:
    job_id = (app.current_event.path_parameters or {}).get("job_id")
    return json_response(200, get_job(job_id))


@app.get("/jobs")
def list_jobs_route() -> Response[str]:
    event = app.current_event
    return json_response(200, list_jobs(caller(event.raw_event), event.query_string_parameters))


handler = entry(app)
