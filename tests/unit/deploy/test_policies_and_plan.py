"""Least-privilege documents from the expansion, the deploy graph, security-group reconciling."""

from __future__ import annotations

from typing import Any

import pytest

from atelier.deploy import network, plan, teardown
from atelier.deploy.change import Action
from atelier.deploy.clients import Clients
from atelier.deploy.policies import Arns, execution_policies, lambda_policies, task_policies
from atelier.topology import expand, load

ARNS = Arns("us-east-1", "000000000000")


@pytest.fixture(scope="module")
def exp() -> Any:
    return expand(load(), "local")


def _actions(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Sid -> resources, and every action granted."""
    return {s["Sid"]: s["Resource"] for s in doc["Statement"]}


def test_auth_lambda_reads_users_and_the_jwt_key_only(exp: Any) -> None:
    doc = lambda_policies(exp, exp.lambdas["auth"], ARNS)["least-privilege"]
    granted = {a for s in doc["Statement"] for a in s["Action"]}
    assert "dynamodb:PutItem" not in granted and "ecs:RunTask" not in granted
    by_sid = _actions(doc)
    assert by_sid["TablesRead"] == ARNS.tables("atelier-local-users")
    assert by_sid["Secrets"] == [ARNS.secret("atelier-local-jwt")]
    assert by_sid["OwnLogs"] == [ARNS.log_group("/aws/lambda/atelier-local-auth")]


def test_every_role_that_touches_data_gets_the_keys_data_key_through_the_services(
    exp: Any,
) -> None:
    key = "arn:aws:kms:us-east-1:000000000000:key/k"
    arns = Arns("us-east-1", "000000000000", key)
    docs = {n: lambda_policies(exp, fn, arns)["least-privilege"] for n, fn in exp.lambdas.items()}
    docs |= {f"task:{n}": task_policies(p, arns)["least-privilege"]
             for n, p in exp.pipelines.items() if task_policies(p, arns)}  # fmt: skip
    for name, doc in docs.items():
        by_sid = {s["Sid"]: s for s in doc["Statement"]}
        touches = {"TablesRead", "TablesWrite", "ObjectsRead", "ObjectsWrite", "PrefixesRead",
                   "PrefixesWrite", "Secrets"} & set(by_sid)  # fmt: skip
        assert ("DataKey" in by_sid) == bool(touches), name
        if touches:
            grant = by_sid["DataKey"]
            assert grant["Resource"] == [key]
            assert grant["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
            assert grant["Condition"]["StringLike"]["kms:ViaService"] == [
                "dynamodb.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com",
                "secretsmanager.us-east-1.amazonaws.com"]  # fmt: skip


def test_a_task_starting_lambda_runs_and_passes_only_its_own_pipeline(exp: Any) -> None:
    doc = lambda_policies(exp, exp.lambdas["non_structured_data_images"], ARNS)["least-privilege"]
    by_sid = _actions(doc)
    family = exp.pipelines["non_structured_data_images"].family
    assert by_sid["RunOwnTasks"] == [
        f"arn:aws:ecs:us-east-1:000000000000:task-definition/{family}:*"
    ]
    passed = by_sid["PassTaskRoles"]
    assert all("non_structured_data_images" in arn for arn in passed) and len(passed) == 2
    run = next(s for s in doc["Statement"] if s["Sid"] == "RunOwnTasks")
    assert run["Condition"]["ArnEquals"]["ecs:cluster"].endswith(":cluster/atelier-local")


def test_the_operations_lambda_reads_alarms_metrics_and_the_drift_prefix_only(exp: Any) -> None:
    """GET /operations: describe alarms and read metrics (read-only, no resource-level form for
    these calls), list and read of the artifacts bucket's drift/ prefix only; no table."""
    doc = lambda_policies(exp, exp.lambdas["operations"], ARNS)["least-privilege"]
    by_sid = _actions(doc)
    assert set(by_sid) == {"OwnLogs", "PrefixesList", "PrefixesRead", "MonitoringRead"}
    assert by_sid["PrefixesRead"] == ["arn:aws:s3:::atelier-local-artifacts/drift/*"]
    assert by_sid["PrefixesList"] == ["arn:aws:s3:::atelier-local-artifacts"]
    listing = next(s for s in doc["Statement"] if s["Sid"] == "PrefixesList")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["drift/*"]}}
    monitoring = next(s for s in doc["Statement"] if s["Sid"] == "MonitoringRead")
    assert monitoring["Action"] == [
        "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"
    ]  # fmt: skip
    granted = {a for s in doc["Statement"] for a in s["Action"]}
    assert not {a for a in granted if a.startswith(("s3:Put", "cloudwatch:Put", "dynamodb:"))}
    assert exp.lambdas["operations"].environment["ARTIFACTS_BUCKET"] == "atelier-local-artifacts"


def test_the_jobs_lambda_writes_jobs_and_describes_the_clusters_tasks_only(exp: Any) -> None:
    """GET /jobs marks a job FAILED when its task is STOPPED: jobs write + ecs:DescribeTasks;
    it presigns links to results, so it reads the results bucket (and nothing else)."""
    doc = lambda_policies(exp, exp.lambdas["jobs"], ARNS)["least-privilege"]
    by_sid = _actions(doc)
    assert set(by_sid) == {
        "OwnLogs", "TablesWrite", "DescribeOwnTasks", "BucketsList", "ObjectsRead"
    }  # fmt: skip
    assert by_sid["ObjectsRead"] == ["arn:aws:s3:::atelier-local-results/*"]
    assert by_sid["TablesWrite"] == ARNS.tables("atelier-local-jobs")
    assert by_sid["DescribeOwnTasks"] == ["arn:aws:ecs:us-east-1:000000000000:task/atelier-local/*"]
    granted = {a for s in doc["Statement"] for a in s["Action"]}
    assert {"dynamodb:UpdateItem", "ecs:DescribeTasks"} <= granted
    assert not granted & {"ecs:RunTask", "iam:PassRole", "ecs:StopTask"}


def test_only_lambdas_that_run_or_read_tasks_may_describe_them(exp: Any) -> None:
    for name, fn in exp.lambdas.items():
        sids = _actions(lambda_policies(exp, fn, ARNS)["least-privilege"])
        assert ("DescribeOwnTasks" in sids) == (name in {
            "jobs", "non_structured_data_images", "non_structured_al_data_images"
        }), name  # fmt: skip
    for pipe in exp.pipelines.values():
        doc = task_policies(pipe, ARNS).get("least-privilege", {"Statement": []})
        assert "DescribeOwnTasks" not in _actions(doc)


def test_only_the_vpc_lambda_may_manage_network_interfaces(exp: Any) -> None:
    in_vpc = {n for n, fn in exp.lambdas.items() if fn.in_vpc}
    for name, fn in exp.lambdas.items():
        sids = _actions(lambda_policies(exp, fn, ARNS)["least-privilege"])
        assert ("VpcNetworkInterfaces" in sids) == (name in in_vpc)


def test_task_and_execution_roles_are_scoped(exp: Any) -> None:
    pipe = exp.pipelines["structured_data"]
    task = _actions(task_policies(pipe, ARNS)["least-privilege"])
    assert task["ObjectsRead"] == ["arn:aws:s3:::atelier-local-models/*"]
    assert "ObjectsWrite" not in task
    execution = _actions(execution_policies(pipe, ARNS)["task-execution"])
    assert execution["PullOwnImage"] == [
        "arn:aws:ecr:us-east-1:000000000000:repository/atelier/structured_data"
    ]


def test_every_step_needs_only_earlier_steps() -> None:
    plan.check(plan.DEPLOY)
    plan.check(teardown.DESTROY)
    bad = (plan.Step("b", "b", plan.DEPLOY[0].run, ("a",)), plan.Step("a", "a", plan.DEPLOY[0].run))
    with pytest.raises(ValueError, match="step b needs"):
        plan.check(bad)


def test_security_groups_chain_lambda_alb_service_db(clients: Clients) -> None:
    names = {r: f"sg-{r}" for r in ("lambda", "alb", "service", "tasks", "db")}
    subnets = {
        "private-a": ("10.9.0.0/24", "us-east-1a"),
        "private-b": ("10.9.1.0/24", "us-east-1b"),
    }
    rules = network.security_rules(service_port=8080)
    net = network.ensure_network(clients, "vpc", "10.9.0.0/16", subnets, names, rules, {})
    assert {c.action for c in net.changes} == {Action.CREATED}

    ec2 = clients("ec2")
    db = ec2.describe_security_groups(GroupIds=[net.security_groups["db"]])["SecurityGroups"][0]
    assert [
        (p["FromPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]]) for p in db["IpPermissions"]
    ] == [(5432, [net.security_groups["service"]])]
    assert db["IpPermissionsEgress"] == []  # the default allow-all egress is gone

    # drift: someone opens the database to the world; the next deploy closes it again
    ec2.authorize_security_group_ingress(
        GroupId=net.security_groups["db"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    again = network.ensure_network(clients, "vpc", "10.9.0.0/16", subnets, names, rules, {})
    changed = {c.name: c.action for c in again.changes if c.action is not Action.UNCHANGED}
    assert changed == {"sg-db": Action.UPDATED}
    assert again.vpc_id == net.vpc_id and again.subnet_ids == net.subnet_ids
