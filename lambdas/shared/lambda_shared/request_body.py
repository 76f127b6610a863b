"""Reading a request body: size cap, UTF-8, strict JSON, and the duplicate-key rule.

Duplicate keys in one JSON object are refused (two parsers could read them differently),
except the keys a route names as repeatable: ``{"id": "1914", "id": "1918"}`` is the
documented form of the active-learning route, so its ``id`` values are collected in order.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from typing import Any

from lambda_shared.errors import InvalidJson, PayloadTooLarge, ValidationFailed

MAX_BODY_BYTES = 64 * 1024


class Repeated(list[Any]):
    """The values of a key that appeared more than once in one JSON object, in order."""


def _collect_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key not in out:
            out[key] = value
        elif isinstance(out[key], Repeated):
            out[key].append(value)
        else:
            out[key] = Repeated([out[key], value])
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def body_bytes(event: Mapping[str, Any], limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body of an API Gateway proxy event; 413 beyond ``limit`` bytes."""
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise InvalidJson("the request body is not text")
    if event.get("isBase64Encoded"):
        if len(body) > (limit // 3 + 1) * 4:
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidJson("the request body is not valid base64") from exc
    else:
        if len(body) > limit:  # each character is at least one byte
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
    return raw


def _duplicate(value: Any, repeatable: Collection[str]) -> str | None:
    """The first duplicated key, except top-level ``repeatable`` ones (iterative walk)."""
    stack: list[tuple[Any, bool]] = [(value, True)]
    while stack:
        node, top = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if isinstance(item, Repeated):
                    if not (top and key in repeatable):
                        return str(key)
                    stack.extend((v, False) for v in item)
                else:
                    stack.append((item, False))
        elif isinstance(node, list):
            stack.extend((v, False) for v in node)
    return None


def json_object(event: Mapping[str, Any], *, repeatable: Collection[str] = ()) -> dict[str, Any]:
    """The body as a JSON object. 413 too large; 400 empty/malformed/duplicate keys;
    422 when it is JSON but not an object."""
    raw = body_bytes(event)
    if not raw.strip():
        raise InvalidJson("the request body is empty; expected a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson("the request body is not UTF-8") from exc
    try:
        data = json.loads(text, object_pairs_hook=_collect_pairs, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"the request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise InvalidJson(f"the request body is not valid JSON: {exc}"[:200]) from exc
    if not isinstance(data, dict):
        raise ValidationFailed(
            f"expected a JSON object, got a JSON {_json_type(data)}",
            errors=[{"field": "body", "problem": "must be a JSON object"}],
        )
    duplicate = _duplicate(data, repeatable)
    if duplicate is not None:
        raise InvalidJson(f"the key {duplicate[:64]!r} appears more than once in a JSON object")
    return data


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header, case-insensitively (clients and HTTP/2 lowercase names)."""
    headers = event.get("headers") or {}
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            return value
    return None
