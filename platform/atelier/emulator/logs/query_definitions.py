"""Saved Logs Insights queries (PutQueryDefinition, DescribeQueryDefinitions,
DeleteQueryDefinition), which MiniStack 1.5.33 does not have: Terraform's
``aws_cloudwatch_query_definition`` applies and reads back on the runtime as on AWS.

Kept per account and region, in memory (saved queries are configuration: a deploy recreates
them). Errors have CloudWatch Logs' shapes: ``InvalidParameterException`` for a missing name or
query, ``ResourceNotFoundException`` for an unknown id.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

ACTIONS = ("PutQueryDefinition", "DescribeQueryDefinitions", "DeleteQueryDefinition")
Answer = tuple[int, dict[str, Any]]


def _error(code: str, message: str) -> Answer:
    return 400, {"__type": code, "message": message}


class QueryDefinitions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_scope: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def handle(self, action: str, data: dict[str, Any], account: str, region: str) -> Answer:
        with self._lock:
            store = self._by_scope.setdefault((account, region), {})
            if action == "PutQueryDefinition":
                return self._put(store, data)
            if action == "DescribeQueryDefinitions":
                return self._describe(store, data)
            return self._delete(store, data)

    @staticmethod
    def _put(store: dict[str, dict[str, Any]], data: dict[str, Any]) -> Answer:
        name, query = data.get("name"), data.get("queryString")
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            return _error("InvalidParameterException", "name must be 1 to 255 characters")
        if not isinstance(query, str) or not 1 <= len(query) <= 10000:
            return _error("InvalidParameterException", "queryString must be 1 to 10000 characters")
        groups = data.get("logGroupNames") or []
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            return _error("InvalidParameterException", "logGroupNames must be a list of names")
        query_id = data.get("queryDefinitionId") or str(uuid.uuid4())
        if data.get("queryDefinitionId") and query_id not in store:
            return _error("ResourceNotFoundException", f"Query definition {query_id} not found")
        store[query_id] = {
            "queryDefinitionId": query_id,
            "name": name,
            "queryString": query,
            "logGroupNames": list(groups),
            "lastModified": int(time.time() * 1000),
        }
        return 200, {"queryDefinitionId": query_id}

    @staticmethod
    def _describe(store: dict[str, dict[str, Any]], data: dict[str, Any]) -> Answer:
        prefix = data.get("queryDefinitionNamePrefix") or ""
        limit = int(data.get("maxResults") or 1000)
        start = int(data.get("nextToken") or 0)
        found = sorted(
            (d for d in store.values() if d["name"].startswith(prefix)),
            key=lambda d: (d["name"], d["queryDefinitionId"]),
        )
        page = found[start : start + limit]
        answer: dict[str, Any] = {"queryDefinitions": [dict(d) for d in page]}
        if start + limit < len(found):
            answer["nextToken"] = str(start + limit)
        return 200, answer

    @staticmethod
    def _delete(store: dict[str, dict[str, Any]], data: dict[str, Any]) -> Answer:
        query_id = data.get("queryDefinitionId")
        if not isinstance(query_id, str) or query_id not in store:
            return _error("ResourceNotFoundException", f"Query definition {query_id} not found")
        del store[query_id]
        return 200, {"success": True}
