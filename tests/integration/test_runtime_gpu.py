"""A GPU task runs on the GPU when there is one, else on the CPU, and says so."""

from __future__ import annotations

import time

import pytest

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration


def test_gpu_task_device_is_visible_in_tags_logs_and_environment(runtime: Runtime) -> None:
    ecs, logs = runtime.client("ecs"), runtime.client("logs")
    ecs.create_cluster(clusterName="gpu")
    logs.create_log_group(logGroupName="/ecs/gpu")
    td = ecs.register_task_definition(
        family="gpujob",
        requiresCompatibilities=["EC2"],
        containerDefinitions=[
            {
                "name": "main",
                "image": "atelier/gpujob",
                "memory": 512,
                "resourceRequirements": [{"type": "GPU", "value": "1"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/gpu",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "al",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(cluster="gpu", taskDefinition=td)["tasks"][0]["taskArn"]
    deadline = time.monotonic() + 15
    while True:
        task = ecs.describe_tasks(cluster="gpu", tasks=[arn], include=["TAGS"])["tasks"][0]
        if task["lastStatus"] == "STOPPED" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert task["containers"][0]["exitCode"] == 0
    has_gpu = runtime.status()["gpu"]["available"]
    device = "cuda" if has_gpu else "cpu"
    tags = {t["key"]: t["value"] for t in task.get("tags", [])}
    assert tags["atelier:device"] == device
    assert tags.get("atelier:gpu-fallback") == (None if has_gpu else "true")
    listed = ecs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert {"key": "atelier:device", "value": device} in listed
    stream = f"al/main/{arn.rsplit('/', 1)[-1]}"
    lines = [
        e["message"]
        for e in logs.get_log_events(logGroupName="/ecs/gpu", logStreamName=stream)["events"]
    ]
    assert f"device={device}" in lines  # what the process itself saw (ATELIER_DEVICE)
    if not has_gpu:
        assert any("no GPU on this host: running on CPU" in line for line in lines)
