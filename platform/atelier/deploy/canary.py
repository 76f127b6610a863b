"""The every-minute model check on the runtime: the monitoring user, its secret, the ``canary``
Lambda (lambdas/canary) and its ``rate(1 minute)`` EventBridge schedule.

On AWS the Synthetics canary (terraform/modules/monitoring/canary.tf) runs the same
``model_check`` module; these resources are the local form of it (parity.LOCAL_ONLY).
"""

from __future__ import annotations

import hashlib
import json
import secrets as pysecrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from atelier.config import REPO_ROOT
from atelier.deploy import iam
from atelier.deploy.bundle import Bundle, source_files, zip_entries
from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found
from atelier.deploy.lambda_ import FunctionSpec, ensure_function, remove_function

MONITORING_USER = "monitoring"
SCHEDULE = "rate(1 minute)"
TIMEOUT_S = 55  # under the minute between runs: the image job is followed until 5 s before
# The golden image the canary submits (a composite of held-out digits, its answer key beside it);
# Terraform's monitoring module uploads the same file to the same key.
GOLDEN_IMAGE = (
    REPO_ROOT / "terraform" / "modules" / "monitoring" / "assets" / "canary-golden-image.png"
)
GOLDEN_IMAGE_KEY = "canary/golden-image.png"


@dataclass(frozen=True)
class Names:
    function: str
    rule: str
    secret: str
    role: str

    @classmethod
    def of(cls, prefix: str) -> Names:
        return cls(
            f"{prefix}canary", f"{prefix}canary-every-minute", f"{prefix}canary", f"{prefix}canary"
        )


def bundle() -> Bundle:
    root = REPO_ROOT / "lambdas" / "canary"
    entries = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in source_files(root)]
    golden = REPO_ROOT / "validation_data" / "golden" / "structured_data.json"
    entries.append(("golden.json", golden.read_bytes()))
    return Bundle(name="canary", data=zip_entries(sorted(entries)))


def ensure_user_secret(
    clients: Clients, users_table: str, name: str, hasher: Any, tags: dict[str, str]
) -> tuple[str, list[Change]]:
    """The monitoring user and the secret holding its password (made together, once)."""
    sm, ddb = clients("secretsmanager"), clients("dynamodb")
    user = ddb.get_item(TableName=users_table, Key={"username": {"S": MONITORING_USER}}).get("Item")
    try:
        arn: str = sm.describe_secret(SecretId=name)["ARN"]
        if user is not None:
            return arn, [unchanged("canary.secret", name), unchanged("user", MONITORING_USER)]
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    except ClientError as exc:
        if not is_not_found(exc):
            raise
    password = pysecrets.token_urlsafe(24)
    ddb.put_item(
        TableName=users_table,
        Item={
            "username": {"S": MONITORING_USER},
            "password_hash": {"S": hasher(password)},
            "created_at": {"S": datetime.now(UTC).isoformat(timespec="seconds")},
        },
    )
    arn = sm.create_secret(
        Name=name,
        Description="The monitoring user the canary logs in as",
        SecretString=json.dumps({"username": MONITORING_USER, "password": password}),
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )["ARN"]
    user_change = (updated if user else created)("user", MONITORING_USER)
    return arn, [created("canary.secret", name), user_change]


def ensure_golden_image(clients: Clients, bucket: str) -> Change:
    """The golden image in the inputs bucket, rewritten only when its bytes changed."""
    s3, data = clients("s3"), GOLDEN_IMAGE.read_bytes()
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    name = f"{bucket}/{GOLDEN_IMAGE_KEY}"
    try:
        etag = s3.head_object(Bucket=bucket, Key=GOLDEN_IMAGE_KEY)["ETag"].strip('"')
    except ClientError as exc:
        if not is_not_found(exc) and "404" not in str(exc):
            raise
        etag = None
    if etag == digest:
        return unchanged("canary.image", name)
    s3.put_object(Bucket=bucket, Key=GOLDEN_IMAGE_KEY, Body=data, ContentType="image/png")
    return (created if etag is None else updated)("canary.image", name)


def ensure_schedule(clients: Clients, rule: str, function: str, function_arn: str) -> list[Change]:
    events, lam = clients("events"), clients("lambda")
    try:
        current = events.describe_rule(Name=rule)
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        current = None
    rule_arn = events.put_rule(Name=rule, ScheduleExpression=SCHEDULE, State="ENABLED")["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "canary", "Arn": function_arn}])
    try:
        lam.add_permission(
            FunctionName=function,
            StatementId="events-schedule",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )
    except ClientError as exc:
        if "ResourceConflict" not in str(exc):
            raise
    same = current is not None and current.get("ScheduleExpression") == SCHEDULE
    return [(unchanged if same else created)("canary.schedule", rule)]


def ensure(
    clients: Clients,
    prefix: str,
    users_table: str,
    api_url: str,
    hasher: Any,
    tags: dict[str, str],
    job_limits: dict[str, int] | None = None,
    jobs_table: str = "",
    inputs_bucket: str = "",
    image_check: bool = False,
) -> tuple[str, list[Change]]:
    """``image_check`` (topology sizes.canary_image_check): each run also submits the golden
    image from ``inputs_bucket`` and follows its job."""
    names = Names.of(prefix)
    secret_arn, changes = ensure_user_secret(clients, users_table, names.secret, hasher, tags)
    image_link = ""
    if inputs_bucket:
        changes.append(ensure_golden_image(clients, inputs_bucket))
        image_link = f"s3://{inputs_bucket}/{GOLDEN_IMAGE_KEY}" if image_check else ""
    policies = {
        "canary": iam.policy(
            iam.statement(["cloudwatch:PutMetricData"], ["*"]),
            iam.statement(["secretsmanager:GetSecretValue"], [secret_arn]),
            iam.statement(["logs:CreateLogStream", "logs:PutLogEvents"], ["*"]),
            iam.statement(["dynamodb:Scan"], ["*"]),
        )
    }
    role = iam.ensure_role(clients, names.role, "lambda.amazonaws.com", policies, tags)
    changes.append(replace(role.change, kind="canary.role"))
    spec = FunctionSpec(
        name=names.function,
        handler="handler.handler",
        role_arn=role.arn,
        timeout=TIMEOUT_S,
        memory=256,
        env={
            "API_URL": api_url,
            "CANARY_SECRET_ARN": secret_arn,
            "CANARY_IMAGE_LINK": image_link,
            "JOBS_TABLE": jobs_table,
            "JOB_LIMITS": json.dumps(job_limits or {}, sort_keys=True),
        },
        layers=[],
        tags=tags,
    )
    fn = ensure_function(clients, spec, bundle())
    changes.append(replace(fn.change, kind="canary.function"))
    changes += ensure_schedule(clients, names.rule, names.function, fn.arn)
    return fn.arn, changes


def remove(clients: Clients, prefix: str) -> list[Change]:
    names = Names.of(prefix)
    events = clients("events")
    changes: list[Change] = []
    try:
        events.describe_rule(Name=names.rule)  # MiniStack's DeleteRule of no rule succeeds
        events.remove_targets(Rule=names.rule, Ids=["canary"])
        events.delete_rule(Name=names.rule)
        changes.append(deleted("canary.schedule", names.rule))
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        changes.append(absent("canary.schedule", names.rule))
    changes.append(replace(remove_function(clients, names.function), kind="canary.function"))
    changes.append(replace(iam.remove_role(clients, names.role), kind="canary.role"))
    try:
        clients("secretsmanager").delete_secret(
            SecretId=names.secret, ForceDeleteWithoutRecovery=True
        )
        changes.append(deleted("canary.secret", names.secret))
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        changes.append(absent("canary.secret", names.secret))
    return changes
