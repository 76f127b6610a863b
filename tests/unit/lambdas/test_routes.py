"""What every route lambda shares: JSON errors for anything unexpected, CORS, correlation ids,
and the event fixtures' shape."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from lambda_testkit import (
    EVENTS,
    Cloud,
    assert_error,
    invoke,
    load_event,
    load_handler,
    log_lines,
    with_header,
)

ROUTES = {
    "auth": "apigw_rest_post_auth.json",
    "structured_data": "apigw_rest_post_structured_data.json",
    "non_structured_data_images": "apigw_rest_post_non_structured_data_images.json",
    "non_structured_al_data_images": "apigw_rest_post_non_structured_al_data_images.json",
    "jobs": "apigw_rest_get_job.json",
}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_fixtures_have_the_shape_of_rest_proxy_events(name: str) -> None:
    event = load_event(ROUTES[name])
    assert {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "requestContext",
        "body",
        "isBase64Encoded",
        "pathParameters",
    } <= set(event)
    context = event["requestContext"]
    assert context["stage"] == "v1" and context["path"] == "/v1" + event["path"]
    assert context["resourcePath"] == event["resource"] and context["requestId"]


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_unexpected_failures_are_json_500_without_a_trace(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("database exploded at /secret/path")

    handlers = {route: load_handler(route) for route in ROUTES}  # imported before patching
    for module in ("users", "job_status", "tasks", "tokens", "submit"):
        monkeypatch.setattr(f"lambda_shared.{module}.client", broken)
    monkeypatch.setattr(handlers["structured_data"], "predict", broken)
    answer = invoke(load_handler(name).handler, load_event(ROUTES[name]))
    assert_error(answer, 500, "internal_error")
    assert "exploded" not in json.dumps(answer.body)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_other_methods_and_paths_are_json_404(cloud: Cloud, name: str) -> None:
    event = copy.deepcopy(load_event(ROUTES[name]))
    event["httpMethod"] = "DELETE"
    assert_error(invoke(load_handler(name).handler, event), 404, "route_not_found")


def test_cors_headers_for_browsers(cloud: Cloud) -> None:
    event = with_header(
        load_event(ROUTES["non_structured_data_images"]), "Origin", "http://localhost:5173"
    )
    answer = invoke(load_handler("non_structured_data_images").handler, event)
    assert answer.status == 202
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "Idempotency-Key" in answer.headers["access-control-allow-headers"]


def test_logs_are_json_with_the_api_gateway_request_id(
    cloud: Cloud, logs: Callable[[], str]
) -> None:
    event = load_event(ROUTES["non_structured_data_images"])
    invoke(load_handler("non_structured_data_images").handler, event)
    other = copy.deepcopy(load_event(ROUTES["jobs"]))
    invoke(load_handler("jobs").handler, other)  # 404: a refusal is logged too
    lines = log_lines(logs())
    started = [line for line in lines if line["message"] == "job started"]
    refused = [line for line in lines if line["message"] == "request refused"]
    assert started[0]["correlation_id"] == event["requestContext"]["requestId"]
    assert started[0]["job_id"] and started[0]["service"] == "atelier-api"
    assert refused[0]["correlation_id"] == other["requestContext"]["requestId"]
    assert refused[0]["status"] == 404
    assert "Bearer" not in logs() and event["headers"]["Authorization"] not in logs()


def test_events_are_not_logged_even_when_asked(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch, logs: Callable[[], str]
) -> None:
    """POWERTOOLS_LOGGER_LOG_EVENT=true would log bodies (passwords) and headers (tokens)."""
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    event = load_event(ROUTES["auth"])
    invoke(load_handler("auth").handler, event)
    invoke(
        load_handler("non_structured_data_images").handler,
        load_event(ROUTES["non_structured_data_images"]),
    )
    assert "correct horse battery staple" not in logs()
    assert "Bearer" not in logs()


def test_every_fixture_is_valid_json() -> None:
    for path in EVENTS.glob("*.json"):
        json.loads(path.read_text())
