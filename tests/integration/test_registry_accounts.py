"""Promotion across accounts on the real runtime: preprod and prod are two accounts (the runtime
keys every request by its 12-digit access key), each with its own models bucket."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from atelier.registry.cli import registry_group
from ml_common import model_store

pytestmark = pytest.mark.integration
MODEL = "structured_data"


class Accounts:
    def __init__(self, runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runtime = runtime
        self.keys = {env: f"{random.randrange(10**11, 10**12)}" for env in ("preprod", "prod")}
        # Bucket names are global, as on AWS: one pair per test.
        self.buckets = {env: f"t{self.keys[env]}-{env}-models" for env in self.keys}
        for env, key in self.keys.items():
            monkeypatch.setenv(f"ATELIER_{env.upper()}_ACCESS_KEY_ID", key)
            monkeypatch.setenv(f"ATELIER_{env.upper()}_SECRET_ACCESS_KEY", "test")
            monkeypatch.setenv(f"ATELIER_{env.upper()}_MODELS_BUCKET", self.buckets[env])
            self.s3(env).create_bucket(Bucket=self.buckets[env])
        monkeypatch.setenv("AWS_ENDPOINT_URL", runtime.endpoint_url)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    def s3(self, env: str) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.runtime.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=self.keys[env],
            aws_secret_access_key="test",
        )

    def train(self, monkeypatch: pytest.MonkeyPatch, payload: bytes) -> str:
        """A candidate stored in the preprod account, with the preprod account's key."""
        with monkeypatch.context() as m:
            m.setenv("AWS_ACCESS_KEY_ID", self.keys["preprod"])
            m.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the first credentials it saw
            return model_store.save_model(
                self.buckets["preprod"],
                MODEL,
                payload,
                {"accuracy": 0.91},
                "data-hash-1",
                "code-abc",
                {"C": 1.0},
                ext="json",
            )

    def prod_keys(self) -> list[str]:
        found = self.s3("prod").list_objects_v2(Bucket=self.buckets["prod"])
        return [o["Key"] for o in found.get("Contents", [])]


@pytest.fixture
def accounts(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Accounts:
    return Accounts(runtime, monkeypatch)


def _verdict(tmp_path: Path, version: str, decision: str) -> Path:
    path = tmp_path / f"{version}-{decision}.json"
    doc = {"candidate": version, "model": MODEL, "decision": decision, "reasons": [decision]}
    path.write_text(json.dumps(doc))
    return path


def _promote(version: str, verdict: Path, *extra: str) -> Any:
    args = ["promote", MODEL, version, "--to", "prod", "--from-env", "preprod"]
    return CliRunner().invoke(registry_group, [*args, "--verdict", str(verdict), *extra])


def test_the_accounts_are_separate(accounts: Accounts) -> None:
    names = {b["Name"] for b in accounts.s3("preprod").list_buckets()["Buckets"]}
    assert accounts.buckets["prod"] not in names, "preprod's credentials see prod's bucket"


def test_promote_copies_the_artifact_to_prod_with_its_lineage(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    version = accounts.train(monkeypatch, b'{"model": 1}')
    verdict = _verdict(tmp_path, version, "manual_review")
    result = _promote(version, verdict, "--approved", "--approved-by", "alice")
    assert result.exit_code == 0, result.output
    prod = accounts.s3("prod")
    assert model_store.resolve_version(accounts.buckets["prod"], MODEL, "prod", s3=prod) == version
    loaded = model_store.load_model(accounts.buckets["prod"], MODEL, "prod", s3=prod)
    assert loaded.data == b'{"model": 1}'
    meta = loaded.metadata
    assert (meta["data_hash"], meta["code_version"]) == ("data-hash-1", "code-abc")
    assert meta["promotion"]["from_env"] == "preprod"
    assert meta["promotion"]["decision"] == "manual_review"
    assert meta["promotion"]["approved_by"] == "alice"


def test_manual_review_without_approval_is_refused(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    version = accounts.train(monkeypatch, b"m")
    result = _promote(version, _verdict(tmp_path, version, "manual_review"))
    assert result.exit_code == 1
    assert "manual approval" in result.output
    assert accounts.prod_keys() == []


@pytest.mark.parametrize("bad", ["unknown", "checksum", "block"])
def test_bad_promotions_leave_prod_untouched(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bad: str
) -> None:
    version = accounts.train(monkeypatch, b"original")
    if bad == "checksum":  # the artifact changed after it was registered
        key = f"models/{MODEL}/{version}/model.json"
        accounts.s3("preprod").put_object(Bucket=accounts.buckets["preprod"], Key=key, Body=b"x")
    asked = "20990101T000000Z-0000000000" if bad == "unknown" else version
    result = _promote(asked, _verdict(tmp_path, asked, "block" if bad == "block" else "promote"))
    assert result.exit_code == 1, result.output
    expected = {"unknown": "has no version", "checksum": "checksum", "block": "blocked"}[bad]
    assert expected in result.output
    assert "Traceback" not in result.output
    assert accounts.prod_keys() == [], "a refused promotion left objects in prod"


def test_rollback_is_the_same_path_backwards(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = accounts.train(monkeypatch, b"first")
    second = accounts.train(monkeypatch, b"second")
    for version in (first, second):
        result = _promote(version, _verdict(tmp_path, version, "promote"))
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(registry_group, ["rollback", MODEL, "--env", "prod"])
    assert result.exit_code == 0, result.output
    prod = accounts.s3("prod")
    assert model_store.resolve_version(accounts.buckets["prod"], MODEL, "prod", s3=prod) == first
    # Forward again, then damage the earlier artifact: the rollback refuses, the pointer stays.
    assert _promote(second, _verdict(tmp_path, second, "promote")).exit_code == 0
    damaged = f"models/{MODEL}/{first}/model.json"
    prod.put_object(Bucket=accounts.buckets["prod"], Key=damaged, Body=b"!")
    result = CliRunner().invoke(registry_group, ["rollback", MODEL, "--env", "prod"])
    assert result.exit_code == 1 and "checksum" in result.output, result.output
    assert model_store.resolve_version(accounts.buckets["prod"], MODEL, "prod", s3=prod) == second


def _roles(accounts: Accounts, runtime: Any) -> tuple[Any, dict[str, str]]:
    """The service's task role and the training role of structured_data in preprod's account,
    with the policies the deployer derives from topology.yaml (``access`` and ``training:``),
    the models bucket renamed to this test's own."""
    from atelier.deploy.policies import Arns, task_policies
    from atelier.topology import expand, load

    iam = boto3.client("iam", endpoint_url=runtime.endpoint_url, region_name="us-east-1",
                       aws_access_key_id=accounts.keys["preprod"], aws_secret_access_key="test")  # fmt: skip
    pipe = expand(load(), "preprod").pipelines[MODEL]
    arns = Arns("us-east-1", accounts.keys["preprod"])
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}  # fmt: skip
    out = {}
    assert pipe.training_role_name == "atelier-preprod-structured_data-train"
    for name, docs in ((pipe.task_role_name, task_policies(pipe, arns)),
                       (pipe.training_role_name, task_policies(pipe, arns, training=True))):  # fmt: skip
        out[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"]["Arn"]  # fmt: skip
        for policy, doc in docs.items():
            text = json.dumps(doc).replace("atelier-preprod-models", accounts.buckets["preprod"])
            iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=text)
    return pipe, out


@pytest.mark.slow
def test_a_candidate_is_trained_in_preprod_by_an_ecs_task(accounts: Accounts, runtime: Any) -> None:
    """RunTask of the pipeline's own image with ``train --register``, in the preprod account, as
    the pipeline's training role: the candidate lands in preprod's registry with its lineage,
    nowhere else. The same task as the service's own role is refused the registry write."""
    from atelier.registry import training

    ecs = boto3.client(
        "ecs",
        endpoint_url=runtime.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=accounts.keys["preprod"],
        aws_secret_access_key="test",
    )
    ecs.create_cluster(clusterName="atelier-preprod")
    # IAM is enforced: the task definition names the service's role (models: read only)
    pipe, roles = _roles(accounts, runtime)
    ecs.register_task_definition(
        family="atelier-preprod-structured_data",
        taskRoleArn=roles[pipe.task_role_name],
        containerDefinitions=[
            {
                "name": "structured_data",
                "image": "atelier/structured_data:abc123",
                "essential": True,
                "environment": [
                    {"name": "MODELS_BUCKET", "value": accounts.buckets["preprod"]},
                    {"name": "SUBNETS", "value": "subnet-1,subnet-2"},
                    {"name": "SECURITY_GROUPS", "value": "sg-1"},
                ],
            }
        ],
        networkMode="awsvpc",
        cpu="512",
        memory="1024",
        requiresCompatibilities=["FARGATE"],
    )
    # the network comes from the task definition, as the lambdas that start tasks take it
    assert training.task_network(ecs, "atelier-preprod-structured_data", MODEL) == (
        ["subnet-1", "subnet-2"], ["sg-1"])  # fmt: skip
    done = training.train_in(
        "preprod",
        "structured_data",
        code_version="abc123",
        bucket=accounts.buckets["preprod"],
        subnets=["subnet-1"],
        timeout=300,
    )
    preprod = accounts.s3("preprod")
    [entry] = model_store.list_versions(accounts.buckets["preprod"], MODEL, s3=preprod)
    assert (entry["version"], entry["code_version"]) == (done.version, "abc123")
    assert entry["metrics"]["roc_auc"] > 0.9 and entry["data_hash"]
    pointer = model_store.resolve_version(
        accounts.buckets["preprod"], MODEL, "candidate", s3=preprod
    )
    assert pointer == done.version
    assert accounts.prod_keys() == []
    task = ecs.describe_tasks(cluster="atelier-preprod", tasks=[done.task_arn])["tasks"][0]
    assert task["overrides"]["taskRoleArn"] == roles[str(pipe.training_role_name)]

    # the service's own role may only read models: the same training, as that role, is refused
    with pytest.MonkeyPatch.context() as m:
        m.setattr(training, "training_role_arn", lambda *_: roles[pipe.task_role_name])
        with pytest.raises(training.TrainingFailed, match="exit code 1"):
            training.train_in("preprod", "structured_data", code_version="abc124",
                              bucket=accounts.buckets["preprod"], subnets=["subnet-1"],
                              timeout=300)  # fmt: skip
    log = _task_log(runtime, ecs)
    assert "AccessDenied" in log and "s3:PutObject" in log and pipe.task_role_name in log, log
    assert len(model_store.list_versions(accounts.buckets["preprod"], MODEL, s3=preprod)) == 1


def _task_log(runtime: Any, ecs: Any) -> str:
    """The log of the last stopped task in preprod's cluster (the compute agent's task log)."""
    arns = ecs.list_tasks(cluster="atelier-preprod", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster="atelier-preprod", tasks=arns)["tasks"]
    last = max(tasks, key=lambda t: t.get("stoppedAt") or t.get("createdAt"))
    path = Path(runtime.home) / "logs" / "tasks" / f"{last['taskArn'].rsplit('/', 1)[-1]}.log"
    return path.read_text()


def test_a_missing_training_role_is_a_clear_error(accounts: Accounts) -> None:
    from atelier.registry import training

    with pytest.raises(training.TrainingFailed, match="no training role atelier-preprod-"
                       "non_structured_data_images-train in preprod's account"):  # fmt: skip
        training.train_in("preprod", "non_structured_data_images", code_version="x",
                          bucket=accounts.buckets["preprod"])  # fmt: skip
