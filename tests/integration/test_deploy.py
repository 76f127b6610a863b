"""`atelier deploy` / `atelier destroy` against a real runtime.

From scratch every resource exists and answers (website, API with its authorizer); a second run
changes nothing; a touched lambda source updates that lambda only; destroy removes it all.

The deploy works on a copy of the repository's deployable sources (topology, lambdas, frontend
build) so the test can edit a lambda without touching the working tree. Where the lambdas are not
written yet, small stand-ins take their place (same handlers, same contract for the test).
"""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
from click.testing import CliRunner

from atelier.config import Settings
from atelier.deploy import apply, inventory
from atelier.deploy.change import Action
from atelier.deploy.cli import deploy, destroy
from atelier.deploy.context import Deployment
from atelier.deploy.plan import DEPLOY
from atelier.deploy.steps.app import runs_processes
from atelier.deploy.teardown import DESTROY
from atelier.topology import expand, load
from atelier_devtools.deployed_api import stack_env
from atelier_devtools.sandbox import Runtime, plain_ministack

pytestmark = pytest.mark.integration
# Our own environment (a clone of `local`): the session runtime is shared with other tests that
# may deploy `atelier-local-*`; this module deploys and destroys `atelier-itest-*` only.
ENV = "itest"


def _topology(env: dict[str, str]) -> Path:
    return Path(env["ATELIER_REPO_ROOT"]) / "topology.yaml"


def _expansion(env: dict[str, str]) -> Any:
    return expand(load(_topology(env)), ENV)


@pytest.fixture(scope="module")
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    """The shared runtime when tests/conftest.py provides one, else plain MiniStack."""
    try:
        shared = request.getfixturevalue("runtime")
    except pytest.FixtureLookupError:
        with plain_ministack(tmp_path_factory.mktemp("ministack")) as runtime:
            yield runtime
        return
    url = urlparse(shared.endpoint_url)
    yield Runtime(url.hostname or "127.0.0.1", int(shared.port))


@pytest.fixture(scope="module")
def env(target: Runtime, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return stack_env(target.endpoint_url, tmp_path_factory.mktemp("repo"), ENV)


def _cli(command: Any, env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(
        command,
        ["--topology", str(Path(env["ATELIER_REPO_ROOT"]) / "topology.yaml"), *args],
        env=env,
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def _aws(env: dict[str, str], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://{env['ATELIER_HOST']}:{env['ATELIER_PORT']}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _login(api: str, creds: dict[str, Any]) -> str:
    """A token from ``POST /auth`` with the deploy's credentials."""
    status, body = _http(
        "POST", f"{api}/auth", {"username": creds["username"], "password": creds["password"]}
    )
    assert status == 200, body
    return str(json.loads(body)["token"])


def _http(method: str, url: str, body: Any = None, token: str = "") -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture(scope="module")
def deployed(env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Deployed once for the module; destroyed at its end even when a test failed, so no
    service keeps running (and restarting) for the rest of the session."""
    output = _cli(deploy, env, "--service-wait", "0")
    assert "created" in output
    home = Path(env["ATELIER_HOME"])
    yield {"output": output, "outputs": json.loads((home / "outputs.json").read_text())}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        apply.run(Deployment.from_settings(Settings(), _topology(env)), DESTROY)


def test_from_scratch_every_resource_exists(env: dict[str, str], deployed: dict[str, Any]) -> None:
    exp = _expansion(env)
    out = deployed["outputs"]
    s3, ddb = _aws(env, "s3"), _aws(env, "dynamodb")
    key = _aws(env, "kms").describe_key(KeyId=f"alias/{exp.prefix.removesuffix('-')}")
    assert key["KeyMetadata"]["KeyState"] == "Enabled"
    for bucket in exp.buckets.values():
        s3.head_bucket(Bucket=bucket.name)
        rules = s3.get_bucket_encryption(Bucket=bucket.name)["ServerSideEncryptionConfiguration"]
        # as terraform/modules applies it: data buckets SSE-KMS with the env's key, website SSE-S3
        wanted = (
            {"SSEAlgorithm": "AES256"}
            if bucket.website
            else {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["KeyMetadata"]["Arn"]}
        )
        assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"] == wanted, bucket.name
        assert rules["Rules"][0].get("BucketKeyEnabled", False) is not bucket.website
    assert s3.get_bucket_versioning(Bucket=exp.buckets["models"].name)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=exp.buckets["inputs"].name)
    assert all(block["PublicAccessBlockConfiguration"].values())
    for table in exp.tables.values():
        assert ddb.describe_table(TableName=table.name)["Table"]["TableStatus"] == "ACTIVE"
    ttl = ddb.describe_time_to_live(TableName=exp.tables["idempotency"].name)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiration"

    lam = _aws(env, "lambda")
    for fn in exp.lambdas.values():
        conf = lam.get_function_configuration(FunctionName=fn.function_name)
        layers = [layer["Arn"].split(":")[6] for layer in conf["Layers"]]
        assert conf["Runtime"] == "python3.11"
        assert layers == [f"{exp.layer_name}-deps", exp.layer_name]  # third-party, then shared
        variables = conf["Environment"]["Variables"]
        assert variables["JOBS_TABLE"] == exp.tables["jobs"].name
        assert variables["DB_SECRET_ARN"] == out["secrets"]["db"]
        assert variables["SERVICE_URL"] == out["service_urls"]["structured_data"]

    ecs = _aws(env, "ecs")
    assert ecs.describe_clusters(clusters=[exp.cluster])["clusters"][0]["status"] == "ACTIVE"
    gpu = ecs.describe_task_definition(
        taskDefinition=exp.pipelines["non_structured_al_data_images"].family
    )
    container = gpu["taskDefinition"]["containerDefinitions"][0]
    assert container["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert container["image"].endswith(
        ".amazonaws.com/atelier/non_structured_al_data_images:latest"
    )
    service = ecs.describe_services(
        cluster=exp.cluster, services=[exp.services["structured_data"].name]
    )
    assert service["services"][0]["loadBalancers"][0]["containerPort"] == 8080

    elbv2 = _aws(env, "elbv2")
    tg = elbv2.describe_target_groups(Names=[exp.services["structured_data"].target_group_name])
    assert (tg["TargetGroups"][0]["TargetType"], tg["TargetGroups"][0]["HealthCheckPath"]) == (
        "ip",
        "/health",
    )
    lb = elbv2.describe_load_balancers(Names=[exp.services["structured_data"].alb_name])
    assert lb["LoadBalancers"][0]["Scheme"] == "internal"

    rds = _aws(env, "rds").describe_db_instances(DBInstanceIdentifier=exp.database.identifier)
    assert rds["DBInstances"][0]["DBInstanceStatus"] == "available"
    secret = json.loads(
        _aws(env, "secretsmanager").get_secret_value(SecretId=out["secrets"]["db"])["SecretString"]
    )
    assert f"{secret['host']}:{secret['port']}" == out["db_endpoint"] and secret["password"]

    repos = _aws(env, "ecr").describe_repositories()["repositories"]
    assert set(exp.repositories.values()) <= {r["repositoryName"] for r in repos}
    groups = _aws(env, "logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{exp.prefix}")
    assert {g["retentionInDays"] for g in groups["logGroups"]} == {exp.log_retention_days}
    alarms = _aws(env, "cloudwatch").describe_alarms(AlarmNamePrefix=exp.prefix)["MetricAlarms"]
    assert len(alarms) == len(exp.alarms) and all(
        a["AlarmActions"] == [out["alerts_topic_arn"]] for a in alarms
    )
    roles = {r["RoleName"] for r in _aws(env, "iam").list_roles()["Roles"]}
    assert {fn.role_name for fn in exp.lambdas.values()} <= roles


def test_the_website_serves_index_html_and_its_config(deployed: dict[str, Any]) -> None:
    out = deployed["outputs"]
    status, body = _http("GET", out["frontend_url"])
    assert status == 200 and b"<html" in body.lower()
    status, body = _http("GET", out["frontend_url"].rsplit("/", 1)[0] + "/config.json")
    assert status == 200 and json.loads(body)["apiUrl"] == out["api_url"]


def test_the_runtime_serves_the_website_endpoint(
    env: dict[str, str], deployed: dict[str, Any]
) -> None:
    out = deployed["outputs"]
    if not runs_processes(out["endpoint_url"]):
        pytest.skip("plain MiniStack answers a website request with a bucket listing")
    website = urlparse(out["frontend_website_url"])
    req = urllib.request.Request(f"{out['endpoint_url']}/", headers={"Host": website.netloc})
    with urllib.request.urlopen(req, timeout=30) as resp:  # *.localhost: Python cannot resolve it
        assert resp.status == 200 and b"<html" in resp.read().lower()


def test_the_api_wants_a_token_except_on_auth(
    env: dict[str, str], deployed: dict[str, Any]
) -> None:
    api = deployed["outputs"]["api_url"]
    status, body = _http("POST", f"{api}/structured_data", {"id": "1789"})
    assert status == 401, body

    creds_path = Path(env["ATELIER_HOME"]) / "credentials.json"
    assert stat.S_IMODE(creds_path.stat().st_mode) == 0o600
    creds = json.loads(creds_path.read_text())
    assert creds["password"] in deployed["output"]  # shown once, in the first deploy's output
    token = _login(api, creds)

    status, body = _http("POST", f"{api}/structured_data", {"id": "1789"}, token=token)
    assert status not in (401, 403), body  # the authorizer accepted the token auth signed

    status, _ = _http("OPTIONS", f"{api}/structured_data")
    assert status == 200


def test_the_authorizer_answer_is_kept_per_token_and_covers_every_route(
    env: dict[str, str], deployed: dict[str, Any]
) -> None:
    """The TOKEN authorizer keeps its answer for the topology's TTL (the value Terraform sets too,
    AWS's default 300 s), so one token's cached policy must allow every route, not only the one
    that was asked first: on AWS a policy naming one method ARN denies the token's next route."""
    exp = _expansion(env)
    apig = _aws(env, "apigateway")
    (api,) = [a for a in apig.get_rest_apis()["items"] if a["name"] == exp.api.name]
    (authorizer,) = apig.get_authorizers(restApiId=api["id"])["items"]
    assert authorizer["authorizerResultTtlInSeconds"] == exp.api.authorizer_ttl_seconds == 300

    url = deployed["outputs"]["api_url"]
    token = _login(url, json.loads((Path(env["ATELIER_HOME"]) / "credentials.json").read_text()))
    for method, path, payload in (
        ("POST", "/structured_data", {"id": "1789"}),
        ("GET", "/jobs", None),
        ("POST", "/structured_data", {"id": "1789"}),
    ):
        status, body = _http(method, f"{url}{path}", payload, token=token)
        assert status not in (401, 403), f"{method} {path} with a cached answer: {status} {body!r}"


def test_a_second_deploy_changes_nothing(env: dict[str, str], deployed: dict[str, Any]) -> None:
    output = _cli(deploy, env)
    assert "no changes" in output
    assert "password" not in output.lower()  # the password is shown once only


def test_a_touched_lambda_is_the_only_update(env: dict[str, str], deployed: dict[str, Any]) -> None:
    handler = Path(env["ATELIER_REPO_ROOT"]) / "lambdas" / "jobs" / "handler.py"
    handler.write_text(handler.read_text() + "\n# touched by test_deploy\n")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        deployment = Deployment.from_settings(
            Settings(), Path(env["ATELIER_REPO_ROOT"]) / "topology.yaml"
        )
        report = apply.run(deployment, DEPLOY)
    changed = sorted((c.kind, c.name, c.action, c.detail) for c in report.changed)
    # lambdas/jobs is the source of both GET /jobs/{job_id} and GET /jobs
    functions = sorted(deployment.exp.lambdas[n].function_name for n in ("jobs", "job_list"))
    assert changed == [("lambda.function", f, Action.UPDATED, "code") for f in functions]
    # and every resource the deploy manages was checked, no more, no less
    assert {(c.kind, c.name) for c in report.changes} == inventory.resources(deployment.exp)


def test_destroy_removes_everything(env: dict[str, str], deployed: dict[str, Any]) -> None:
    exp = _expansion(env)
    output = _cli(destroy, env, "--yes")
    assert "removed" in output
    buckets = {b["Name"] for b in _aws(env, "s3").list_buckets()["Buckets"]}
    assert not buckets & {b.name for b in exp.buckets.values()}
    assert not set(_aws(env, "dynamodb").list_tables()["TableNames"]) & {
        t.name for t in exp.tables.values()
    }
    functions = {f["FunctionName"] for f in _aws(env, "lambda").list_functions()["Functions"]}
    assert not functions & {fn.function_name for fn in exp.lambdas.values()}
    assert not [
        a for a in _aws(env, "apigateway").get_rest_apis()["items"] if a["name"] == exp.api.name
    ]
    vpcs = _aws(env, "ec2").describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": [exp.network.vpc_name]}]
    )
    assert vpcs["Vpcs"] == []
    roles = {r["RoleName"] for r in _aws(env, "iam").list_roles()["Roles"]}
    assert not [r for r in roles if r.startswith(exp.prefix)]
    with pytest.raises(_aws(env, "rds").exceptions.DBInstanceNotFoundFault):
        _aws(env, "rds").describe_db_instances(DBInstanceIdentifier=exp.database.identifier)
    assert not (Path(env["ATELIER_HOME"]) / "credentials.json").exists()
    alias = f"alias/{exp.prefix.removesuffix('-')}"
    assert alias not in {a["AliasName"] for a in _aws(env, "kms").list_aliases()["Aliases"]}
    assert "nothing to remove" in _cli(destroy, env, "--yes")
