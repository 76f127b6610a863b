"""The crash-safe persistence hooks: what counts as a change, which state files a service owns
(the MiniStack names they touch: test_required_internals.py)."""

from __future__ import annotations

import pytest

from atelier.emulator.ministack_compat import persistence


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "changes"),
    [
        ("POST", "/", {"X-Amz-Target": "DynamoDB_20120810.PutItem"}, b"{}", True),
        ("POST", "/", {"X-Amz-Target": "DynamoDB_20120810.GetItem"}, b"{}", False),
        ("POST", "/", {"X-Amz-Target": "DynamoDB_20120810.Query"}, b"{}", False),
        ("POST", "/", {"x-amz-target": "AmazonEC2ContainerServiceV20141113.RunTask"}, b"", True),
        ("POST", "/", {}, b"Action=CreateDBInstance&Version=2014-10-31", True),
        ("POST", "/", {}, b"Action=DescribeDBInstances&Version=2014-10-31", False),
        ("PUT", "/bucket/key", {}, b"data", True),
        ("DELETE", "/bucket/key", {}, b"", True),
        ("GET", "/bucket/key", {}, b"", False),
        ("HEAD", "/bucket", {}, b"", False),
        ("POST", "/2015-03-31/functions/f/invocations", {}, b"{}", False),
        ("POST", "/2015-03-31/functions", {}, b"{}", True),
    ],
)
def test_what_counts_as_a_change(
    method: str, path: str, headers: dict[str, str], body: bytes, changes: bool
) -> None:
    assert persistence.is_mutation(method, path, headers, body, {}) is changes


def test_every_service_maps_to_its_state_files() -> None:
    assert persistence.Snapshotter.keys_of("dynamodb") == [("dynamodb", "dynamodb")]
    assert ("apigateway_v1", "apigateway_v1") in persistence.Snapshotter.keys_of("apigateway")
    assert persistence.Snapshotter.keys_of("no-such-service") == []
