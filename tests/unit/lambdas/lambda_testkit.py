"""Helpers of the lambdas' unit tests (importable: ``pythonpath`` in pyproject.toml)."""

from __future__ import annotations

import base64
import copy
import importlib.util
import ipaddress
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "tests" / "fixtures" / "events"

REGION = "us-east-1"
CLUSTER = "atelier-test"
JWT_KEY = "k" * 20 + "-test-signing-key-of-enough-length-0123456789"
ISSUER, AUDIENCE = "atelier", "atelier-api"
IMAGES_FAMILY = "atelier-test-non_structured_data_images"
AL_FAMILY = "atelier-test-non_structured_al_data_images"
USERNAME, PASSWORD = "ada", "correct horse battery staple"


# Offline DNS for the link checks (ml_common.links resolves hosts): IP literals resolve as
# themselves, these names to these addresses (None: no such host), any other name to a public
# address. Unit tests never depend on the machine's resolver or network.
PUBLIC_ADDRESS = "93.184.215.14"
FAKE_DNS: dict[str, str | None] = {
    "localhost": "127.0.0.1",
    "intranet.example": "10.0.0.1",
    "metadata.example": "169.254.169.254",
    "no-such-host.example": None,
}


def offline_getaddrinfo(real: Callable[..., Any]) -> Callable[..., Any]:
    """``socket.getaddrinfo`` over ``FAKE_DNS`` (``real`` only ever sees IP literals)."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is None:
            return real(host, port, *args, **kwargs)
        try:
            ipaddress.ip_address(name.split("%")[0])
        except ValueError:
            key = name.lower().rstrip(".")
            address = FAKE_DNS.get(key, PUBLIC_ADDRESS)
            if address is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    return getaddrinfo


@dataclass
class LambdaContext:
    function_name: str = "atelier-test-fn"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:atelier-test-fn"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "8f5f8f3c-1a2b-4c3d-9e8f-000000000001"
    log_group_name: str = "/aws/lambda/atelier-test-fn"
    log_stream_name: str = "2026/11/27/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 14_000


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]
    raw: dict[str, Any]


@cache
def client(service: str) -> Any:
    """A boto3 client for test setup; clients survive between moto mocks (moto intercepts every
    client created after it is imported), and creating them is most of a test's setup time."""
    return boto3.client(service, region_name=REGION)


@cache
def password_hash() -> str:
    """The test user's stored hash, computed once (scrypt is deliberately slow)."""
    from lambda_shared.passwords import hash_password

    return hash_password(PASSWORD)


def reset_caches() -> None:
    """Forget settings, keys and the idempotency layer (not the clients: see ``client``)."""
    from lambda_shared import settings, submit, tokens

    settings.reset()
    submit.reset()
    tokens.reset()


@dataclass
class Cloud:
    """The mocked account: tables, the JWT secret, a VPC and the ECS cluster."""

    secret_arn: str
    subnet: str
    security_group: str

    @staticmethod
    def ddb() -> Any:
        return client("dynamodb")

    @staticmethod
    def ecs() -> Any:
        return client("ecs")

    def job(self, job_id: str) -> dict[str, Any] | None:
        from ml_common.jobs import JobStore

        return JobStore("atelier-test-jobs", self.ddb()).get(job_id)

    def jobs(self) -> list[dict[str, Any]]:
        return self.ddb().scan(TableName="atelier-test-jobs")["Items"]  # type: ignore[no-any-return]

    def idempotency_records(self) -> list[dict[str, Any]]:
        return self.ddb().scan(TableName="atelier-test-idempotency")["Items"]  # type: ignore[no-any-return]

    def tasks(self) -> list[str]:
        return self.ecs().list_tasks(cluster=CLUSTER)["taskArns"]  # type: ignore[no-any-return]


@cache
def _deployer() -> tuple[Any, Any]:
    """The deployer's clients (moto's in-process AWS: no endpoint) and topology.yaml's tables,
    made once: a Clients is a new boto3 session, whose clients cost ~0.3 s each to create."""
    from atelier.deploy.clients import Clients
    from atelier.topology import load

    return Clients(None, REGION), load(ROOT / "topology.yaml").tables


def create_cloud() -> Cloud:
    # The tables as the deployer makes them from topology.yaml (the jobs owner index included).
    from atelier.deploy.dynamodb import ensure_table

    clients, tables = _deployer()
    for name in ("jobs", "idempotency", "users"):
        ensure_table(
            clients,
            f"atelier-test-{name}",
            tables[name].hash_key,
            indexes={i: ix.model_dump() for i, ix in tables[name].indexes.items()},
        )
    secret_arn = client("secretsmanager").create_secret(
        Name="atelier-test-jwt", SecretString=JWT_KEY
    )["ARN"]
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    # moto's awsvpc tasks need DNS hostnames on the VPC (they read the ENI's private DNS name)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.0.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ecs = client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    for family, container, compat in (
        (IMAGES_FAMILY, "non_structured_data_images", "FARGATE"),
        (AL_FAMILY, "non_structured_al_data_images", "EC2"),
    ):
        ecs.register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=[compat],
            cpu="1024",
            memory="2048",
            containerDefinitions=[
                {
                    "name": container,
                    "image": f"atelier/{container}",
                    "essential": True,
                    "cpu": 1024,
                    "memory": 2048,
                }
            ],
        )
    # the GPU task runs on EC2 capacity: one registered container instance
    reservation = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)
    instance = reservation["Instances"][0]
    document = {
        "availabilityZone": instance["Placement"]["AvailabilityZone"],
        "region": REGION,
        "privateIp": instance["PrivateIpAddress"],
        "instanceId": instance["InstanceId"],
        "instanceType": instance["InstanceType"],
        "imageId": instance["ImageId"],
        "accountId": "123456789012",
        "architecture": "x86_64",
        "version": "2017-09-30",
    }
    ecs.register_container_instance(cluster=CLUSTER, instanceIdentityDocument=json.dumps(document))
    return Cloud(secret_arn=secret_arn, subnet=subnet, security_group=sg)


_MODULES: dict[str, ModuleType] = {}


def load_handler(name: str, *, fresh: bool = False) -> ModuleType:
    """``lambdas/<name>/handler.py`` as module ``lambda_<name>_handler`` (loaded once, or anew
    with ``fresh``: decorators read some environment variables at import, as on a cold start)."""
    if fresh or name not in _MODULES:
        path = ROOT / "lambdas" / name / "handler.py"
        spec = importlib.util.spec_from_file_location(f"lambda_{name}_handler", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if fresh:
            return module
        _MODULES[name] = module
    return _MODULES[name]


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())  # type: ignore[no-any-return]


def with_body(event: dict[str, Any], body: Any, *, raw: bool = False) -> dict[str, Any]:
    """A copy of ``event`` with ``body`` (JSON-encoded unless ``raw``)."""
    out = copy.deepcopy(event)
    out["body"] = body if raw else json.dumps(body)
    return out


def with_header(event: dict[str, Any], name: str, value: str | None) -> dict[str, Any]:
    out = copy.deepcopy(event)
    for key in ("headers", "multiValueHeaders"):
        out[key] = {k: v for k, v in (out.get(key) or {}).items() if k.lower() != name.lower()}
    if value is not None:
        out["headers"][name] = value
        out["multiValueHeaders"][name] = [value]
    return out


def base64_body(event: dict[str, Any], data: bytes) -> dict[str, Any]:
    out = copy.deepcopy(event)
    out["body"] = base64.b64encode(data).decode()
    out["isBase64Encoded"] = True
    return out


def invoke(handler: Callable[..., dict[str, Any]], event: dict[str, Any]) -> Answer:
    raw = handler(event, LambdaContext())
    body = raw.get("body")
    parsed = json.loads(body) if body else None
    headers = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
    for key, values in (raw.get("multiValueHeaders") or {}).items():
        headers[key.lower()] = ", ".join(values)
    return Answer(status=raw["statusCode"], body=parsed, headers=headers, raw=raw)


def log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def assert_error(answer: Answer, status: int, code: str) -> None:
    """A JSON error body with a message and the code; never a stack trace."""
    assert answer.status == status, answer.body
    assert answer.headers.get("content-type") == "application/json"
    assert isinstance(answer.body, dict)
    assert answer.body["error"] == code, answer.body
    assert isinstance(answer.body["message"], str) and answer.body["message"]
    text = json.dumps(answer.body)
    assert "Traceback" not in text and 'File "' not in text
