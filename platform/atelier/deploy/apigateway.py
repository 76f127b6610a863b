"""The REST API: one resource per route, Lambda proxy integrations, a TOKEN authorizer on every
route that asks for it, CORS preflights (MOCK), and a stage redeployed only when something changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

CORS_HEADERS = "'Content-Type,Authorization,Idempotency-Key,X-Correlation-Id'"
_CORS_PARAMS = ("Headers", "Methods", "Origin")


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    function_arn: str
    authorized: bool


@dataclass(frozen=True)
class StageSettings:
    rate_limit: int
    burst_limit: int
    access_log_arn: str
    authorizer_ttl_seconds: int


ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "method": "$context.httpMethod",
        "path": "$context.resourcePath",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "principal": "$context.authorizer.principalId",
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Api:
    id: str
    stage: str
    changes: tuple[Change, ...]


def invocation_uri(region: str, function_arn: str) -> str:
    return (
        f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )


def find_api(clients: Clients, name: str) -> str | None:
    apig = clients("apigateway")
    for page in apig.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if api["name"] == name:
                return str(api["id"])
    return None


class _Reconciler:
    def __init__(self, clients: Clients, api_id: str) -> None:
        self.apig = clients("apigateway")
        self.region = clients.region
        self.api_id = api_id
        self.edits: list[str] = []
        self.resources = {
            r["path"]: r
            for page in self.apig.get_paginator("get_resources").paginate(
                restApiId=api_id, embed=["methods"]
            )
            for r in page["items"]
        }

    def resource(self, path: str) -> str:
        """The id of ``path``, creating missing parents on the way."""
        if path in self.resources:
            return str(self.resources[path]["id"])
        parent, _, part = path.rpartition("/")
        created_ = self.apig.create_resource(
            restApiId=self.api_id, parentId=self.resource(parent or "/"), pathPart=part
        )
        self.resources[path] = {**created_, "resourceMethods": {}}
        self.edits.append(f"resource {path}")
        return str(created_["id"])

    def _method(self, resource_id: str, verb: str) -> dict[str, Any] | None:
        """The method as ``get_resources(embed=methods)`` gave it, else asked for."""
        for resource in self.resources.values():
            if resource["id"] == resource_id:
                methods = resource.get("resourceMethods") or {}
                if verb not in methods:
                    return None
                if isinstance(methods[verb], dict) and "methodIntegration" in methods[verb]:
                    embedded: dict[str, Any] = methods[verb]
                    return embedded
        try:
            found: dict[str, Any] = self.apig.get_method(
                restApiId=self.api_id, resourceId=resource_id, httpMethod=verb
            )
            return found
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise

    def route(self, route: Route, authorizer_id: str) -> None:
        rid = self.resource(route.path)
        auth = (
            {"authorizationType": "CUSTOM", "authorizerId": authorizer_id}
            if route.authorized
            else {"authorizationType": "NONE"}
        )
        uri = invocation_uri(self.region, route.function_arn)
        method = self._method(rid, route.method)
        integration = (method or {}).get("methodIntegration") or {}
        same_auth = method is not None and all(method.get(k) == v for k, v in auth.items())
        if not same_auth:
            if method is not None:
                self.apig.delete_method(
                    restApiId=self.api_id, resourceId=rid, httpMethod=route.method
                )
            self.apig.put_method(
                restApiId=self.api_id,
                resourceId=rid,
                httpMethod=route.method,
                apiKeyRequired=False,
                **auth,
            )
        if not same_auth or integration.get("type") != "AWS_PROXY" or integration.get("uri") != uri:
            self.apig.put_integration(
                restApiId=self.api_id,
                resourceId=rid,
                httpMethod=route.method,
                type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=uri,
            )
            self.edits.append(f"{route.method} {route.path}")

    def cors(self, path: str, verbs: list[str], origin: str) -> None:
        rid = self.resource(path)
        values = {
            "Headers": CORS_HEADERS,
            "Methods": "'" + ",".join(sorted({*verbs, "OPTIONS"})) + "'",
            "Origin": f"'{origin}'",
        }
        params = {f"method.response.header.Access-Control-Allow-{k}": v for k, v in values.items()}
        method = self._method(rid, "OPTIONS")
        response = ((method or {}).get("methodIntegration") or {}).get("integrationResponses", {})
        if method is not None and response.get("200", {}).get("responseParameters") == params:
            return
        if method is not None:
            self.apig.delete_method(restApiId=self.api_id, resourceId=rid, httpMethod="OPTIONS")
        kw = {"restApiId": self.api_id, "resourceId": rid, "httpMethod": "OPTIONS"}
        self.apig.put_method(**kw, authorizationType="NONE")
        self.apig.put_method_response(
            **kw, statusCode="200", responseParameters=dict.fromkeys(params, False)
        )
        self.apig.put_integration(
            **kw, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}
        )
        self.apig.put_integration_response(
            **kw,
            statusCode="200",
            responseParameters=params,
            responseTemplates={"application/json": ""},
        )
        self.edits.append(f"OPTIONS {path}")


def _ensure_authorizer(
    apig: Any, api_id: str, name: str, uri: str, ttl_seconds: int, edits: list[str]
) -> str:
    wanted = {
        "name": name,
        "type": "TOKEN",
        "authorizerUri": uri,
        "identitySource": "method.request.header.Authorization",
        "authorizerResultTtlInSeconds": ttl_seconds,
    }
    for auth in apig.get_authorizers(restApiId=api_id)["items"]:
        if auth["name"] != name:
            continue
        if all(auth.get(k) == v for k, v in wanted.items()):
            return str(auth["id"])
        apig.update_authorizer(
            restApiId=api_id,
            authorizerId=auth["id"],
            patchOperations=[
                {"op": "replace", "path": f"/{k}", "value": str(v)}
                for k, v in wanted.items()
                if k != "type"
            ],
        )
        edits.append("authorizer")
        return str(auth["id"])
    edits.append("authorizer")
    return str(apig.create_authorizer(restApiId=api_id, **wanted)["id"])


def _ensure_gateway_responses(apig: Any, api_id: str, origin: str, edits: list[str]) -> None:
    """Errors API Gateway answers itself (401 from the authorizer, 5xx) carry CORS too."""
    params = {"gatewayresponse.header.Access-Control-Allow-Origin": f"'{origin}'"}
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        try:
            current = apig.get_gateway_response(restApiId=api_id, responseType=kind)
        except ClientError as exc:
            if not is_not_found(exc):
                raise
            current = {}
        if current.get("responseParameters") != params:
            apig.put_gateway_response(
                restApiId=api_id, responseType=kind, responseParameters=params
            )
            edits.append(f"gateway response {kind}")


def _ensure_stage_settings(apig: Any, api_id: str, stage: str, settings: StageSettings) -> bool:
    """Throttling on every method and JSON access logs; True when something was changed."""
    current = apig.get_stage(restApiId=api_id, stageName=stage)
    throttle = (current.get("methodSettings") or {}).get("*/*", {})
    logs = current.get("accessLogSettings") or {}
    wanted = {
        "/*/*/throttling/rateLimit": (
            throttle.get("throttlingRateLimit"),
            float(settings.rate_limit),
        ),
        "/*/*/throttling/burstLimit": (throttle.get("throttlingBurstLimit"), settings.burst_limit),
        "/accessLogSettings/destinationArn": (logs.get("destinationArn"), settings.access_log_arn),
        "/accessLogSettings/format": (logs.get("format"), ACCESS_LOG_FORMAT),
    }
    ops = [
        {"op": "replace", "path": path, "value": str(want)}
        for path, (have, want) in wanted.items()
        if have != want
    ]
    if ops:
        apig.update_stage(restApiId=api_id, stageName=stage, patchOperations=ops)
    return bool(ops)


def ensure_api(
    clients: Clients,
    name: str,
    stage: str,
    routes: list[Route],
    authorizer_arn: str,
    cors_origin: str,
    settings: StageSettings,
    tags: dict[str, str],
) -> Api:
    apig = clients("apigateway")
    api_id = find_api(clients, name)
    fresh = api_id is None
    if api_id is None:
        api_id = str(
            apig.create_rest_api(
                name=name,
                description="Atelier public API",
                endpointConfiguration={"types": ["REGIONAL"]},
                tags=tags,
            )["id"]
        )
    rec = _Reconciler(clients, api_id)
    uri = invocation_uri(clients.region, authorizer_arn)
    authorizer_id = _ensure_authorizer(
        apig, api_id, f"{name}-authorizer", uri, settings.authorizer_ttl_seconds, rec.edits
    )
    verbs: dict[str, list[str]] = {}
    for route in sorted(routes, key=lambda r: (r.path, r.method)):
        rec.route(route, authorizer_id)
        verbs.setdefault(route.path, []).append(route.method)
    for path, methods in sorted(verbs.items()):
        rec.cors(path, methods, cors_origin)
    _ensure_gateway_responses(apig, api_id, cors_origin, rec.edits)
    stages = {s["stageName"] for s in apig.get_stages(restApiId=api_id)["item"]}
    if rec.edits or stage not in stages:
        apig.create_deployment(restApiId=api_id, stageName=stage, description="atelier deploy")
    if _ensure_stage_settings(apig, api_id, stage, settings) and stage in stages:
        rec.edits.append("stage settings")
    if fresh:
        change = created("apigateway.rest_api", name, f"{len(routes)} routes, stage {stage}")
    elif rec.edits or stage not in stages:
        change = updated("apigateway.rest_api", name, ", ".join(rec.edits) or f"stage {stage}")
    else:
        change = unchanged("apigateway.rest_api", name)
    return Api(api_id, stage, (change,))


def remove_api(clients: Clients, name: str) -> Change:
    api_id = find_api(clients, name)
    if api_id is None:
        return absent("apigateway.rest_api", name)
    try:
        clients("apigateway").delete_rest_api(restApiId=api_id)
    except ClientError as exc:
        if not is_not_found(exc):
            raise
    return deleted("apigateway.rest_api", name)
