"""The Synthetics API's shapes, states and errors (atelier.emulator.synthetics), no runtime."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from atelier.emulator.asgi import signed_service
from atelier.emulator.synthetics.models import SyntheticsError, rate_seconds
from atelier.emulator.synthetics.responses import SyntheticsApp
from atelier.emulator.synthetics.runner import Runner

ACCOUNT, REGION = "111111111111", "eu-west-3"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/canary"


def code_zip(source: str = "def handler(event, context):\n    return 'ok'\n") -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("python/probe.py", source)
    return base64.b64encode(buffer.getvalue()).decode()


def body(**over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Name": "probe",
        "Code": {"Handler": "probe.handler", "ZipFile": code_zip()},
        "ArtifactS3Location": "s3://artifacts/canary/",
        "ExecutionRoleArn": ROLE,
        "Schedule": {"Expression": "rate(1 minute)"},
        "RuntimeVersion": "syn-python-selenium-4.1",
        "RunConfig": {"TimeoutInSeconds": 30, "EnvironmentVariables": {"API_URL": "http://x"}},
        "Tags": {"team": "ml"},
    }
    out.update(over)
    return out


@pytest.fixture()
def app(tmp_path: Path) -> SyntheticsApp:
    return SyntheticsApp(Runner("http://127.0.0.1:1", tmp_path), lambda key: ACCOUNT)


def call(
    app: SyntheticsApp,
    method: str,
    path: str,
    payload: dict[str, Any] | None = None,
    query: bytes = b"",
) -> tuple[int, dict[str, Any]]:
    return app.dispatch(method, path.encode(), path, query, payload or {}, ACCOUNT, REGION)


def error_of(app: SyntheticsApp, *args: Any) -> tuple[int, str]:
    with pytest.raises(SyntheticsError) as info:
        call(app, *args)
    return info.value.status, info.value.code


def test_the_signed_service_is_read_from_the_authorization_header() -> None:
    header = (
        "AWS4-HMAC-SHA256 Credential=111111111111/20261201/eu-west-3/synthetics/"
        "aws4_request, SignedHeaders=host, Signature=abc"
    )
    assert signed_service(header) == ("111111111111", "eu-west-3", "synthetics")
    assert signed_service("") is None


def test_create_answers_the_canary_ready_as_aws_renders_it(app: SyntheticsApp) -> None:
    status, out = call(app, "POST", "/canary", body())
    canary = out["Canary"]
    assert status == 200 and canary["Status"] == {"State": "READY"}
    assert canary["ArtifactS3Location"] == "artifacts/canary/"  # AWS drops the s3:// prefix
    assert canary["RunConfig"] == {
        "TimeoutInSeconds": 30,
        "MemoryInMB": 1000,
        "ActiveTracing": False,
        "EphemeralStorage": 1024,
    }
    assert "EnvironmentVariables" not in json.dumps(canary)  # never read back, as on AWS
    assert canary["Schedule"] == {"Expression": "rate(1 minute)", "DurationInSeconds": 0}
    assert canary["Code"]["Handler"] == "probe.handler" and canary["Tags"] == {"team": "ml"}
    assert canary["EngineArn"].startswith(
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:cwsyn-probe-"
    )
    assert canary["Code"]["SourceLocationArn"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:cwsyn-probe-{canary['Id']}:1"
    )
    assert set(canary["Timeline"]) == {"Created", "LastModified"}


def test_start_stop_reach_running_and_stopped_at_once(app: SyntheticsApp) -> None:
    call(app, "POST", "/canary", body())
    call(app, "POST", "/canary/probe/start")
    assert call(app, "GET", "/canary/probe")[1]["Canary"]["Status"]["State"] == "RUNNING"
    assert error_of(app, "POST", "/canary/probe/start") == (409, "ConflictException")
    assert error_of(app, "DELETE", "/canary/probe") == (409, "ConflictException")
    assert error_of(app, "PATCH", "/canary/probe", {"RuntimeVersion": "x"})[0] == 409
    call(app, "POST", "/canary/probe/stop")
    got = call(app, "GET", "/canary/probe")[1]["Canary"]
    assert got["Status"]["State"] == "STOPPED" and {"LastStarted", "LastStopped"} <= set(
        got["Timeline"]
    )
    assert error_of(app, "POST", "/canary/probe/stop") == (409, "ConflictException")


def test_update_changes_what_was_sent_and_keeps_the_rest(app: SyntheticsApp) -> None:
    call(app, "POST", "/canary", body())
    call(
        app,
        "PATCH",
        "/canary/probe",
        {"Schedule": {"Expression": "rate(5 minutes)"}, "RunConfig": {"TimeoutInSeconds": 60}},
    )
    got = call(app, "GET", "/canary/probe")[1]["Canary"]
    assert got["Schedule"]["Expression"] == "rate(5 minutes)"
    assert got["RunConfig"]["TimeoutInSeconds"] == 60 and got["RunConfig"]["MemoryInMB"] == 1000
    assert got["Status"]["State"] == "READY"


def test_unknown_names_get_aws_not_found_errors(app: SyntheticsApp) -> None:
    for method, path in (
        ("GET", "/canary/nope"),
        ("POST", "/canary/nope/start"),
        ("POST", "/canary/nope/stop"),
        ("DELETE", "/canary/nope"),
        ("POST", "/canary/nope/runs"),
        ("PATCH", "/canary/nope"),
    ):
        assert error_of(app, method, path) == (404, "ResourceNotFoundException"), path
    arn = f"arn:aws:synthetics:{REGION}:{ACCOUNT}:canary:nope"
    assert error_of(app, "GET", f"/tags/{arn}") == (404, "NotFoundException")
    assert error_of(app, "GET", "/tags/not-an-arn") == (400, "BadRequestException")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"Name": "Upper"}, "name"),
        ({"Name": "a" * 22}, "21 characters"),
        ({"Schedule": {"Expression": "every minute"}}, "schedule"),
        ({"ExecutionRoleArn": "canary"}, "role"),
        ({"Code": {"Handler": "probe.handler"}}, "no code"),
        ({"Code": {"Handler": "probe.handler", "ZipFile": "!!"}}, "base64"),
        ({"RunConfig": {"TimeoutInSeconds": 120}}, "timeout longer than the rate"),
        ({"RuntimeVersion": None}, "missing member"),
    ],
)
def test_bad_input_is_a_validation_error_and_creates_nothing(
    app: SyntheticsApp, change: dict[str, Any], why: str
) -> None:
    assert error_of(app, "POST", "/canary", body(**change)) == (400, "ValidationException"), why
    assert call(app, "POST", "/canaries")[1]["Canaries"] == []


def test_a_second_canary_of_the_same_name_conflicts(app: SyntheticsApp) -> None:
    call(app, "POST", "/canary", body())
    assert error_of(app, "POST", "/canary", body()) == (409, "ConflictException")


def test_describe_pages_and_filters_by_name(app: SyntheticsApp) -> None:
    for name in ("a1", "a2", "a3"):
        call(app, "POST", "/canary", body(Name=name))
    first = call(app, "POST", "/canaries", {"MaxResults": 2})[1]
    assert [c["Name"] for c in first["Canaries"]] == ["a1", "a2"]
    rest = call(app, "POST", "/canaries", {"MaxResults": 2, "NextToken": first["NextToken"]})[1]
    assert [c["Name"] for c in rest["Canaries"]] == ["a3"] and "NextToken" not in rest
    assert [
        c["Name"] for c in call(app, "POST", "/canaries", {"Names": ["a2"]})[1]["Canaries"]
    ] == ["a2"]
    other = app.dispatch("POST", b"/canaries", "/canaries", b"", {}, "222222222222", REGION)
    assert other[1]["Canaries"] == []  # another account sees none


def test_tags_are_added_listed_and_removed_by_arn(app: SyntheticsApp) -> None:
    call(app, "POST", "/canary", body())
    arn = f"arn:aws:synthetics:{REGION}:{ACCOUNT}:canary:probe"
    call(app, "POST", f"/tags/{arn}", {"Tags": {"env": "qa"}})
    assert call(app, "GET", f"/tags/{arn}")[1]["Tags"] == {"team": "ml", "env": "qa"}
    call(app, "DELETE", f"/tags/{arn}", query=b"tagKeys=team")
    assert call(app, "GET", f"/tags/{arn}")[1]["Tags"] == {"env": "qa"}


def test_rate_expressions() -> None:
    assert rate_seconds("rate(1 minute)") == 60 and rate_seconds("rate(1 hour)") == 3600
    with pytest.raises(SyntheticsError):  # AWS: between rate(1 minute) and rate(1 hour)
        rate_seconds("rate(2 hours)")
    assert rate_seconds("rate(0 minute)") == 0 and rate_seconds("cron(0 * * * ? *)") is None
