"""S3 website hosting; --persist keeps state across a restart; a taken port is a clear error."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pytest

from atelier.emulator.launcher import RuntimeStartError
from atelier_devtools.runtime import Runtime, free_port, start_runtime

pytestmark = pytest.mark.integration


def test_s3_website_serves_index_html(runtime: Runtime) -> None:
    s3 = runtime.client("s3")
    s3.create_bucket(Bucket="site")
    s3.put_object(
        Bucket="site", Key="index.html", Body=b"<h1>Atelier</h1>", ContentType="text/html"
    )
    s3.put_bucket_website(
        Bucket="site", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
    )
    port = runtime.port
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/", headers={"Host": f"site.s3-website.localhost:{port}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
        assert resp.read() == b"<h1>Atelier</h1>"


def test_persist_keeps_buckets_objects_tables_task_definitions_and_services(tmp_path: Path) -> None:
    port = free_port()
    first = start_runtime(tmp_path, persist=True, port=port)
    try:
        first.client("s3").create_bucket(Bucket="kept")
        first.client("s3").put_object(Bucket="kept", Key="a.txt", Body=b"still here")
        first.client("dynamodb").create_table(
            TableName="jobs",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        )
        first.client("dynamodb").put_item(TableName="jobs", Item={"job_id": {"S": "1"}})
        first.client("ecs").register_task_definition(
            family="kept", containerDefinitions=[{"name": "m", "image": "atelier/exiter"}]
        )
        ecs = first.client("ecs")
        ecs.create_cluster(clusterName="c")
        sleeper = ecs.register_task_definition(
            family="svc", containerDefinitions=[{"name": "m", "image": "atelier/sleeper"}]
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster="c", serviceName="svc", taskDefinition=sleeper, desiredCount=1)
        old_task = first.status()["tasks"][0]
    finally:
        first.stop()
    second = start_runtime(tmp_path, persist=True, port=port)
    try:
        body = second.client("s3").get_object(Bucket="kept", Key="a.txt")["Body"].read()
        assert body == b"still here"
        item = second.client("dynamodb").get_item(TableName="jobs", Key={"job_id": {"S": "1"}})
        assert item["Item"]["job_id"]["S"] == "1"
        families = second.client("ecs").list_task_definition_families()["families"]
        assert "kept" in families
        # the service is back with a new task and a live process; the old task is STOPPED
        deadline = time.monotonic() + 10
        while not second.status()["tasks"]:
            assert time.monotonic() < deadline, "the service got no task after the restart"
            time.sleep(0.1)
        (new_task,) = second.status()["tasks"]
        assert new_task["task_arn"] != old_task["task_arn"] and new_task["pid"] > 0
        old = second.client("ecs").describe_tasks(cluster="c", tasks=[old_task["task_arn"]])
        assert old["tasks"][0]["lastStatus"] == "STOPPED"
    finally:
        second.stop()


def test_without_persist_a_restart_starts_empty(tmp_path: Path) -> None:
    port = free_port()
    first = start_runtime(tmp_path, port=port)
    try:
        first.client("s3").create_bucket(Bucket="gone")
    finally:
        first.stop()
    second = start_runtime(tmp_path, port=port)
    try:
        assert second.client("s3").list_buckets()["Buckets"] == []
    finally:
        second.stop()


def test_taken_port_is_a_clear_error(tmp_path: Path, runtime: Runtime) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(RuntimeStartError, match="already in use"):
            start_runtime(tmp_path, port=port)
    # the session runtime is untouched
    assert runtime.client("s3").list_buckets() is not None


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stopping_the_runtime_stops_its_task_processes(tmp_path: Path) -> None:
    rt = start_runtime(tmp_path)
    try:
        ecs = rt.client("ecs")
        ecs.create_cluster(clusterName="c")
        td = ecs.register_task_definition(
            family="s", containerDefinitions=[{"name": "m", "image": "atelier/sleeper"}]
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.run_task(cluster="c", taskDefinition=td)
        pid = rt.status()["tasks"][0]["pid"]
        assert _alive(pid)
    finally:
        rt.stop()
    assert not _alive(pid)


@pytest.mark.skipif(
    Path("/var/run/docker.sock").exists(), reason="a Docker engine is reachable here"
)
def test_docker_executor_without_an_engine_is_a_clear_start_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeStartError, match="no Docker engine is reachable") as info:
        start_runtime(tmp_path, env={"ATELIER_EXECUTOR": "docker"})
    assert "error: ATELIER_EXECUTOR=docker" in str(info.value)
