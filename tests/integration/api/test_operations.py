"""Every route through API Gateway on a deployed, seeded local runtime, with a token.

The happy path of each pipeline, then the bad-input matrix: each bad request gets a clear 4xx
JSON error (a message, no stack trace) and leaves the jobs table as it was.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import jwt
import pytest
from botocore.config import Config
from click.testing import CliRunner

from atelier.config import Settings
from atelier.deploy import apply
from atelier.deploy.cli import deploy
from atelier.deploy.context import Deployment
from atelier.deploy.teardown import DESTROY
from atelier.seed.cli import seed
from atelier_devtools.e2e.api import Api
from atelier_devtools.paths import REPO_ROOT
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
    # each invocation makes its own settings object from this module's environment
    result = CliRunner().invoke(command, list(args), env=env)
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


def test_the_deployed_digits_model_answers_the_golden_cases(stack: dict[str, Any]) -> None:
    """The digits CNN the runtime serves (prod in its model registry) against the golden cases,
    borderline and hard ones included, each with its seed-variance tolerance."""
    from atelier.evaluation.adapters import KINDS
    from atelier.validation.golden_checks import digits_problems
    from ml_common import model_store

    bucket = stack["outputs"]["buckets"]["models"]
    loaded = model_store.load_model(bucket, "digits_cnn", s3=stack["client"]("s3"))
    model = KINDS["digits_cnn"].load(loaded)
    golden = json.loads((REPO_ROOT / "validation_data/golden/digits_cnn.json").read_text())
    assert {"borderline", "hard"} <= {case["kind"] for case in golden["cases"]}
    x, y = KINDS["digits_cnn"].validation_set()
    assert digits_problems(model.predict_proba, golden, x, y) == []


def test_the_service_serves_a_promoted_model_without_a_restart(
    api: Api, stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new prod version reaches the running service within its poll (MODEL_POLL_SECONDS)."""
    from ml_common import model_store
    from structured_data.train import train

    before = api.expect(200, "POST", "/structured_data", {"id": "1789"})["model_version"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack["outputs"]["endpoint_url"])
    result = train(params={"C": 0.5})
    promoted = model_store.save_model(
        stack["outputs"]["buckets"]["models"],
        "structured_data",
        result.model_bytes,
        result.metrics,
        result.data_hash,
        "test",
        result.params,
        ext="json",
        stage="prod",
    )
    try:
        assert promoted != before
        deadline = time.monotonic() + 40
        served = before
        while served != promoted and time.monotonic() < deadline:
            time.sleep(1)
            served = api.expect(200, "POST", "/structured_data", {"id": "1789"})["model_version"]
        assert served == promoted, "the running service did not pick up the new prod version"
    finally:  # the other tests (the canary's golden answers) expect the seeded model in prod
        model_store.set_stage(stack["outputs"]["buckets"]["models"], "structured_data", before,
                              "prod")  # fmt: skip
        deadline = time.monotonic() + 40
        while (
            time.monotonic() < deadline
            and before
            != api.expect(200, "POST", "/structured_data", {"id": "1789"})["model_version"]
        ):
            time.sleep(1)


def test_results_come_as_presigned_links_and_the_list_has_the_job(
    api: Api, stack: dict[str, Any]
) -> None:
    accepted = api.expect(
        202, "POST", "/non_structured_data_images", {"link": stack["seed"]["image_link"]}
    )
    job = api.wait_job(accepted["job_id"], timeout=300)
    assert job["status"] == "SUCCEEDED", job
    with urllib.request.urlopen(job["outputs"]["overlay_url"], timeout=30) as resp:
        assert resp.status == 200 and resp.read(8) == b"\x89PNG\r\n\x1a\n"
    listed = api.expect(200, "GET", "/jobs?limit=5")
    assert listed["jobs"][0]["job_id"] == accepted["job_id"], "newest first"
    assert listed["jobs"][0]["outputs"]["overlay_url"].startswith("http")


def test_an_upload_through_the_presigned_form_starts_an_image_job(
    api: Api, stack: dict[str, Any]
) -> None:
    import requests

    target = api.expect(200, "POST", "/uploads", {"filename": "d.png", "content_type": "image/png"})
    s3 = stack["client"]("s3")
    bucket, _, key = stack["seed"]["image_link"].removeprefix("s3://").partition("/")
    png = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    sent = requests.post(
        target["url"],
        data=target["fields"],
        files={"file": ("d.png", png, "image/png")},
        timeout=30,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    too_big = requests.post(
        target["url"],
        data=target["fields"],
        files={"file": ("d.png", b"x" * (target["max_bytes"] + 1), "image/png")},
        timeout=60,
    )
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    api.expect(202, "POST", "/non_structured_data_images", {"link": target["link"]})


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


# -- cost: a replayed half hour of the workload profile, priced by the meter ------------------------


def test_a_replayed_half_hour_of_prod_is_metered_as_estimated(
    stack: dict[str, Any], env: dict[str, str], runtime: Any
) -> None:
    from atelier.cost import prices as cost_prices
    from atelier.cost import replay
    from atelier.topology import load as load_topology

    result = replay.run(load_topology(), cost_prices.load(), "prod", 0.5, "mon 09:00",
                        runtime.endpoint_url, Path(env["ATELIER_HOME"]), deployed_env=ENV)  # fmt: skip
    assert (
        result.counts["structured_data"] == 30 and result.counts["non_structured_data_images"] == 1
    )
    services = {name for name, *_ in result.rows}
    assert {"Fargate", "Lambda", "API Gateway", "DynamoDB", "S3", "CloudWatch Logs"} <= services
    assert result.agrees, replay.render(result, "markdown")
    # the deployment's own every-minute canary would add its traffic: paused, then restored
    assert any(f"atelier-{ENV}-canary" in note for note in result.notes), result.notes
    rule = runtime.client("events").describe_rule(Name=f"atelier-{ENV}-canary-every-minute")
    assert rule["State"] == "ENABLED"


# -- the OpenAPI contract, fuzzed (schemathesis) --------------------------------------------------

CONTRACT = REPO_ROOT / "lambdas" / "openapi.json"
SCHEMATHESIS_CASES = int(__import__("os").environ.get("ATELIER_SCHEMATHESIS_CASES", "1000"))


def _schemathesis(api: Api, tmp: Path, name: str, *args: str) -> dict[str, Any]:
    """``st run`` against the deployed API with a token; returns its JSON report."""
    import shutil
    import subprocess
    import sys

    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    report = tmp / f"{name}.json"
    cmd = [
        st, "run", str(CONTRACT), "--url", api.base_url,
        "-H", f"Authorization: Bearer {api.token}",
        "--checks", "all", "--rate-limit", "40/s", "--request-timeout", "30",
        # API Gateway's own integration limit (29 s), not schemathesis' 10 s default: on a
        # loaded 2-core runner a first request may wait on a cold service
        "--max-response-time", "29",
        # an undeclared method (TRACE /auth) gets API Gateway's 403 MissingAuthenticationToken,
        # as on AWS, not the 405 this check wants
        "--exclude-checks", "unsupported_method",
        "--seed", "13", "--no-color", "--report", "json", "--report-json-path", str(report),
        *args,
    ]  # fmt: skip
    # generous: at a load average of 60 on 2 cores one run took over 600 s
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, check=False)
    assert report.exists(), done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 0, done.stdout[-6000:]
    data: dict[str, Any] = json.loads(report.read_text())
    return data


@pytest.mark.timeout(1800)  # three schemathesis runs; the suite's 600 s is for one step
def test_the_api_conforms_to_its_openapi_contract_under_fuzzing(
    api: Api, stack: dict[str, Any], tmp_path: Path
) -> None:
    """Examples, coverage and fuzzing phases, authenticated: no 5xx, every answer conforming.
    Job submissions are fuzzed with invalid inputs only (a valid one starts a real task each)."""
    # ~6 generated cases per -n across the three phases: 1,000 cases need ~n/5 per operation
    per_operation = max(SCHEMATHESIS_CASES // 5, 50)
    reads = _schemathesis(
        api, tmp_path, "reads",
        "--phases", "examples,coverage,fuzzing", "-n", str(per_operation),
        "--exclude-path-regex", "^/non_structured|^/jobs$",
    )  # fmt: skip
    listing = _schemathesis(
        api, tmp_path, "listing",
        "--phases", "examples,coverage,fuzzing", "-n", str(per_operation),
        "--include-path-regex", "^/jobs$",
        # `next` is an opaque cursor: a schema-valid string the API never issued is refused
        # with 400 (bad_request), by design
        "--exclude-checks", "unsupported_method,positive_data_acceptance",
    )  # fmt: skip
    jobs = _schemathesis(
        api, tmp_path, "jobs",
        "--phases", "coverage,fuzzing", "-n", "60", "--mode", "negative",
        "--include-path-regex", "^/non_structured",
        # the coverage phase also sends a few valid bodies under one Idempotency-Key: the API
        # refuses a key reused with another body (422 idempotency_key_reused), by design
        "--exclude-checks", "unsupported_method,positive_data_acceptance",
    )  # fmt: skip
    cases = sum(_case_count(r) for r in (reads, listing, jobs))
    assert cases >= SCHEMATHESIS_CASES, f"only {cases} generated cases ran"


def test_the_api_holds_under_stateful_sequences_following_the_contracts_links(
    api: Api, stack: dict[str, Any], tmp_path: Path
) -> None:
    """Schemathesis' stateful phase, bounded to 60 s: chains of calls that follow the
    contract's links (a login's token into GET /jobs, a started job's id into GET
    /jobs/{job_id}); no 5xx, every answer conforming. Each accepted job names an object that
    does not exist, so its task fails at once; at most a few dozen are started."""
    report = _schemathesis(
        api, tmp_path, "stateful",
        "--phases", "stateful", "-n", "15", "--max-time", "60",
        "--include-path-regex", "^/auth$|^/jobs|^/non_structured_data_images$",
        # a login with generated credentials is a 401 by design; a valid body under a reused
        # Idempotency-Key is a 422 by design (see the fuzzing test)
        "--exclude-checks", "unsupported_method,positive_data_acceptance,ignored_auth",
    )  # fmt: skip
    assert _case_count(report) > 0
    stateful = report["phases"]["stateful"]
    assert stateful["status"] in ("success", "completed"), stateful


def _case_count(report: dict[str, Any]) -> int:
    cases = report["test_cases"]
    assert cases["with_failures"] == 0 and not report["failures"], report["failures"]
    assert not report["errors"], report["errors"]
    return int(cases["generated"])


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


def test_a_killed_postgres_comes_back_and_the_service_reconnects_without_a_restart(
    api: Api, stack: dict[str, Any], runtime: Any
) -> None:
    import os
    import signal

    db_id = stack["outputs"]["db_identifier"]
    rds = stack["client"]("rds")

    def status() -> str:
        return str(
            rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0][
                "DBInstanceStatus"
            ]
        )

    def wait(wanted: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (seen := status()) != wanted:
            assert time.monotonic() < deadline, f"{db_id} is {seen}, expected {wanted}"
            time.sleep(0.1)

    service_pids = {
        t["pid"] for t in runtime.status()["tasks"] if t["group"].startswith("service:")
    }
    (row,) = [r for r in runtime.status()["rds"] if r["id"] == db_id]
    os.kill(int(row["pid"]), signal.SIGKILL)
    wait("failed", 15)
    down_status, down_body = api.call("POST", "/structured_data", {"id": "1789"})
    assert down_status in (200, 404, 502, 503, 504), (down_status, down_body)  # a clear answer
    wait("available", 60)
    answer = api.expect(200, "POST", "/structured_data", {"id": "1789"})
    assert answer["prediction"] in (0, 1)
    now = {t["pid"] for t in runtime.status()["tasks"] if t["group"].startswith("service:")}
    assert service_pids <= now, "the service was restarted to reconnect"


# -- the Operations view's route ----------------------------------------------------------------


def test_operations_shows_the_environments_alarms_and_the_last_drift_check(
    api: Api, stack: dict[str, Any]
) -> None:
    """GET /operations through API Gateway: the alarms the deploy created (this environment's
    only), then a drift check's summary and report appear with a working presigned link."""
    first = api.expect(200, "GET", "/operations?minutes=15")
    assert first["environment"] == ENV and first["minutes"] == 15
    names = {a["name"] for a in first["alarms"]}
    assert f"atelier-{ENV}-drift_share" in names and f"atelier-{ENV}-canary_failed" in names
    assert all(n.startswith(f"atelier-{ENV}-") for n in names)
    assert {a["state"] for a in first["alarms"]} <= {"OK", "ALARM", "INSUFFICIENT_DATA"}
    assert isinstance(first["canary"], list)

    bucket = stack["outputs"]["buckets"]["artifacts"]
    s3 = stack["client"]("s3")
    report_key = "drift/2026-12-01T060000Z/index.html"
    s3.put_object(Bucket=bucket, Key=report_key, Body=b"<html>drift report</html>")
    summary = {"checked_at": "2026-12-01T06:00:00+00:00", "share": 0.75,
               "drifted": ["radius_mean"], "current_rows": 64, "report_key": report_key}  # fmt: skip
    s3.put_object(Bucket=bucket, Key="drift/latest.json", Body=json.dumps(summary).encode())
    try:
        drift = api.expect(200, "GET", "/operations")["drift"]
        assert drift["share"] == 0.75 and drift["drifted"] == ["radius_mean"]
        with urllib.request.urlopen(drift["report_url"], timeout=30) as resp:
            assert resp.status == 200 and b"drift report" in resp.read()
    finally:
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": "drift/latest.json"}, {"Key": report_key}]}
        )

    req = urllib.request.Request(api.base_url + "/operations?minutes=0")
    req.add_header("Authorization", f"Bearer {api.token}")
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("minutes=0 was accepted")
    except urllib.error.HTTPError as err:
        _assert_clear_error(err.code, json.loads(err.read() or b"{}"), 400)


# -- operations: per-route metrics and the canary's image check -------------------------------


def _stat(cw: Any, metric: str, dims: dict[str, str], stat: str) -> float:
    """One statistic over the last 15 minutes (the window covers every call of this module)."""
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(
        Namespace="Atelier/Api",
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - timedelta(minutes=15),
        EndTime=now + timedelta(minutes=2),
        Period=60,
        Statistics=[stat],
    )
    return float(sum(p[stat] for p in got["Datapoints"]))


def test_each_route_publishes_latency_and_status_class_that_the_alarms_read(
    api: Api, stack: dict[str, Any]
) -> None:
    """The lambdas' EMF lines (lambda_shared.metrics), through the runtime's Lambda logs and
    EMF extraction, are Atelier/Api datapoints per route, status class and pipeline; the p99
    alarm of the route watches exactly those dimensions."""
    cw = stack["client"]("cloudwatch")
    route = {"Environment": ENV, "Route": "/structured_data"}
    refused = {**route, "StatusClass": "4xx"}
    pipeline = {"Environment": ENV, "Pipeline": "structured_data"}
    before = {
        "route": _stat(cw, "Requests", route, "Sum"),
        "refused": _stat(cw, "Requests", refused, "Sum"),
        "pipeline": _stat(cw, "Latency", pipeline, "SampleCount"),
    }
    for _ in range(3):
        api.expect(200, "POST", "/structured_data", {"id": "1789"})
    api.expect(404, "POST", "/structured_data", {"id": "999999"})
    deadline = time.monotonic() + 60  # Lambda log -> EMF -> datapoint, with a loaded machine
    while True:
        now = {
            "route": _stat(cw, "Requests", route, "Sum"),
            "refused": _stat(cw, "Requests", refused, "Sum"),
            "pipeline": _stat(cw, "Latency", pipeline, "SampleCount"),
        }
        if all(now[k] - before[k] >= n for k, n in (("route", 4), ("refused", 1), ("pipeline", 4))):
            break
        assert time.monotonic() < deadline, f"Atelier/Api datapoints missing: {before} -> {now}"
        time.sleep(1.0)
    end = datetime.now(UTC) + timedelta(minutes=2)
    got = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "p99",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "Atelier/Api",
                        "MetricName": "Latency",
                        "Dimensions": [{"Name": k, "Value": v} for k, v in route.items()],
                    },
                    "Period": 60,
                    "Stat": "p99",
                },
            }
        ],
        StartTime=end - timedelta(minutes=17),
        EndTime=end,
    )["MetricDataResults"][0]
    assert got["Values"] and all(v > 0 for v in got["Values"]), got
    alarm = cw.describe_alarms(AlarmNames=[f"atelier-{ENV}-api_p99_latency_structured_data"])
    (watch,) = alarm["MetricAlarms"]
    assert (watch["Namespace"], watch["MetricName"], watch["ExtendedStatistic"]) == (
        "Atelier/Api", "Latency", "p99",
    )  # fmt: skip
    assert {d["Name"]: d["Value"] for d in watch["Dimensions"]} == route


def test_the_canary_checks_the_image_model_within_its_timeout(stack: dict[str, Any]) -> None:
    """The deployed canary Lambda with the image check on (as prod's sizes.canary_image_check):
    it submits the golden image the deploy uploaded and follows the job to SUCCEEDED; with a
    short timeout it stops following in time and still returns (no function timeout)."""
    s3, base = stack["client"]("s3"), stack["client"]("lambda")
    lam = boto3.client(  # one invocation may outlast the harness client's 60 s read timeout
        "lambda", endpoint_url=base.meta.endpoint_url, region_name=base.meta.region_name,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(read_timeout=300, retries={"max_attempts": 0}),
    )  # fmt: skip
    name, inputs = f"atelier-{ENV}-canary", stack["outputs"]["buckets"]["inputs"]
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    assert env["CANARY_IMAGE_LINK"] == ""  # off by default: this environment's sizes say so
    assert s3.head_object(Bucket=inputs, Key="canary/golden-image.png")["ContentLength"] > 0
    env["CANARY_IMAGE_LINK"] = f"s3://{inputs}/canary/golden-image.png"
    env["CANARY_CALL_TIMEOUT_S"] = "60"  # a loaded CI runner: RunTask may take more than 10 s

    def run(timeout: int) -> tuple[dict[str, Any], float]:
        lam.update_function_configuration(
            FunctionName=name, Timeout=timeout, Environment={"Variables": env}
        )
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        started = time.monotonic()
        out = lam.invoke(FunctionName=name)
        assert "FunctionError" not in out, out["Payload"].read()
        return json.loads(out["Payload"].read()), time.monotonic() - started

    def settled(job_id: str) -> str:  # no task left writing results when the stack goes
        table, deadline, status = stack["client"]("dynamodb"), time.monotonic() + 420, ""
        while job_id and time.monotonic() < deadline:
            item = table.get_item(TableName=stack["jobs_table"], Key={"job_id": {"S": job_id}})
            status = item.get("Item", {}).get("status", {}).get("S", "")
            if status in ("SUCCEEDED", "FAILED"):
                break
            time.sleep(2)
        return status

    try:
        # The canary follows its image job until its time is up; on a loaded runner the task
        # may outlast it ("pending" is then no failure): the job it submitted must succeed.
        answer, _ = run(120)
        final = settled(answer["image_job"])
        assert answer["image"] in ("succeeded", "pending") and answer["image_job"], answer
        assert not answer["problems"] and final == "SUCCEEDED", (answer, final)
        # 8 s less the 5 s margin: not enough to follow the image job (nor, under load, to
        # check every golden record): the run stops in time, says so, and still returns
        answer, took = run(8)
        settled(answer["image_job"])
        assert took < 8 + 15, f"the canary ran {took:.0f} s with an 8 s timeout"
        out_of_time = any(p.startswith("out of time") for p in answer["problems"])
        assert out_of_time or answer["image"] in ("pending", "succeeded"), answer
    finally:  # the scheduled canary goes back to its deployed configuration
        env["CANARY_IMAGE_LINK"], env["CANARY_CALL_TIMEOUT_S"] = "", ""
        lam.update_function_configuration(
            FunctionName=name, Timeout=55, Environment={"Variables": env}
        )


def test_the_drift_check_runs_now_from_its_rule_and_reports_offline(
    api: Api, stack: dict[str, Any]
) -> None:
    """What the e2e run does for its report: predictions through the API land in PostgreSQL,
    then the hourly rule's own target task (the real drift check) runs now; its summary and
    self-contained HTML report come back from the artifacts bucket."""
    from atelier.deploy.drift import rule_name
    from atelier.monitor.drift_now import run_now

    golden = json.loads((REPO_ROOT / "validation_data/golden/structured_data.json").read_text())
    for case in golden["cases"][:40]:
        api.expect(200, "POST", "/structured_data", {"id": case["id"]})
    bucket = stack["outputs"]["buckets"]["artifacts"]
    done = run_now(stack["client"], rule_name(f"atelier-{ENV}-"), bucket, timeout=600)
    assert done.summary["current_rows"] >= 40 and 0.0 <= done.summary["share"] <= 1.0
    page = done.report_html.decode()
    assert "<svg" in page or "data:image" in page, "the report has no plot"
    assert not re.search(r"""(src|href)=["']?https?://""", page), "the report loads a URL"
