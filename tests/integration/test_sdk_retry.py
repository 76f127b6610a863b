"""A create whose answer is lost on the way back, retried by the SDK, succeeds once.

The fault proxy relays the call to the runtime, waits until the runtime answers (the role, the
log group exists), then resets the client's connection: the SDK sees a broken connection and
retries the same invocation. On the runtime that retry gets the first attempt's answer; without
it (a new invocation, as a second call would be) creating what exists is still refused. This is
the "already exists" a Terraform apply met on a starved runtime.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
from botocore.config import Config

from atelier.deploy.terraform import Workspace
from atelier.emulator.faults.proxy import Fault, FaultProxy
from atelier_devtools.terraform_tools import require_terraform

pytestmark = pytest.mark.integration
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"lambda.amazonaws.com"}}]}'  # noqa: E501


def _through(proxy: FaultProxy, service: str, runtime: Any) -> Any:
    return boto3.client(service, endpoint_url=proxy.url, region_name=runtime.region,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"mode": "standard", "max_attempts": 3}))  # fmt: skip


@pytest.fixture
def proxy(runtime: Any) -> Any:
    url = urlparse(runtime.endpoint_url)
    with FaultProxy(url.hostname or "127.0.0.1", int(url.port or 80)) as running:
        yield running


def test_a_role_whose_create_answer_was_lost_is_created_once(
    runtime: Any, proxy: FaultProxy
) -> None:
    name = f"lost-answer-{uuid.uuid4().hex[:8]}"
    iam = _through(proxy, "iam", runtime)
    proxy.fault = Fault("lose_answer", connections=1)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]
    assert proxy.connections == 2, "the first answer was not lost: the test proves nothing"
    assert role["RoleName"] == name
    assert runtime.client("iam").get_role(RoleName=name)["Role"]["Arn"] == role["Arn"]
    again = runtime.client("iam")
    with pytest.raises(again.exceptions.EntityAlreadyExistsException):
        again.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)


def test_a_log_group_whose_create_answer_was_lost_is_created_once(
    runtime: Any, proxy: FaultProxy
) -> None:
    name = f"/lost-answer/{uuid.uuid4().hex[:8]}"
    logs = _through(proxy, "logs", runtime)
    proxy.fault = Fault("lose_answer", connections=1)
    logs.create_log_group(logGroupName=name)
    assert proxy.connections == 2, "the first answer was not lost: the test proves nothing"
    groups = runtime.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [name]
    again = runtime.client("logs")
    with pytest.raises(again.exceptions.ResourceAlreadyExistsException):
        again.create_log_group(logGroupName=name)


ROLES_AND_GROUPS = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
}
variable "suffix" { type = string }
resource "aws_cloudwatch_log_group" "g" {
  count = 3
  name  = "/lost-answer/tf-${var.suffix}-${count.index}"
}
resource "aws_iam_role" "r" {
  count              = 3
  name               = "lost-answer-tf-${var.suffix}-${count.index}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
    Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
}
"""


def test_terraform_applies_through_lost_answers(
    runtime: Any, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The AWS provider retries each create whose answer was lost; every create still succeeds
    once (on the runtime without the replay this apply fails: "creating IAM Role ...:
    EntityAlreadyExists")."""
    require_terraform()
    (tmp_path / "main.tf").write_text(ROLES_AND_GROUPS)
    suffix = uuid.uuid4().hex[:8]
    ws = Workspace(root=tmp_path, endpoint_url=proxy.url, state_dir=tmp_path / "state",
                   variables={"suffix": suffix})  # fmt: skip
    ws.init()
    proxy.fault = Fault("lose_answer", connections=6)
    events = ws.apply()
    assert proxy.connections >= 7, "fewer answers were lost than the test means to lose"
    assert sum(e.get("type") == "apply_complete" for e in events) == 6
    roles = runtime.client("iam").list_roles()["Roles"]
    assert sum(r["RoleName"].startswith(f"lost-answer-tf-{suffix}") for r in roles) == 3
