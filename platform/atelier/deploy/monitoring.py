"""CloudWatch log groups with retention, metric filters, the SNS alert topic and metric alarms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found


@dataclass(frozen=True)
class Alarm:
    name: str
    namespace: str
    metric: str
    threshold: float
    period: int
    dimensions: dict[str, str]
    statistic: str = "Sum"
    description: str = ""
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1
    comparison: str = "GreaterThanOrEqualToThreshold"
    treat_missing_data: str = "notBreaching"


def ensure_log_groups(clients: Clients, names: list[str], retention_days: int) -> list[Change]:
    logs = clients("logs")
    found: dict[str, dict[str, Any]] = {}
    prefixes = sorted({n.rsplit("/", 1)[0] + "/" if "/" in n else n for n in names})
    for prefix in prefixes:
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
            found.update({g["logGroupName"]: g for g in page["logGroups"]})
    changes = []
    for name in names:
        group = found.get(name)
        if group is None:
            logs.create_log_group(logGroupName=name)
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
            changes.append(created("logs.group", name, f"{retention_days} days"))
        elif group.get("retentionInDays") != retention_days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
            changes.append(updated("logs.group", name, f"retention {retention_days} days"))
        else:
            changes.append(unchanged("logs.group", name))
    return changes


# terraform/modules/monitoring's aws_cloudwatch_log_metric_filter.jobs_failed, on each task's
# log group: a JSON log line with "status": "FAILED" counts one Atelier/JobsFailed.
FILTER_NAME = "jobs-failed"
FILTER_PATTERN = '{ $.status = "FAILED" }'
TRANSFORMATION = {
    "metricName": "JobsFailed",
    "metricNamespace": "Atelier",
    "metricValue": "1",
    "defaultValue": 0.0,
}


def _filter_state(current: dict[str, Any]) -> tuple[Any, ...]:
    moves = current.get("metricTransformations") or [{}]
    return (current.get("filterPattern"), *(moves[0].get(k) for k in TRANSFORMATION))


def ensure_metric_filters(clients: Clients, log_groups: list[str]) -> list[Change]:
    """The JobsFailed filter on each task log group (reported as ``<group>:jobs-failed``)."""
    logs, changes = clients("logs"), []
    wanted = (FILTER_PATTERN, *TRANSFORMATION.values())
    for group in log_groups:
        name = f"{group}:{FILTER_NAME}"
        found = logs.describe_metric_filters(logGroupName=group, filterNamePrefix=FILTER_NAME)
        current = next(
            (f for f in found.get("metricFilters", []) if f["filterName"] == FILTER_NAME), None
        )
        if current is not None and _filter_state(current) == wanted:
            changes.append(unchanged("logs.metric_filter", name))
            continue
        logs.put_metric_filter(
            logGroupName=group,
            filterName=FILTER_NAME,
            filterPattern=FILTER_PATTERN,
            metricTransformations=[TRANSFORMATION],
        )
        make = created if current is None else updated
        changes.append(make("logs.metric_filter", name, "Atelier/JobsFailed"))
    return changes


def remove_log_group(clients: Clients, name: str) -> Change:
    try:
        clients("logs").delete_log_group(logGroupName=name)
    except ClientError as exc:
        if is_not_found(exc):
            return absent("logs.group", name)
        raise
    return deleted("logs.group", name)


def ensure_topic(clients: Clients, name: str) -> tuple[str, Change]:
    """The alert topic; ``create_topic`` is idempotent, so look first to report honestly."""
    sns = clients("sns")
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return topic["TopicArn"], unchanged("sns.topic", name)
    arn: str = sns.create_topic(Name=name, Attributes={"KmsMasterKeyId": "alias/aws/sns"})[
        "TopicArn"
    ]
    return arn, created("sns.topic", name)


def remove_topic(clients: Clients, name: str) -> Change:
    sns = clients("sns")
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                sns.delete_topic(TopicArn=topic["TopicArn"])
                return deleted("sns.topic", name)
    return absent("sns.topic", name)


def _alarm_args(alarm: Alarm, topic_arn: str) -> dict[str, Any]:
    percentile = alarm.statistic.startswith("p")
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "Namespace": alarm.namespace,
        "MetricName": alarm.metric,
        ("ExtendedStatistic" if percentile else "Statistic"): alarm.statistic,
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "Threshold": float(alarm.threshold),
        "ComparisonOperator": alarm.comparison,
        "TreatMissingData": alarm.treat_missing_data,
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(alarm.dimensions.items())],
        "AlarmActions": [topic_arn],
        "OKActions": [topic_arn],
    }


def _same(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    for key, value in wanted.items():
        have = current.get(key)
        if key == "Dimensions":
            have = sorted(
                ({"Name": d["Name"], "Value": d["Value"]} for d in have or []),
                key=lambda d: d["Name"],
            )
        if key == "AlarmDescription" and not value and not have:
            continue
        if have != value:
            return False
    return True


def ensure_alarms(clients: Clients, alarms: list[Alarm], topic_arn: str) -> list[Change]:
    cw = clients("cloudwatch")
    names = [a.name for a in alarms]
    current = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    changes = []
    for alarm in alarms:
        args = _alarm_args(alarm, topic_arn)
        if alarm.name in current and _same(current[alarm.name], args):
            changes.append(unchanged("cloudwatch.alarm", alarm.name))
            continue
        cw.put_metric_alarm(**args)
        action = updated if alarm.name in current else created
        changes.append(action("cloudwatch.alarm", alarm.name, f"{alarm.namespace}/{alarm.metric}"))
    return changes


def remove_alarms(clients: Clients, names: list[str]) -> list[Change]:
    cw = clients("cloudwatch")
    present = {a["AlarmName"] for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    if present:
        cw.delete_alarms(AlarmNames=sorted(present))
    return [
        deleted("cloudwatch.alarm", n) if n in present else absent("cloudwatch.alarm", n)
        for n in names
    ]
