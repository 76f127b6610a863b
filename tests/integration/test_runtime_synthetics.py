"""CloudWatch Synthetics on the runtime, through boto3 as the AWS provider calls it.

The canary is the repository's own (``terraform/modules/monitoring/canary``, zipped by
``terraform/bundles.py``), pointed at a local HTTP server standing in for the API: answering
401 with a JSON body the canary passes, answering 500 it fails, and the runs, their failure
reason and the ``CloudWatchSynthetics`` metrics say so.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ],
}


class FakeApi(BaseHTTPRequestHandler):
    status = 401

    def do_POST(self) -> None:
        body = json.dumps({"error": "unauthorized"}).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def api_url() -> Iterator[tuple[str, type[FakeApi]]]:
    handler = type("Api", (FakeApi,), {"status": 401})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


@pytest.fixture()
def canary_zip() -> bytes:
    """canary.zip exactly as Terraform uploads it (terraform/bundles.py: the handler, the
    shared model check and the golden records)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tf_bundles", ROOT / "terraform" / "bundles.py")
    assert spec is not None and spec.loader is not None
    bundles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bundles)
    data: bytes = bundles.canary_bundle().data
    return data


def _wait_runs(syn: Any, name: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = syn.get_canary_runs(Name=name)["CanaryRuns"]
        done = [r for r in runs if r["Status"]["State"] in ("PASSED", "FAILED")]
        if len(done) >= count:
            return done
        time.sleep(0.2)
    raise AssertionError(f"{name}: fewer than {count} finished runs in {timeout} s: {runs}")


def _create(runtime: Runtime, name: str, zip_bytes: bytes, api: str) -> Any:
    iam, syn = runtime.client("iam"), runtime.client("synthetics")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    syn.create_canary(
        Name=name,
        Code={"Handler": "api_canary.handler", "ZipFile": zip_bytes},
        ArtifactS3Location="s3://synthetics-artifacts/canary/",
        ExecutionRoleArn=role["Role"]["Arn"],
        RuntimeVersion="syn-python-selenium-4.1",
        Schedule={"Expression": "rate(1 minute)"},
        RunConfig={"TimeoutInSeconds": 30, "EnvironmentVariables": {"API_URL": api}},
    )
    return syn


def _success_percent(runtime: Runtime, name: str) -> list[float]:
    now = datetime.now(UTC)
    got = runtime.client("cloudwatch").get_metric_statistics(
        Namespace="CloudWatchSynthetics",
        MetricName="SuccessPercent",
        Dimensions=[{"Name": "CanaryName", "Value": name}],
        Statistics=["Average"],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=60,
    )
    return [p["Average"] for p in got["Datapoints"]]


def _published_success_percent(runtime: Runtime, name: str, timeout: float = 30) -> list[float]:
    """The canary's SuccessPercent once published: the runtime records a run finished, then
    publishes its metrics, so under load the first read may come between the two. Waits for
    the evidence with a deadline; the read's window (10 minutes back) covers the run's start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        points = _success_percent(runtime, name)
        if points:
            return points
        time.sleep(0.25)
    raise AssertionError(f"{name}: no CloudWatchSynthetics SuccessPercent within {timeout} s")


def test_a_started_canary_runs_passes_and_publishes_its_metrics(
    runtime: Runtime, api_url: tuple[str, type[FakeApi]], canary_zip: bytes
) -> None:
    url, _ = api_url
    syn = _create(runtime, "canary-ok", canary_zip, url)
    assert syn.get_canary(Name="canary-ok")["Canary"]["Status"]["State"] == "READY"
    syn.start_canary(Name="canary-ok")
    assert syn.get_canary(Name="canary-ok")["Canary"]["Status"]["State"] == "RUNNING"
    run = _wait_runs(syn, "canary-ok", 1)[0]
    assert run["Status"]["State"] == "PASSED", run
    assert run["Timeline"]["Completed"] >= run["Timeline"]["Started"]
    # one datapoint per minute the runs started in: every run passed
    points = _published_success_percent(runtime, "canary-ok")
    assert set(points) == {100.0}, points
    syn.stop_canary(Name="canary-ok")
    assert syn.get_canary(Name="canary-ok")["Canary"]["Status"]["State"] == "STOPPED"
    syn.delete_canary(Name="canary-ok")
    with pytest.raises(ClientError) as info:
        syn.get_canary(Name="canary-ok")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_failing_canary_is_recorded_failed_with_its_reason(
    runtime: Runtime, api_url: tuple[str, type[FakeApi]], canary_zip: bytes
) -> None:
    url, handler = api_url
    handler.status = 500  # the API is broken: the canary must say so
    syn = _create(runtime, "canary-ko", canary_zip, url)
    syn.start_canary(Name="canary-ko")
    run = _wait_runs(syn, "canary-ko", 1)[0]
    assert run["Status"]["State"] == "FAILED"
    assert run["Status"]["StateReason"] == (
        "RuntimeError: POST /auth without credentials answered 500, expected 4xx"
    )
    points = _published_success_percent(runtime, "canary-ko")
    assert set(points) == {0.0}, points
    syn.stop_canary(Name="canary-ko")
    syn.delete_canary(Name="canary-ko")


def test_bad_input_gets_aws_errors_and_the_runtime_serves_on(runtime: Runtime) -> None:
    syn = runtime.client("synthetics")
    with pytest.raises(ClientError) as info:
        syn.start_canary(Name="never-created")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as info:
        syn.create_canary(
            Name="Bad Name",
            Code={"Handler": "a.handler", "ZipFile": b"x"},
            ArtifactS3Location="s3://b/",
            ExecutionRoleArn="arn:aws:iam::000000000000:role/r",
            RuntimeVersion="syn-python-selenium-4.1",
            Schedule={"Expression": "rate(1 minute)"},
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "Bad Name" not in [c["Name"] for c in syn.describe_canaries()["Canaries"]]


def test_code_from_s3_runs_and_a_missing_object_is_refused(
    runtime: Runtime, api_url: tuple[str, type[FakeApi]], canary_zip: bytes
) -> None:
    url, _ = api_url
    s3, iam, syn = runtime.client("s3"), runtime.client("iam"), runtime.client("synthetics")
    s3.create_bucket(Bucket="synthetics-code")
    s3.put_object(Bucket="synthetics-code", Key="canary.zip", Body=canary_zip)
    role = iam.create_role(RoleName="canary-s3-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    common: dict[str, Any] = {
        "ArtifactS3Location": "s3://synthetics-code/artifacts/",
        "ExecutionRoleArn": role["Role"]["Arn"],
        "RuntimeVersion": "syn-python-selenium-4.1",
        "Schedule": {"Expression": "rate(0 minute)"},  # run once
        "RunConfig": {"TimeoutInSeconds": 30, "EnvironmentVariables": {"API_URL": url}},
    }
    with pytest.raises(ClientError) as info:
        syn.create_canary(Name="canary-nos3", **common, Code={"Handler": "api_canary.handler",
                          "S3Bucket": "synthetics-code", "S3Key": "missing.zip"})  # fmt: skip
    assert info.value.response["Error"]["Code"] == "ValidationException"
    syn.create_canary(Name="canary-s3", **common, Code={"Handler": "api_canary.handler",
                      "S3Bucket": "synthetics-code", "S3Key": "canary.zip"})  # fmt: skip
    syn.start_canary(Name="canary-s3")
    assert _wait_runs(syn, "canary-s3", 1)[0]["Status"]["State"] == "PASSED"
    logs = s3.list_objects_v2(Bucket="synthetics-code", Prefix="artifacts/canary/")
    assert [o["Key"] for o in logs.get("Contents", []) if o["Key"].endswith("/log.txt")]
    deadline = time.monotonic() + 5  # a run-once canary stops after its run, as on AWS
    while syn.get_canary(Name="canary-s3")["Canary"]["Status"]["State"] != "STOPPED":
        assert time.monotonic() < deadline, "the run-once canary did not stop"
        time.sleep(0.1)
    syn.delete_canary(Name="canary-s3")
