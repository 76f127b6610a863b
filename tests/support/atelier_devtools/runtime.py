"""Start real runtimes for tests: ``tests/conftest.py``'s ``runtime`` fixture uses this.

``start_runtime(home)`` starts a runtime on a free port with ``ATELIER_HOME=home`` and
``ATELIER_IMAGES_DIRS=tests/fixtures/images``; the returned :class:`Runtime` has the endpoint,
a boto3 client factory, the agent's status and ``stop()``.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from atelier.config import Settings
from atelier.emulator import launcher
from atelier_devtools.paths import REPO_ROOT

FIXTURE_IMAGES = REPO_ROOT / "tests" / "fixtures" / "images"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Runtime:
    """A started runtime: its endpoint, home and a boto3 client factory."""

    endpoint_url: str
    home: Path
    port: int
    pid: int
    region: str = "us-east-1"
    settings: Settings | None = field(default=None, repr=False)

    def client(self, service: str, **kwargs: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 2}, read_timeout=60),
            **kwargs,
        )

    def role(self, name: str, service: str = "lambda.amazonaws.com") -> str:
        """A role ``service`` may assume, allowed every action: for tests about something else
        than IAM, now that the runtime enforces it (CreateFunction wants a real role)."""
        iam = self.client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                 "Action": "sts:AssumeRole", "Principal": {"Service": service}}]}  # fmt: skip
        try:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
            arn = arn["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        everything = {"Version": "2012-10-17",
                      "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # fmt: skip
        iam.put_role_policy(RoleName=name, PolicyName="tests-allow-all",
                            PolicyDocument=json.dumps(everything))  # fmt: skip
        return str(arn)

    def queue_for_topic(self, topic_arn: str, name: str) -> str:
        """An SQS queue subscribed to ``topic_arn``, with the queue policy AWS (and the runtime,
        IAM enforced) requires before SNS may deliver to it; returns the queue URL."""
        sqs = self.client("sqs")
        queue = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        arn = arn["Attributes"]["QueueArn"]
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}  # fmt: skip
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(policy)})
        self.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
        return str(queue)

    def status(self) -> dict[str, Any]:
        data = launcher.status(self.endpoint_url)
        assert data is not None, "the runtime does not answer /_atelier/status"
        return data

    def stop(self) -> None:
        if self.settings is not None:
            launcher.stop(self.settings)


def start_runtime(
    home: Path, *, persist: bool = False, port: int | None = None, env: dict[str, str] | None = None
) -> Runtime:
    """Start a private runtime (the caller stops it with ``.stop()``)."""
    settings = Settings(home=home, port=port or free_port(), persist=persist)
    extra = {"ATELIER_IMAGES_DIRS": str(FIXTURE_IMAGES), "ATELIER_STOP_TIMEOUT": "3", **(env or {})}
    proc = launcher.start(settings, env=extra)
    return Runtime(
        endpoint_url=proc.endpoint_url,
        home=home,
        port=settings.port,
        pid=proc.pid,
        region=settings.region,
        settings=settings,
    )


@contextmanager
def temporary_runtime(prefix: str) -> Iterator[Runtime]:
    """A runtime in a fresh temporary home, stopped and removed on exit. As root, PostgreSQL runs
    as an unprivileged user, which must reach its data under the home (``mkdtemp`` makes it
    0700): this temporary directory only is opened (0755), nothing of the system."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o755)
    runtime: Runtime | None = None
    try:
        runtime = start_runtime(home)
        yield runtime
    finally:
        if runtime is not None:
            runtime.stop()
        shutil.rmtree(home, ignore_errors=True)


LAMBDA_INVOCATION_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"
)


def token_authorized_api(
    apigw: Any, name: str, authorizer_arn: str, backend_arn: str, path_part: str, stage: str
) -> str:
    """A REST API with one ``GET /<path_part>`` route behind a TOKEN authorizer (no result
    cache), proxied to ``backend_arn``, deployed to ``stage``; returns the API id."""
    api = str(apigw.create_rest_api(name=name)["id"])
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    res = apigw.create_resource(restApiId=api, parentId=root, pathPart=path_part)["id"]
    authorizer = apigw.create_authorizer(
        restApiId=api,
        name=f"{name}-token",
        type="TOKEN",
        authorizerUri=LAMBDA_INVOCATION_URI.format(authorizer_arn),
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )["id"]
    apigw.put_method(
        restApiId=api,
        resourceId=res,
        httpMethod="GET",
        authorizationType="CUSTOM",
        authorizerId=authorizer,
    )
    apigw.put_integration(
        restApiId=api,
        resourceId=res,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=LAMBDA_INVOCATION_URI.format(backend_arn),
    )
    apigw.create_deployment(restApiId=api, stageName=stage)
    return api
