"""A pushed image reaches its service without a Terraform apply (atelier.cicd.rollout), on the
runtime: a new tag in the account's ECR, then the deploy step registers a new task definition
revision with that image and rolls the service (UpdateService + forceNewDeployment); the old
task is drained, the new one answers."""

from __future__ import annotations

import json
import random
import time
import urllib.request
from typing import Any

import boto3
import pytest

from atelier.cicd import rollout
from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration
PIPELINE = "webservice"  # tests/fixtures/images/webservice: a tiny HTTP service


def _push(ecr: Any, tag: str) -> None:
    """What ``docker push`` leaves in ECR: a manifest under the tag."""
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": f"sha256:{tag:0>64}"[:71], "size": 1}, "layers": []}  # fmt: skip
    ecr.put_image(repositoryName=f"atelier/{PIPELINE}", imageTag=tag,
                  imageManifest=json.dumps(manifest))  # fmt: skip


@pytest.fixture
def stage(runtime: Runtime) -> tuple[boto3.Session, str]:
    """A stage in its own 12-digit account: cluster, repository, task definition, service."""
    key = str(random.randrange(10**11, 10**12))
    session = boto3.Session(aws_access_key_id=key, aws_secret_access_key="test",
                            region_name="us-east-1")  # fmt: skip
    ecs, ecr, ec2 = (session.client(s, endpoint_url=runtime.endpoint_url)
                     for s in ("ecs", "ecr", "ec2"))  # fmt: skip
    ecs.create_cluster(clusterName="atelier-rt")
    ecr.create_repository(repositoryName=f"atelier/{PIPELINE}")
    _push(ecr, "v1")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:1]
    td = ecs.register_task_definition(
        family=f"atelier-rt-{PIPELINE}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu="256", memory="512",
        containerDefinitions=[{"name": PIPELINE, "image": f"atelier/{PIPELINE}:v1",
                               "portMappings": [{"containerPort": 8080}],
                               "environment": [{"name": "KEEP", "value": "me"}]}],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    ecs.create_service(cluster="atelier-rt", serviceName=f"atelier-rt-{PIPELINE}",
                       taskDefinition=td, desiredCount=1, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}})  # fmt: skip
    return session, runtime.endpoint_url


def _running(ecs: Any) -> list[dict[str, Any]]:
    arns = ecs.list_tasks(cluster="atelier-rt", serviceName=f"atelier-rt-{PIPELINE}",
                          desiredStatus="RUNNING")["taskArns"]  # fmt: skip
    if not arns:
        return []
    tasks = ecs.describe_tasks(cluster="atelier-rt", tasks=arns)["tasks"]
    return [t for t in tasks if t["lastStatus"] == "RUNNING"]


def _wait(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not true in time"
        time.sleep(0.3)


def test_a_pushed_tag_rolls_the_service_without_terraform(
    stage: tuple[boto3.Session, str], runtime: Runtime
) -> None:
    session, endpoint = stage
    ecs, ecr = (
        session.client("ecs", endpoint_url=endpoint),
        session.client("ecr", endpoint_url=endpoint),
    )
    _wait(lambda: len(_running(ecs)) == 1, 30)
    [old] = _running(ecs)
    assert old["taskDefinitionArn"].endswith(":1")
    _push(ecr, "v2")

    done = rollout.roll(session, stage="rt", pipeline=PIPELINE, tag="v2", timeout=60,
                        endpoint_url=endpoint)  # fmt: skip

    assert done.task_definition_arn.endswith(f"atelier-rt-{PIPELINE}:2")
    assert done.image == f"atelier/{PIPELINE}:v2" and done.service == f"atelier-rt-{PIPELINE}"
    new_td = ecs.describe_task_definition(taskDefinition=f"atelier-rt-{PIPELINE}")["taskDefinition"]
    [container] = new_td["containerDefinitions"]
    assert container["image"] == f"atelier/{PIPELINE}:v2"
    assert container["environment"] == [{"name": "KEEP", "value": "me"}]  # the rest is kept
    _wait(lambda: [t["taskArn"] for t in _running(ecs)] not in ([], [old["taskArn"]]), 30)
    [new] = _running(ecs)
    assert new["taskDefinitionArn"] == done.task_definition_arn
    gone = ecs.describe_tasks(cluster="atelier-rt", tasks=[old["taskArn"]])["tasks"][0]
    _wait(lambda: ecs.describe_tasks(cluster="atelier-rt", tasks=[old["taskArn"]])["tasks"][0]
          ["lastStatus"] == "STOPPED", 30)  # fmt: skip
    assert gone["taskArn"] == old["taskArn"]
    # the new process answers on its own address
    live = [t for t in runtime.status()["tasks"] if t["task_arn"] == new["taskArn"]]
    assert live, runtime.status()["tasks"]
    ip = live[0]["ip"]
    _wait(lambda: _answers(f"http://{ip}:8080/"), 30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def test_a_tag_that_was_never_pushed_fails_naming_it_and_changes_nothing(
    stage: tuple[boto3.Session, str],
) -> None:
    session, endpoint = stage
    ecs = session.client("ecs", endpoint_url=endpoint)
    with pytest.raises(rollout.RolloutFailed, match=f"no image tagged v9 in atelier/{PIPELINE}"):
        rollout.roll(session, stage="rt", pipeline=PIPELINE, tag="v9", timeout=10,
                     endpoint_url=endpoint)  # fmt: skip
    latest = ecs.describe_task_definition(taskDefinition=f"atelier-rt-{PIPELINE}")["taskDefinition"]
    assert latest["revision"] == 1


def test_before_the_first_apply_there_is_nothing_to_roll(runtime: Runtime) -> None:
    """A first deployment: the image is pushed before Terraform created its task definition;
    the step says so and registers nothing (Terraform creates it at the newest tag)."""
    key = str(random.randrange(10**11, 10**12))
    session = boto3.Session(aws_access_key_id=key, aws_secret_access_key="test",
                            region_name="us-east-1")  # fmt: skip
    ecr = session.client("ecr", endpoint_url=runtime.endpoint_url)
    ecr.create_repository(repositoryName=f"atelier/{PIPELINE}")
    _push(ecr, "v1")
    done = rollout.roll(session, stage="rt", pipeline=PIPELINE, tag="v1",
                        endpoint_url=runtime.endpoint_url)  # fmt: skip
    assert (done.task_definition_arn, done.service) == ("", None)
    ecs = session.client("ecs", endpoint_url=runtime.endpoint_url)
    assert (
        ecs.list_task_definitions(familyPrefix=f"atelier-rt-{PIPELINE}")["taskDefinitionArns"] == []
    )
