from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from atelier.cost import budgets
from atelier.cost.prices import PriceTable
from atelier.topology import Topology


def test_the_committed_budgets_match_the_estimate(topology: Topology, prices: PriceTable) -> None:
    problem = budgets.drift(topology, prices)
    assert problem is None, problem


def test_a_drifted_budget_file_is_caught_naming_the_environment(
    topology: Topology, prices: PriceTable, tmp_path: Path
) -> None:
    data = json.loads(budgets.committed_path().read_text())
    data["environments"]["prod"]["budget_usd"] += 100
    path = tmp_path / "budgets.json"
    path.write_text(json.dumps(data))
    problem = budgets.drift(topology, prices, path)
    assert problem is not None and "prod: committed" in problem
    assert "atelier cost budgets --write" in problem


def test_the_budget_is_the_estimate_plus_the_margin(topology: Topology, prices: PriceTable) -> None:
    data = budgets.generate(topology, prices)
    for env in ("qa", "preprod", "prod"):
        entry = data["environments"][env]
        assert entry["budget_usd"] >= entry["estimate_usd"] * (1 + budgets.MARGIN_PERCENT / 100)
        assert entry["budget_usd"] < entry["estimate_usd"] * (1 + budgets.MARGIN_PERCENT / 100) + 10


def test_the_budgets_module_reads_the_generated_file() -> None:
    main = (budgets.committed_path().parent / "main.tf").read_text()
    assert 'file("${path.module}/budgets.json")' in main
    assert "local.limit_usd" in main
    assert '"ACTUAL"' in main and '"FORECASTED"' in main


def test_thresholds_cross_like_aws_budgets() -> None:
    assert budgets.crossed(40, 90, 100) == []
    kinds = {(a.kind, a.threshold) for a in budgets.crossed(85, 120, 100)}
    assert kinds == {("ACTUAL", 50.0), ("ACTUAL", 80.0), ("FORECASTED", 100.0)}


@mock_aws
def test_alerts_are_published_to_the_alert_topic() -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="atelier-local-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    assert budgets.alert_topic_arn(sns) == topic
    sent = budgets.publish(budgets.crossed(60, 70, 100), "prod", sns, topic)
    assert sent == 1
    (msg,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=5)["Messages"]
    body = json.loads(json.loads(msg["Body"])["Message"])
    assert body["notificationType"] == "ACTUAL" and body["thresholdPercent"] == 50.0


@pytest.mark.parametrize("usd,expected", [(100.0, 130), (183.88, 230), (0.0, 0)])
def test_budget_rounding(usd: float, expected: int) -> None:
    assert budgets.budget_for(usd) == expected
