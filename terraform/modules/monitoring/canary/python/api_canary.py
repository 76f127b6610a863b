"""CloudWatch Synthetics canary (every minute): the model check of lambdas/canary/model_check.py.

With ``CANARY_SECRET_ARN`` (the monitoring user's ``{"username", "password"}``): log in, predict
the golden structured records (``golden.json``, bundled) and compare with their answers, and
with ``CANARY_IMAGE_LINK``, submit that golden image and follow its job within the run's time,
and publish ``Atelier/Canary`` metrics, exactly as the runtime's canary Lambda does. Without it: POST
/auth with no credentials must give a 4xx JSON error (API Gateway, the auth lambda and its table
are up, without holding a credential).
Packaged by terraform/bundles.py as canary.zip (python/api_canary.py, python/model_check.py,
python/golden.json).
"""

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import model_check


def _unauthenticated_check(api_url):
    request = urllib.request.Request(  # noqa: S310 - the URL is our own API, from the env
        api_url.rstrip("/") + "/auth",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    if not 400 <= status < 500:
        raise RuntimeError(f"POST /auth without credentials answered {status}, expected 4xx")
    json.loads(body)  # every error is a JSON body
    return "ok"


def handler(event, context):  # Synthetics calls handler(event, context)
    api_url = os.environ["API_URL"]
    secret_arn = os.environ.get("CANARY_SECRET_ARN")
    if not secret_arn:
        return _unauthenticated_check(api_url)
    secret = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    )
    golden = json.loads(Path(__file__).with_name("golden.json").read_text())["cases"]
    # the image job is followed until the run's timeout less a margin to publish
    remaining = getattr(context, "get_remaining_time_in_millis", lambda: 30_000)() / 1000.0
    deadline = time.monotonic() + max(0.0, remaining - 5.0)
    image_link = os.environ.get("CANARY_IMAGE_LINK") or None
    result = model_check.run(
        api_url, secret["username"], secret["password"], golden, image_link, deadline
    )
    model_check.publish(result, boto3.client("cloudwatch"))
    if not result.ok:
        raise RuntimeError("; ".join(result.problems))  # the canary run fails visibly
    return "ok"
