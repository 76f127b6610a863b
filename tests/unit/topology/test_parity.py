"""The parity table predicts the (kind, name) pairs `atelier deploy` reports."""

from __future__ import annotations

from atelier.topology import expand, load
from atelier.topology.parity import COUNTERPARTS, TERRAFORM_ONLY, expected_names, unmatched

EXP = expand(load(), "local")
ROWS = {row.kind: row for row in COUNTERPARTS}


def test_names_come_from_the_expansion() -> None:
    assert expected_names(ROWS["dynamodb.table"], EXP) == {
        "atelier-local-jobs", "atelier-local-idempotency", "atelier-local-users"}  # fmt: skip
    assert expected_names(ROWS["rds.subnet_group"], EXP) == {"atelier-local-db-subnets"}
    assert expected_names(ROWS["elbv2.listener"], EXP) == {"atelier-local-sd:80"}
    assert expected_names(ROWS["ec2.subnet"], EXP) == {
        "atelier-local-private-0", "atelier-local-private-1"}  # fmt: skip
    assert "/aws/lambda/atelier-local-auth" in (expected_names(ROWS["logs.group"], EXP) or set())
    assert expected_names(ROWS["lambda.permission"], EXP) is None  # by kind only


def test_unmatched_reports_unknown_kinds_and_names() -> None:
    good = [("s3.bucket", "atelier-local-models"), ("iam.role", "atelier-local-jobs-lambda"),
            ("lambda.permission", "atelier-local-jobs/apigw"), ("user", "admin")]  # fmt: skip
    assert unmatched(good, EXP) == []
    problems = unmatched([("s3.bucket", "atelier-local-extra"), ("sqs.queue", "q")], EXP)
    assert problems[0].startswith("s3.bucket 'atelier-local-extra' is not a name Terraform creates")
    assert problems[1] == "deployer kind 'sqs.queue' (q) has no row in parity.COUNTERPARTS"


def test_every_terraform_only_entry_says_why() -> None:
    assert all(len(reason) > 15 for reason in TERRAFORM_ONLY.values())
    assert {"aws_cloudfront_distribution", "aws_wafv2_web_acl", "aws_budgets_budget",
            "aws_autoscaling_group", "aws_synthetics_canary"} <= set(TERRAFORM_ONLY)  # fmt: skip
