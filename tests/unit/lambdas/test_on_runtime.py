"""The layer and the handlers on the real local runtime (MiniStack's Lambda, Atelier's agent).

Not through API Gateway yet (the deployed-stack tests do that): each function is created from
the same bundles ``atelier deploy`` builds and invoked with the API Gateway event fixtures.
The image task is the ``exiter`` test image (exits 3), so the job must end FAILED with the
exit code through ``GET /jobs`` reconciliation.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from lambda_testkit import ROOT, load_event

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    runtime: Any
    prefix: str

    def invoke(self, function: str, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = self.runtime.client("lambda").invoke(
            FunctionName=f"{self.prefix}{function}", Payload=json.dumps(event).encode()
        )
        payload = json.loads(response["Payload"].read())
        if response.get("FunctionError"):
            raise AssertionError(f"{function} failed: {payload}")
        return int(payload["statusCode"]), json.loads(payload["body"])

    def authorize(self, token: str) -> dict[str, Any]:
        response = self.runtime.client("lambda").invoke(
            FunctionName=f"{self.prefix}authorizer",
            Payload=json.dumps(
                {
                    "type": "TOKEN",
                    "authorizationToken": token,
                    "methodArn": "arn:aws:execute-api:us-east-1:000000000000:abc123/v1/GET/jobs/x",
                }
            ).encode(),
        )
        return {"error": response.get("FunctionError"), **json.loads(response["Payload"].read())}


@pytest.fixture(scope="module")
def stack(runtime: Any) -> Iterator[Stack]:
    from atelier.config import Settings
    from atelier.deploy import bundle

    p = f"lt{uuid.uuid4().hex[:8]}-"
    ddb, ecs, ec2, lam = (runtime.client(s) for s in ("dynamodb", "ecs", "ec2", "lambda"))
    for name, key in (("jobs", "job_id"), ("idempotency", "id"), ("users", "username")):
        ddb.create_table(
            TableName=f"{p}{name}",
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    secret = runtime.client("secretsmanager").create_secret(Name=f"{p}jwt", SecretString="s" * 64)
    from lambda_shared.passwords import hash_password

    ddb.put_item(
        TableName=f"{p}users",
        Item={"username": {"S": "ada"}, "password_hash": {"S": hash_password("pw-123456")}},
    )
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.0.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName=f"{p}tasks", Description="t", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=f"{p}cluster")
    ecs.register_task_definition(
        family=f"{p}images",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "non_structured_data_images",
                "image": "atelier/exiter",
                "essential": True,
                "environment": [{"name": "EXIT_CODE", "value": "3"}],
            }
        ],
    )
    layer = lam.publish_layer_version(
        LayerName=f"{p}shared",
        Content={"ZipFile": bundle.build_layer(ROOT).data},
        CompatibleRuntimes=["python3.11"],
    )["LayerVersionArn"]
    # the lambdas run with what they ship: the third-party layer too
    deps = lam.publish_layer_version(
        LayerName=f"{p}shared-deps",
        Content={"ZipFile": bundle.build_deps_layer(ROOT, Settings().cache_dir).data},
        CompatibleRuntimes=["python3.11"],
    )["LayerVersionArn"]
    # IAM is enforced; least privilege is tests/integration/test_iam_enforcement.py's subject,
    # here the role may do anything
    iam = runtime.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "lambda.amazonaws.com"}}]}  # fmt: skip
    role = iam.create_role(RoleName=f"{p}lambda", AssumeRolePolicyDocument=json.dumps(trust))
    anything = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # fmt: skip
    iam.put_role_policy(RoleName=f"{p}lambda", PolicyName="all",
                        PolicyDocument=json.dumps(anything))  # fmt: skip
    env = {
        "USERS_TABLE": f"{p}users",
        "JOBS_TABLE": f"{p}jobs",
        "IDEMPOTENCY_TABLE": f"{p}idempotency",
        "JWT_SECRET_ARN": secret["ARN"],
        "JWT_ISSUER": "atelier",
        "JWT_AUDIENCE": "atelier-api",
        "ECS_CLUSTER": f"{p}cluster",
        "IMAGES_TASK_DEFINITION": f"{p}images",
        "SUBNETS": subnet,
        "SECURITY_GROUPS": sg,
        "SERVICE_URL": "http://127.0.0.1:9",
    }
    functions = {
        "auth": ("auth", "handler.handler"),
        "authorizer": ("auth", "handler.authorize"),  # as topology.yaml builds it
        "images": ("non_structured_data_images", "handler.handler"),
        "jobs": ("jobs", "handler.handler"),
        "structured_data": ("structured_data", "handler.handler"),
    }
    for name, (source, handler) in functions.items():
        lam.create_function(
            FunctionName=f"{p}{name}",
            Runtime="python3.11",
            Role=role["Role"]["Arn"],
            Handler=handler,
            Code={"ZipFile": bundle.build_lambda(ROOT / "lambdas", source).data},
            Layers=[deps, layer],
            Environment={"Variables": env},
            Timeout=15,
        )
    yield Stack(runtime, p)
    for name in functions:
        lam.delete_function(FunctionName=f"{p}{name}")


def test_login_then_authorize(stack: Stack) -> None:
    event = load_event("apigw_rest_post_auth.json")
    status, body = stack.invoke(
        "auth", dict(event, body=json.dumps({"username": "ada", "password": "pw-123456"}))
    )
    assert status == 200 and body["expires_in"] == 900
    policy = stack.authorize(f"Bearer {body['token']}")
    assert policy["principalId"] == "ada" and policy["error"] is None
    refused = stack.authorize("Bearer a.b.c")
    assert refused["error"] and refused["errorMessage"] == "Unauthorized"
    status, body = stack.invoke(
        "auth", dict(event, body=json.dumps({"username": "ada", "password": "nope"}))
    )
    assert (status, body["error"]) == (401, "invalid_credentials")


def test_image_job_runs_its_task_and_a_dead_task_fails_the_job(stack: Stack) -> None:
    event = load_event("apigw_rest_post_non_structured_data_images.json")
    status, created = stack.invoke("images", event)
    assert status == 202 and created["status"] == "PENDING"
    assert stack.invoke("images", event) == (202, created)  # same Idempotency-Key, same job
    job_id = created["job_id"]
    get = load_event("apigw_rest_get_job.json")
    get = dict(get, path=f"/jobs/{job_id}", pathParameters={"job_id": job_id})
    deadline = time.monotonic() + 60
    while True:
        status, job = stack.invoke("jobs", get)
        assert status == 200
        if job["status"] == "FAILED" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert job["status"] == "FAILED"
    assert "exit code 3" in job["error"]


def test_unreachable_service_is_a_json_503(stack: Stack) -> None:
    status, body = stack.invoke(
        "structured_data", load_event("apigw_rest_post_structured_data.json")
    )
    assert (status, body["error"]) == (503, "service_unavailable")
