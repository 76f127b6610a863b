"""The OpenAPI 3 document of the public API, built from ``lambda_shared.contract.ROUTES``.

``python -m lambda_shared.openapi [--check] [PATH]`` writes it (default ``lambdas/openapi.json``)
or, with ``--check``, exits 1 naming what differs from the committed file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lambda_shared.contract import MODELS, ApiErrorBody, GatewayErrorBody, Models, Route

TITLE = "Atelier API"
VERSION = "1"
REF = "#/components/schemas/{model}"
REPO = Path(__file__).resolve().parents[3]
DEFAULT_PATH = REPO / "lambdas" / "openapi.json"
TOPOLOGY = REPO / "topology.yaml"
GENERIC = Models("(no models declared in lambda_shared.contract)", ok=(200, ApiErrorBody))
_DESCRIPTIONS = {
    200: "OK", 202: "Accepted", 400: "Refused: the request cannot be read or is refused outright",
    401: "Not authenticated", 403: "Denied", 404: "Not found", 409: "A request with this key is still running",
    413: "Body over 64 KiB", 422: "Fields are wrong", 429: "Too many requests (stage throttling)",
    500: "Internal error", 502: "The service failed", 503: "Unavailable; try again later",
    504: "The service did not answer in time",
}  # fmt: skip


def _ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        schemas[name] = sub
    schemas[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def routes(topology: Path = TOPOLOGY) -> list[Route]:
    """The routes ``topology.yaml`` declares (``route:`` or ``routes:`` of each Lambda)."""
    import yaml

    found = []
    for name, spec in (yaml.safe_load(topology.read_text()).get("lambdas") or {}).items():
        if not isinstance(spec, dict):
            continue
        declared = spec.get("routes") or ([spec["route"]] if spec.get("route") else [])
        for r in declared:
            found.append(Route(str(r["method"]).upper(), str(r["path"]), str(name),
                               bool(spec.get("authorized", True))))  # fmt: skip
    return sorted(found, key=lambda r: (r.path, r.method))


def operation_id(route: Route) -> str:
    """A route's operationId: its method and its Lambda's name (by topology.yaml)."""
    return f"{route.method.lower()}_{route.function}"


def _operation(
    route: Route, schemas: dict[str, Any], ids: dict[tuple[str, str], str]
) -> dict[str, Any]:
    models = MODELS.get((route.method, route.path), GENERIC)
    status, model = models.ok
    responses = {str(status): _json(_ref(model, schemas), _DESCRIPTIONS[status])}
    if models.links:
        responses[str(status)]["links"] = {
            name: {"operationId": ids[target], "parameters": params}
            for name, (target, params) in models.links.items()
        }
    error = _ref(ApiErrorBody, schemas)
    for code in models.errors:
        responses[str(code)] = _json(error, _DESCRIPTIONS[code])
    gateway = _ref(GatewayErrorBody, schemas)
    responses["429"] = _json(gateway, _DESCRIPTIONS[429])
    if route.authorized:
        responses["401"] = _json(gateway, _DESCRIPTIONS[401])
        responses["403"] = _json(gateway, _DESCRIPTIONS[403])
    op: dict[str, Any] = {
        "operationId": ids[(route.method, route.path)],
        "summary": models.summary,
        "x-lambda-function": route.function,
        "responses": dict(sorted(responses.items())),
    }
    params = [
        {"name": name, "in": "path", "required": True, "description": text, "schema": schema}
        for name, (text, schema) in {
            **{n: (n, {"type": "string"}) for n in re.findall(r"\{([^}]+)\}", route.path)},
            **models.path_params,
        }.items()
    ]  # fmt: skip
    params += [
        {"name": name, "in": "query", "required": False, "description": text, "schema": schema}
        for name, (text, schema) in models.query_params.items()
    ]
    if models.idempotency_key:
        params.append({
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": "the same key returns the same job (24 h)",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
        })  # fmt: skip
    if params:
        op["parameters"] = params
    if models.request is not None:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _ref(models.request, schemas),
                    **({"example": models.example} if models.example else {}),
                }
            },
        }
    op["security"] = [{"bearer": []}] if route.authorized else []
    return op


def build(topology: Path = TOPOLOGY) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    declared = routes(topology)
    ids = {(r.method, r.path): operation_id(r) for r in declared}
    for route in declared:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas, ids)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def drift(committed: dict[str, Any], built: dict[str, Any]) -> list[str]:
    """What differs between two documents: operations and schemas by name ([] when equal)."""
    out = []
    for path in sorted(set(committed.get("paths", {})) | set(built.get("paths", {}))):
        a, b = committed.get("paths", {}).get(path), built.get("paths", {}).get(path)
        if a != b:
            out.append(f"paths {path}")
    a_s = committed.get("components", {}).get("schemas", {})
    b_s = built.get("components", {}).get("schemas", {})
    out += [f"schema {n}" for n in sorted(set(a_s) | set(b_s)) if a_s.get(n) != b_s.get(n)]
    if not out and committed != built:
        out.append("document header")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lambda_shared.openapi")
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    built = build()
    if args.check:
        committed = json.loads(args.path.read_text()) if args.path.exists() else {}
        changed = drift(committed, built)
        if changed:
            print(
                f"{args.path} is out of date ({', '.join(changed)}): run python -m lambda_shared.openapi"
            )
            return 1
        return 0
    args.path.write_text(render(built))
    return 0


if __name__ == "__main__":
    sys.exit(main())
