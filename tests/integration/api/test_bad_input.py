"""The bad-input matrix: each bad request gets a clear 4xx JSON error (a message, no stack
trace) and leaves the jobs table as it was; bad images fail their job with a message; missing,
forged and expired tokens are refused."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import jwt
import pytest

from atelier_devtools.deployed_api import assert_clear_error, jobs, raw_post, signing_key
from atelier_devtools.e2e.api import Api

pytestmark = [pytest.mark.integration, pytest.mark.slow]


# -- bad input -----------------------------------------------------------------------------------

BAD_BODIES = [
    ("/structured_data", b'{"id": "17', 400),
    ("/structured_data", b"[]", (400, 422)),
    ("/structured_data", b"{}", 422),
    ("/structured_data", b'{"id": 1789}', 422),
    ("/structured_data", b'{"id": "1789", "extra": true}', 422),
    ("/structured_data", b"{\"id\": \"1789' OR '1'='1\"}", 422),
    ("/structured_data", b'{"id": "1; DROP TABLE features"}', 422),
    ("/structured_data", json.dumps({"id": "1" * 70_000}).encode(), 413),
    ("/non_structured_data_images", b'{"link": "file:///etc/passwd"}', 400),
    ("/non_structured_data_images", b'{"link": "http://127.0.0.1:4566/x.png"}', 400),
    ("/non_structured_data_images", b'{"link": "http://localhost/x.png"}', 400),
    ("/non_structured_data_images", b'{"link": "http://169.254.169.254/latest/meta-data/"}', 400),
    ("/non_structured_data_images", b'{"link": "http://10.0.0.1/x.png"}', 400),
    ("/non_structured_data_images", b'{"link": 42}', 422),
    ("/non_structured_data_images", b'{"url": "s3://a/b.png"}', 422),
    ("/non_structured_al_data_images", b'{"ids": []}', 422),
    ("/non_structured_al_data_images", b'{"ids": ["1914", "../etc"]}', 422),
    ("/non_structured_al_data_images", b'{"ids": "1914"}', 422),
]


@pytest.mark.parametrize(
    ("path", "data", "expected"), BAD_BODIES, ids=[f"{p}:{d[:30]!r}" for p, d, _ in BAD_BODIES]
)
def test_bad_input_is_a_clear_4xx_and_stores_nothing(
    api: Api, stack: dict[str, Any], path: str, data: bytes, expected: int | tuple[int, ...]
) -> None:
    before = jobs(stack)
    status, body = raw_post(api, path, data)
    assert_clear_error(status, body, expected)
    assert jobs(stack) == before, "a rejected request stored a job"


def test_unknown_record_is_404(api: Api) -> None:
    status, body = api.call("POST", "/structured_data", {"id": "999999"})
    assert_clear_error(status, body, 404)


def test_unknown_and_malformed_job_ids(api: Api) -> None:
    status, body = api.call("GET", "/jobs/9b2f4c1e-0000-4000-8000-000000000000")
    assert_clear_error(status, body, 404)
    status, body = api.call("GET", "/jobs/not-a-uuid")
    assert_clear_error(status, body, 400)


@pytest.mark.parametrize("link_key", ["not_an_image", "decompression_bomb"])
def test_a_bad_image_fails_its_job_with_a_message(
    api: Api, stack: dict[str, Any], link_key: str
) -> None:
    accepted = api.expect(
        202, "POST", "/non_structured_data_images", {"link": stack["seed"]["bad_links"][link_key]}
    )
    job = api.wait_job(accepted["job_id"], timeout=300)
    assert job["status"] == "FAILED"
    assert job["error"] and "Traceback" not in job["error"]


def test_bad_credentials_are_401(stack: dict[str, Any]) -> None:
    anonymous = Api(stack["outputs"]["api_url"])
    status, body = anonymous.call(
        "POST", "/auth", {"username": stack["credentials"]["username"], "password": "wrong"}
    )
    assert_clear_error(status, body, 401)
    status, body = anonymous.call("POST", "/auth", {"username": "nobody", "password": "wrong"})
    assert_clear_error(status, body, 401)


@pytest.mark.parametrize("case", ["missing", "garbage", "forged", "expired"])
def test_missing_forged_and_expired_tokens_are_refused(
    api: Api, stack: dict[str, Any], case: str
) -> None:
    claims = jwt.decode(api.token, options={"verify_signature": False})
    if case == "missing":
        token = ""
    elif case == "garbage":
        token = "a.b.c"
    elif case == "forged":
        token = jwt.encode(
            claims, "not-the-key-but-long-enough-for-hs256-0123456789", algorithm="HS256"
        )
    else:
        claims.update(exp=int(time.time()) - 60, iat=int(time.time()) - 1000)
        token = jwt.encode(claims, signing_key(stack), algorithm="HS256")
    before = jobs(stack)
    status, body = Api(api.base_url, token=token).call(
        "POST", "/non_structured_al_data_images", {"ids": ["1914"]}
    )
    assert status in (401, 403), (status, body)
    assert "message" in body or "Message" in body, body
    assert jobs(stack) == before


@pytest.mark.parametrize("raw_id", ["%0A", "a%0Ab", "%0D%0A", "%00", "%09"])
def test_a_job_id_holding_a_control_character_reaches_the_lambda_and_is_a_400(
    api: Api, stack: dict[str, Any], raw_id: str
) -> None:
    """API Gateway passes the decoded path parameter to the Lambda, as AWS does; the route
    answers it as a malformed id (400 JSON), never a 5xx from the runtime."""
    req = urllib.request.Request(api.base_url + "/jobs/" + raw_id)
    req.add_header("Authorization", f"Bearer {api.token}")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    body = json.loads(err.value.read())
    assert (err.value.code, body.get("error")) == (400, "bad_request"), body
    assert "Traceback" not in json.dumps(body)
