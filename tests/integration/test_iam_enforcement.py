"""IAM is enforced on the runtime: Lambdas run as their execution role, ECS tasks as their task
role, with the policies ``atelier deploy`` derives from ``topology.yaml``'s ``access``.

Each test grants what the topology says, makes the call (it succeeds), then removes one grant
from ``access``, re-derives the role's policy and makes the same call again: it fails with
AccessDenied naming the action. The root test keys (what ``atelier deploy`` and these tests use)
stay allowed everything.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from atelier.deploy.policies import Arns, lambda_policies, task_policies
from atelier.topology import Expansion, expand, load
from atelier_devtools.paths import REPO_ROOT

pytestmark = pytest.mark.integration
ENV = "iamtest"
LAMBDA = "jobs"  # access: {tables: {jobs: write}, tasks: read}
PIPELINE = "non_structured_data_images"  # access: {tables: {jobs: write}, buckets: {...}}
LAMBDA_TRUST = "lambda.amazonaws.com"
TASK_TRUST = "ecs-tasks.amazonaws.com"

PUT_ITEM = """
import os
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    try:
        boto3.client("dynamodb").put_item(
            TableName=os.environ["TABLE"], Item={"job_id": {"S": event["id"]}})
    except ClientError as exc:
        return {"ok": False, "code": exc.response["Error"]["Code"],
                "message": exc.response["Error"]["Message"]}
    return {"ok": True}
"""


def bundle(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", source)
    return buf.getvalue()


def expansion(tmp: Path, drop: tuple[str, str, str] | None = None) -> Expansion:
    """topology.yaml with an ``iamtest`` environment (a copy of ``local``), optionally without
    one grant: ``(section, name, access key)``, e.g. ``("lambdas", "jobs", "tables")``."""
    doc = yaml.safe_load((REPO_ROOT / "topology.yaml").read_text())
    doc["environments"][ENV] = doc["environments"]["local"]
    if drop is not None:
        section, name, key = drop
        del doc[section][name]["access"][key]
    path = tmp / f"topology-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return expand(load(path), ENV)


def put_role(iam: Any, name: str, service: str, docs: dict[str, Any]) -> str:
    """Create the role (once) and set exactly ``docs`` as its inline policies."""
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}  # fmt: skip
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        arn = arn["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    for old in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        if old not in docs:
            iam.delete_role_policy(RoleName=name, PolicyName=old)
    for policy, doc in docs.items():
        iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(doc))
    return str(arn)


@pytest.fixture(scope="module")
def table(runtime: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    exp = expansion(tmp_path_factory.mktemp("topology"))
    name = exp.tables["jobs"].name
    ddb = runtime.client("dynamodb")
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_the_runtime_enforces_iam(runtime: Any) -> None:
    assert runtime.status()["iam_enforce"] is True


def test_a_lambda_loses_a_call_when_its_grant_leaves_the_topology(
    runtime: Any, table: str, tmp_path: Path
) -> None:
    iam, lam = runtime.client("iam"), runtime.client("lambda")
    arns = Arns("us-east-1", "000000000000")
    full = expansion(tmp_path)
    fn = full.lambdas[LAMBDA]
    role = put_role(iam, fn.role_name, LAMBDA_TRUST, lambda_policies(full, fn, arns))
    name = f"{fn.function_name}-{uuid.uuid4().hex[:6]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="index.handler",
        Code={"ZipFile": bundle(PUT_ITEM)}, Timeout=30,
        Environment={"Variables": {"TABLE": table}},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)

    def call() -> dict[str, Any]:
        out = lam.invoke(FunctionName=name, Payload=json.dumps({"id": uuid.uuid4().hex}))
        assert "FunctionError" not in out, out["Payload"].read()
        return dict(json.loads(out["Payload"].read()))

    assert call() == {"ok": True}

    cut = expansion(tmp_path, drop=("lambdas", LAMBDA, "tables"))
    put_role(iam, fn.role_name, LAMBDA_TRUST, lambda_policies(cut, cut.lambdas[LAMBDA], arns))
    denied = call()
    assert denied["ok"] is False
    assert denied["code"] == "AccessDeniedException", denied
    assert "dynamodb:PutItem" in denied["message"], denied
    assert f"assumed-role/{fn.role_name}/" in denied["message"], denied


def _run_task(runtime: Any, ecs: Any, role_arn: str | None, table: str) -> tuple[int, list[str]]:
    family = f"iam-{uuid.uuid4().hex[:6]}"
    extra = {"taskRoleArn": role_arn} if role_arn else {}
    td = ecs.register_task_definition(
        family=family, networkMode="awsvpc", cpu="256", memory="512",
        requiresCompatibilities=["FARGATE"],
        containerDefinitions=[{
            "name": "main", "image": "atelier/awscaller", "essential": True,
            "environment": [{"name": "TABLE", "value": table}],
        }], **extra,
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    arn = ecs.run_task(
        cluster="iam", taskDefinition=td, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    )["tasks"][0]["taskArn"]  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        task = ecs.describe_tasks(cluster="iam", tasks=[arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert task["lastStatus"] == "STOPPED", task
    log = Path(runtime.home) / "logs" / "tasks" / f"{arn.rsplit('/', 1)[-1]}.log"
    return int(task["containers"][0].get("exitCode", -1)), log.read_text().splitlines()


def test_a_task_loses_a_call_when_its_grant_leaves_the_topology(
    runtime: Any, table: str, tmp_path: Path
) -> None:
    iam, ecs = runtime.client("iam"), runtime.client("ecs")
    ecs.create_cluster(clusterName="iam")
    arns = Arns("us-east-1", "000000000000")
    full = expansion(tmp_path)
    pipe = full.pipelines[PIPELINE]
    role = put_role(iam, pipe.task_role_name, TASK_TRUST, task_policies(pipe, arns))

    code, lines = _run_task(runtime, ecs, role, table)
    assert (code, lines[-1]) == (0, "ok"), lines
    assert f"as=arn:aws:sts::000000000000:assumed-role/{pipe.task_role_name}/" in lines[0]

    cut = expansion(tmp_path, drop=("pipelines", PIPELINE, "tables"))
    put_role(iam, pipe.task_role_name, TASK_TRUST, task_policies(cut.pipelines[PIPELINE], arns))
    code, lines = _run_task(runtime, ecs, role, table)
    assert code == 1, lines
    assert lines[-1].startswith("error=AccessDeniedException: "), lines
    assert "dynamodb:PutItem" in lines[-1] and pipe.task_role_name in lines[-1], lines


def test_a_task_without_a_task_role_has_no_credentials(runtime: Any, table: str) -> None:
    ecs = runtime.client("ecs")
    ecs.create_cluster(clusterName="iam")
    code, lines = _run_task(runtime, ecs, None, table)
    assert code == 2 and lines[-1].startswith("error=NoCredentialsError"), lines


def test_root_keys_may_do_everything_and_an_unknown_key_nothing(runtime: Any) -> None:
    """What `atelier deploy` relies on: the test keys are the account root. A key the runtime
    never issued is refused, as AWS refuses it."""
    import boto3
    from botocore.exceptions import ClientError

    name = f"anyone-{uuid.uuid4().hex[:6]}"
    runtime.client("sqs").create_queue(QueueName=name)  # root: no policy needed
    stranger = boto3.client(
        "sqs", endpoint_url=runtime.endpoint_url, region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG",
    )  # fmt: skip
    with pytest.raises(ClientError) as refused:
        stranger.list_queues()
    assert refused.value.response["Error"]["Code"] in {
        "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId"}  # fmt: skip
