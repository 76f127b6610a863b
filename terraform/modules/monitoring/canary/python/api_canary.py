"""CloudWatch Synthetics canary (every minute): the API answers, and answers JSON.

POST /auth with no credentials must give a 4xx JSON error quickly: that proves API Gateway,
the auth lambda and its table lookup are up without holding any real credential.
Packaged by the deployer's bundler as dist/canary.zip (python/api_canary.py).
"""

import json
import os
import urllib.error
import urllib.request


def handler(event, context):  # Synthetics calls handler(event, context)
    url = os.environ["API_URL"].rstrip("/") + "/auth"
    request = urllib.request.Request(  # noqa: S310 - the URL is our own API, from the env
        url, data=b"{}", method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    if not 400 <= status < 500:
        raise RuntimeError(f"POST /auth without credentials answered {status}, expected 4xx")
    json.loads(body)  # every error is a JSON body (DESIGN.md section 5)
    return "ok"
