"""A pushed image reaches its task definition and its service, without a Terraform apply.

``python -m atelier.cicd.rollout <pipeline> --stage S --tag T [--timeout SECONDS]`` (CI's
``nox -s deploy_image``, right after ``nox -s image`` pushed ``atelier/<pipeline>:<T>``):

1. the tag must exist in the account's ECR (a missing image fails here, naming it, instead of
   a task that cannot pull);
2. a new revision of the pipeline's task definition is registered: the latest revision with its
   container's image moved to ``<repository>:<T>`` (everything else, roles included, kept);
3. when the pipeline runs as an ECS service, ``UpdateService`` points it at that revision with
   ``forceNewDeployment`` and the step waits until the service is stable (the old tasks drained).

The lambdas that start tasks name the task definition by family, so RunTask takes the newest
revision at once. The next ``terraform plan`` reads each pipeline's newest tag from ECR
(``atelier.cicd.artifacts image-tags``), so Terraform then agrees with what runs. The same code
runs against AWS (credentials from the environment) and the local runtime (``AWS_ENDPOINT_URL``
and the stage's 12-digit access key).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

#: what RegisterTaskDefinition accepts back from DescribeTaskDefinition
_REGISTRABLE = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


class RolloutFailed(RuntimeError):
    """The image cannot reach its service; the message says which step and why."""


@dataclass(frozen=True)
class Rolled:
    family: str
    task_definition_arn: str
    image: str
    service: str | None
    seconds: float


def with_image(definition: dict[str, Any], container: str, tag: str) -> dict[str, Any]:
    """``definition`` as RegisterTaskDefinition takes it, ``container``'s image at ``tag``."""
    out = {k: definition[k] for k in _REGISTRABLE if definition.get(k) not in (None, [], {})}
    containers = [dict(c) for c in definition.get("containerDefinitions") or []]
    found = [c for c in containers if c.get("name") == container]
    if not found:
        names = [c.get("name") for c in containers]
        raise RolloutFailed(f"task definition {definition.get('family')} has no container "
                            f"{container!r} (it has {names})")  # fmt: skip
    image = str(found[0]["image"])
    # the repository part ends before the last ':' that follows the last '/' (a registry port
    # such as host:5000/atelier/x has a ':' before it)
    slash = image.rfind("/")
    colon = image.rfind(":")
    repository = image[:colon] if colon > slash else image
    found[0]["image"] = f"{repository}:{tag}"
    out["containerDefinitions"] = containers
    return out


def image_exists(ecr: Any, repository: str, tag: str) -> bool:
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return False
        raise
    return True


def _service(ecs: Any, cluster: str, name: str) -> dict[str, Any] | None:
    found = ecs.describe_services(cluster=cluster, services=[name]).get("services", [])
    live = [s for s in found if s.get("status") == "ACTIVE"]
    return live[0] if live else None


def _wait_stable(ecs: Any, cluster: str, service: str, arn: str, timeout: float) -> None:
    """Until the only deployment is the new revision's and it runs its desired count."""
    deadline = time.monotonic() + timeout
    while True:
        svc = _service(ecs, cluster, service) or {}
        deployments = svc.get("deployments", [])
        primary: dict[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
        if primary.get("rolloutState") == "FAILED":
            raise RolloutFailed(f"deploy: service {service} rolled back: "
                                f"{primary.get('rolloutStateReason')}")  # fmt: skip
        if (
            len(deployments) == 1
            and primary.get("taskDefinition") == arn
            and primary.get("runningCount", 0) >= svc.get("desiredCount", 1)
        ):
            return
        if time.monotonic() > deadline:
            raise RolloutFailed(
                f"deploy: service {service} not stable on {arn.rsplit('/', 1)[-1]} after "
                f"{timeout:.0f} s (deployments: "
                f"{[(d.get('status'), d.get('runningCount')) for d in deployments]})"
            )
        time.sleep(1.0)


def roll(
    session: boto3.Session,
    *,
    stage: str,
    pipeline: str,
    tag: str,
    timeout: float = 600.0,
    endpoint_url: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Rolled:
    """Point ``atelier-<stage>-<pipeline>`` (task definition, and service if any) at ``tag``."""
    kwargs = {"endpoint_url": endpoint_url} if endpoint_url else {}
    ecs, ecr = session.client("ecs", **kwargs), session.client("ecr", **kwargs)
    started = time.monotonic()
    cluster = f"atelier-{stage}"
    family = f"atelier-{stage}-{pipeline}"
    repository = f"atelier/{pipeline}"
    if not image_exists(ecr, repository, tag):
        raise RolloutFailed(f"image: no image tagged {tag} in {repository} of the {stage} "
                            "account: push it first (nox -s image -- ... --push)")  # fmt: skip
    try:
        latest = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ClientException":
            raise
        # a first deployment: Terraform creates the definition at the newest tag (this one)
        progress(f"{family}: no task definition yet; the next Terraform apply creates it at {tag}")
        return Rolled(family, "", f"{repository}:{tag}", None, time.monotonic() - started)
    definition = with_image(latest, pipeline, tag)
    registered = ecs.register_task_definition(**definition)["taskDefinition"]
    arn = str(registered["taskDefinitionArn"])
    image = next(c["image"] for c in definition["containerDefinitions"] if c["name"] == pipeline)
    progress(f"{family}: revision {registered['revision']} runs {image}")
    service = f"atelier-{stage}-{pipeline}"
    if _service(ecs, cluster, service) is None:
        return Rolled(family, arn, image, None, time.monotonic() - started)
    ecs.update_service(
        cluster=cluster, service=service, taskDefinition=arn, forceNewDeployment=True
    )
    progress(f"{service}: rolling to revision {registered['revision']}")
    _wait_stable(ecs, cluster, service, arn, timeout)
    return Rolled(family, arn, image, service, time.monotonic() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier.cicd.rollout")
    parser.add_argument("pipeline")
    parser.add_argument("--stage", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    try:
        done = roll(boto3.Session(), stage=args.stage, pipeline=args.pipeline, tag=args.tag,
                    timeout=args.timeout, progress=lambda text: print(text, flush=True))  # fmt: skip
    except RolloutFailed as exc:
        print(f"::error::{exc}")
        return 1
    if not done.task_definition_arn:
        print(f"{done.family}: nothing to roll yet ({done.image} is the newest tag)")
        return 0
    where = f"service {done.service} is stable" if done.service else "no service: RunTask takes it"
    print(f"{done.family} → {done.image} ({where}, {done.seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
