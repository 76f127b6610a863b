"""The committed OpenAPI contract (lambdas/openapi.json) is what the route registry builds, the
handlers serve exactly its routes, and the frontend calls only routes it names."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from lambda_shared import contract, openapi

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "lambdas" / "openapi.json"


def test_the_committed_contract_has_not_drifted() -> None:
    committed = json.loads(COMMITTED.read_text())
    assert openapi.drift(committed, openapi.build()) == [], (
        "lambdas/openapi.json is out of date: run "
        "`PYTHONPATH=lambdas/shared:pipelines/common python -m lambda_shared.openapi`"
    )


def test_a_changed_model_is_caught_as_drift() -> None:
    committed = json.loads(COMMITTED.read_text())

    class Token(BaseModel):  # a field added to /auth's answer without regenerating
        token: str
        expires_in: int
        refresh_token: str

    models = dict(contract.MODELS)
    models[("POST", "/auth")] = dataclasses.replace(models[("POST", "/auth")], ok=(200, Token))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(openapi, "MODELS", models)
        assert openapi.drift(committed, openapi.build()) == ["schema Token"]


def test_a_route_added_to_the_topology_is_caught_as_drift(tmp_path: Path) -> None:
    topology = tmp_path / "topology.yaml"
    text = (ROOT / "topology.yaml").read_text()
    topology.write_text(text.replace(
        'route: {path: "/jobs/{job_id}", method: GET}',
        'routes: [{path: "/jobs/{job_id}", method: GET}, {path: /jobs_archive, method: GET}]',
    ))  # fmt: skip
    committed = json.loads(COMMITTED.read_text())
    assert openapi.drift(committed, openapi.build(topology)) == ["paths /jobs_archive"]


def test_the_check_command_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    document = openapi.build()
    del document["paths"]["/auth"]
    stale.write_text(openapi.render(document))
    assert openapi.main(["--check", str(stale)]) == 1
    stale.write_text(openapi.render(openapi.build()))
    assert openapi.main(["--check", str(stale)]) == 0


def test_every_route_has_its_models() -> None:
    missing = [
        f"{r.method} {r.path}"
        for r in openapi.routes()
        if (r.method, r.path) not in contract.MODELS
    ]
    assert not missing, f"routes without models in lambda_shared.contract.MODELS: {missing}"


def test_the_frontend_calls_only_routes_of_the_contract() -> None:
    client = (ROOT / "frontend" / "src" / "api" / "client.ts").read_text()
    called = set(re.findall(r"(?:request(?:<[^>]*>)?|startJob)\(\s*['\"`](/[^'\"`]*)", client))
    assert called, "no API paths found in frontend/src/api/client.ts"
    paths = [
        re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in openapi.build()["paths"]
    ]
    for path in called:
        concrete = re.sub(r"\$\{[^}]+\}", "x", path).split("?")[0]  # the query is no path
        assert any(p.match(concrete) for p in paths), (
            f"the frontend calls {path}: not in the contract"
        )


def test_every_link_names_an_operation_and_a_parameter_it_declares() -> None:
    """The links schemathesis' stateful phase follows: a job route's answer feeds GET
    /jobs/{job_id}, the login's token feeds GET /jobs; each target and parameter exists."""
    document = openapi.build()
    operations = {
        op["operationId"]: op for ops in document["paths"].values() for op in ops.values()
    }
    links = [
        (name, link)
        for ops in document["paths"].values()
        for op in ops.values()
        for answer in op["responses"].values()
        for name, link in answer.get("links", {}).items()
    ]
    assert {name for name, _ in links} == {"GetJob", "ListJobsWithToken"}
    assert len(links) == 3
    for name, link in links:
        target = operations[link["operationId"]]
        declared = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
        for parameter in link["parameters"]:
            assert parameter in declared or parameter == "header.Authorization", (name, parameter)
