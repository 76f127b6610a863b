"""Every route through API Gateway on a deployed, seeded local runtime, with a token.

The happy path of each pipeline, then the bad-input matrix: each bad request gets a clear 4xx
JSON error (a message, no stack trace) and leaves the jobs table as it was.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jwt
import pytest
from click.testing import CliRunner

from atelier.config import REPO_ROOT, Settings, get_settings
from atelier.deploy import apply
from atelier.deploy.cli import deploy
from atelier.deploy.context import Deployment
from atelier.deploy.teardown import DESTROY
from atelier.seed.cli import seed
from atelier_devtools.e2e.api import Api
from atelier_devtools.sandbox import stage_sources

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ENV = "apitest"


@pytest.fixture(scope="module")
def env(runtime: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = stage_sources(REPO_ROOT, tmp_path_factory.mktemp("repo"), ENV)
    url = urlparse(runtime.endpoint_url)
    return {
        "ATELIER_HOST": url.hostname or "127.0.0.1",
        "ATELIER_PORT": str(url.port),
        "ATELIER_HOME": str(root / ".atelier"),
        "ATELIER_REPO_ROOT": str(root),
        "ATELIER_ENV": ENV,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _invoke(command: Any, env: dict[str, str], *args: str) -> None:
    # The settings object is cached per process; other tests may have built it with another
    # ATELIER_HOME, so it is rebuilt from this module's environment around each command.
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(command, list(args), env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output + repr(result.exception)


@pytest.fixture(scope="module")
def stack(env: dict[str, str], runtime: Any) -> Iterator[dict[str, Any]]:
    """Deployed and seeded once for the module; destroyed at its end, also after a failure."""
    topology = str(Path(env["ATELIER_REPO_ROOT"]) / "topology.yaml")
    _invoke(deploy, env, "--topology", topology, "--service-wait", "60")
    home = Path(env["ATELIER_HOME"])
    try:
        _invoke(seed, env, "--home", str(home), "--endpoint-url", runtime.endpoint_url)
        outputs = json.loads((home / "outputs.json").read_text())
        yield {
            "outputs": outputs,
            "seed": json.loads((home / "seed.json").read_text()),
            "credentials": json.loads((home / "credentials.json").read_text()),
            "jobs_table": f"atelier-{ENV}-jobs",
            "client": runtime.client,
        }
    finally:
        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            apply.run(Deployment.from_settings(Settings(), Path(topology)), DESTROY)


@pytest.fixture(scope="module")
def api(stack: dict[str, Any]) -> Api:
    client = Api(stack["outputs"]["api_url"])
    creds = stack["credentials"]
    client.login(creds["username"], creds["password"])
    return client


def _jobs(stack: dict[str, Any]) -> int:
    table = stack["client"]("dynamodb")
    return int(table.scan(TableName=stack["jobs_table"], Select="COUNT")["Count"])


def _raw(
    api: Api, path: str, data: bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    req = urllib.request.Request(api.base_url + path, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", f"Bearer {api.token}")
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _assert_clear_error(status: int, body: Any, expected: int | tuple[int, ...]) -> None:
    allowed = (expected,) if isinstance(expected, int) else expected
    assert status in allowed, (status, body)
    assert isinstance(body, dict) and body.get("message"), body
    assert "Traceback" not in json.dumps(body)


# -- the three pipelines through the API --------------------------------------------------------


def test_structured_data_predicts_a_seeded_record(api: Api) -> None:
    answer = api.expect(200, "POST", "/structured_data", {"id": "1789"})
    assert answer["prediction"] in (0, 1)
    assert answer["model_version"]


def test_image_job_succeeds_with_its_outputs(api: Api, stack: dict[str, Any]) -> None:
    accepted = api.expect(
        202, "POST", "/non_structured_data_images", {"link": stack["seed"]["image_link"]}
    )
    job = api.wait_job(accepted["job_id"], timeout=300)
    assert job["status"] == "SUCCEEDED", job
    s3 = stack["client"]("s3")
    for name in ("result", "overlay"):
        bucket, _, key = job["outputs"][name].removeprefix("s3://").partition("/")
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_active_learning_job_runs_on_cpu_fallback(api: Api, stack: dict[str, Any]) -> None:
    accepted = api.expect(
        202, "POST", "/non_structured_al_data_images", {"ids": stack["seed"]["dataset_ids"]}
    )
    job = api.wait_job(accepted["job_id"], timeout=600)
    assert (job["status"], job.get("device")) == ("SUCCEEDED", "cpu"), job
    assert {"ranked_ids", "curves", "plot"} <= set(job["outputs"])


def test_repeated_id_keys_are_the_documented_active_learning_form(api: Api) -> None:
    status, body = _raw(api, "/non_structured_al_data_images", b'{"id": "1914", "id": "1918"}')
    assert status == 202, body
    job = api.expect(200, "GET", f"/jobs/{body['job_id']}")
    assert job["request"]["ids"] == ["1914", "1918"] or job["request"].get("dataset_ids") == [
        "1914",
        "1918",
    ]


def test_the_same_idempotency_key_returns_the_same_job(api: Api, stack: dict[str, Any]) -> None:
    body = json.dumps({"link": stack["seed"]["image_link"]}).encode()
    first = _raw(api, "/non_structured_data_images", body, {"Idempotency-Key": "key-4f1c"})
    before = _jobs(stack)
    second = _raw(api, "/non_structured_data_images", body, {"Idempotency-Key": "key-4f1c"})
    assert first[0] == second[0] == 202
    assert first[1]["job_id"] == second[1]["job_id"]
    assert _jobs(stack) == before


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
    before = _jobs(stack)
    status, body = _raw(api, path, data)
    _assert_clear_error(status, body, expected)
    assert _jobs(stack) == before, "a rejected request stored a job"


def test_unknown_record_is_404(api: Api) -> None:
    status, body = api.call("POST", "/structured_data", {"id": "999999"})
    _assert_clear_error(status, body, 404)


def test_unknown_and_malformed_job_ids(api: Api) -> None:
    status, body = api.call("GET", "/jobs/9b2f4c1e-0000-4000-8000-000000000000")
    _assert_clear_error(status, body, 404)
    status, body = api.call("GET", "/jobs/not-a-uuid")
    _assert_clear_error(status, body, 400)


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
    _assert_clear_error(status, body, 401)
    status, body = anonymous.call("POST", "/auth", {"username": "nobody", "password": "wrong"})
    _assert_clear_error(status, body, 401)


def _signing_key(stack: dict[str, Any]) -> str:
    arn = stack["outputs"]["secrets"]["jwt"]
    secret = stack["client"]("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    try:
        return str(json.loads(secret)["key"])
    except (ValueError, KeyError, TypeError):
        return str(secret)


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
        token = jwt.encode(claims, _signing_key(stack), algorithm="HS256")
    before = _jobs(stack)
    status, body = Api(api.base_url, token=token).call(
        "POST", "/non_structured_al_data_images", {"ids": ["1914"]}
    )
    assert status in (401, 403), (status, body)
    assert "message" in body or "Message" in body, body
    assert _jobs(stack) == before
