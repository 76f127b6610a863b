"""MiniStack answers, completed so that ``terraform plan`` right after an apply is empty.

The AWS provider reads every resource back after creating it and on each plan; where MiniStack
drops a field it was sent (or renders a default AWS does not), the provider sees a difference
and plans a change forever. Each fix below records what the request carried and answers it back,
as AWS does; none invents behaviour. Found with ``TF_LOG=DEBUG`` on ``terraform/envs/local``:

- API Gateway ``PutIntegration`` without ``httpMethod`` (a MOCK integration) is stored as
  ``POST``; AWS returns no ``httpMethod`` (``integration_http_method`` forced a replacement, and
  with it the deployment and the stage).
- RDS ``DescribeDBInstances`` never renders ``EnabledCloudwatchLogsExports`` nor
  ``PerformanceInsightsKMSKeyId``.
- ECS ``CreateService`` drops ``availabilityZoneRebalancing``.
- CloudWatch ``DescribeAlarms`` over the query protocol renders only nine fields of an alarm
  (no period, statistic, dimensions, actions, treat-missing-data).
- EC2 ``CreateFlowLogs`` drops ``MaxAggregationInterval``, ``DeliverLogsPermissionArn`` and
  ``LogFormat``, and the tags of a ``vpc-flow-log`` tag specification (MiniStack reads
  ``flow-log``).
- SSM has no ECS GPU AMI public parameter (the GPU capacity of qa/preprod/prod reads it).
- ECR ``DescribeImages`` of a tag that was never pushed answers as if it were not asked for;
  AWS answers ImageNotFoundException.

The runtime applies each fix (``FIXES``) when MiniStack first imports the module it fixes
(:mod:`.post_import`), ``apply()`` all at once; each fix checks that the code it wraps is there
and returns the names of the fixes applied. ``tests/unit/emulator/test_terraform_fidelity.py``
proves each one through boto3.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape, unescape
from typing import Any

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.apigateway_v1": ("_resources.get", "_v1_response"),
    "ministack.services.cloudwatch": ("_alarms.get",),
    "ministack.services.ec2": (
        "_flow_logs",
        "_flow_logs.items",
        "_flow_logs.keys",
        "_p",
        "_parse_tag_specs",
    ),
    "ministack.services.ecr": ("_find_image", "_repositories", "error_response_json"),
    "ministack.services.ecs": ("_resolve_cluster_name", "_resolve_service_ref", "_services.get"),
    "ministack.services.rds": ("_instances.get", "_p", "_parse_member_list"),
    "ministack.services.ssm": ("_PUBLIC_AMI_PARAMETERS.setdefault",),
}

log = logging.getLogger("atelier.terraform_fidelity")

Response = tuple[int, dict[str, str], bytes]


def _wrap(module: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Replace ``module.name`` (and its entry in the module's action map) by ``make(original)``."""
    original = getattr(module, name)
    if getattr(original, "__atelier_fidelity__", False):
        return
    wrapped = functools.wraps(original)(make(original))
    # not ``__wrapped__``: other hooks (rds_bridge) unwrap by it and would drop this fix
    del wrapped.__wrapped__
    wrapped.__atelier_fidelity__ = True  # type: ignore[attr-defined]
    setattr(module, name, wrapped)
    actions = getattr(module, "_ACTION_MAP", None)
    if isinstance(actions, dict):
        for action, handler in list(actions.items()):
            if handler is original:
                actions[action] = wrapped


# --- API Gateway: a MOCK integration has no httpMethod --------------------------------------------
def _apigateway() -> None:
    from ministack.services import apigateway_v1 as apig

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def put_integration(
            api_id: str, resource_id: str, http_method: str, data: dict[str, Any]
        ) -> Any:
            result = original(api_id, resource_id, http_method, data)
            if data.get("httpMethod"):
                return result
            resource = apig._resources.get(api_id, {}).get(resource_id) or {}
            integration = (resource.get("resourceMethods", {}).get(http_method) or {}).get(
                "methodIntegration"
            )
            if integration is None:
                return result
            integration.pop("httpMethod", None)
            return apig._v1_response(integration, 201)

        return put_integration

    _wrap(apig, "_put_integration", make)

    def make_response(original: Callable[..., Any]) -> Callable[..., Any]:
        def v1_response(data: Any, status: int = 200) -> Any:
            return original(_without_unset(data), status)

        return v1_response

    _wrap(apig, "_v1_response", make_response)


# Optional members AWS leaves out of a method, integration or authorizer when they were never
# set; MiniStack renders them empty, which the provider reads as "set to empty".
UNSET_WHEN_EMPTY = frozenset({
    "cacheKeyParameters", "requestParameters", "requestTemplates", "requestModels",
    "authorizationScopes", "operationName", "authorizerId", "responseTemplates",
    "responseParameters", "responseModels", "providerARNs",
})  # fmt: skip


def _without_unset(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: _without_unset(v)
            for k, v in data.items()
            if not (k in UNSET_WHEN_EMPTY and v in (None, "", [], {}))
        }
    if isinstance(data, list):
        return [_without_unset(v) for v in data]
    return data


# --- RDS: log exports and the Performance Insights key ---------------------------------------------
def _rds() -> None:
    from ministack.services import rds

    def remember(instance: dict[str, Any], params: dict[str, Any]) -> None:
        exports = rds._parse_member_list(params, "EnableCloudwatchLogsExports")
        if exports:
            instance["EnabledCloudwatchLogsExports"] = sorted(set(exports))
        key = rds._p(params, "PerformanceInsightsKMSKeyId")
        if key:
            instance["PerformanceInsightsKMSKeyId"] = key
        enable = rds._parse_member_list(params, "CloudwatchLogsExportConfiguration.EnableLogTypes")
        disable = rds._parse_member_list(
            params, "CloudwatchLogsExportConfiguration.DisableLogTypes"
        )
        if enable or disable:
            now = set(instance.get("EnabledCloudwatchLogsExports") or [])
            instance["EnabledCloudwatchLogsExports"] = sorted((now | set(enable)) - set(disable))

    def make_write(original: Callable[..., Any]) -> Callable[..., Any]:
        def write(params: dict[str, Any]) -> Any:
            result = original(params)
            instance = rds._instances.get(rds._p(params, "DBInstanceIdentifier"))
            if isinstance(result, tuple) and result[0] < 300 and instance is not None:
                remember(instance, params)
            return result

        return write

    def make_xml(original: Callable[..., Any]) -> Callable[..., Any]:
        def instance_xml(instance: dict[str, Any]) -> str:
            text = str(original(instance))
            exports = instance.get("EnabledCloudwatchLogsExports") or []
            if exports:
                members = "".join(f"<member>{escape(e)}</member>" for e in exports)
                text = text.replace(
                    "<EnabledCloudwatchLogsExports/>",
                    f"<EnabledCloudwatchLogsExports>{members}</EnabledCloudwatchLogsExports>",
                )
            key = instance.get("PerformanceInsightsKMSKeyId")
            if key and "<PerformanceInsightsKMSKeyId>" not in text:
                text += f"\n        <PerformanceInsightsKMSKeyId>{escape(key)}</PerformanceInsightsKMSKeyId>"
            return text

        return instance_xml

    _wrap(rds, "_create_db_instance", make_write)
    _wrap(rds, "_modify_db_instance", make_write)
    _wrap(rds, "_instance_xml", make_xml)


# --- ECS: availabilityZoneRebalancing as sent ------------------------------------------------------
def _ecs() -> None:
    from ministack.services import ecs

    def make(original: Callable[..., Any], creating: bool) -> Callable[..., Any]:
        def write(data: dict[str, Any]) -> Any:
            result = original(data)
            if not isinstance(result, tuple) or result[0] >= 300:
                return result
            value = data.get("availabilityZoneRebalancing") or ("DISABLED" if creating else None)
            if value is None:
                return result
            cluster = ecs._resolve_cluster_name(data.get("cluster", "default"))
            ref = data.get("serviceName") if creating else data.get("service")
            resolved = ecs._resolve_service_ref(ref) if ref else None
            service = ecs._services.get(f"{cluster}/{resolved[0]}") if resolved else None
            if service is None:
                return result
            service["availabilityZoneRebalancing"] = value
            body = json.loads(result[2] or b"{}")
            if isinstance(body.get("service"), dict):
                body["service"]["availabilityZoneRebalancing"] = value
                return (result[0], result[1], json.dumps(body, default=str).encode())
            return result

        return write

    _wrap(ecs, "_create_service", lambda o: make(o, True))
    _wrap(ecs, "_update_service", lambda o: make(o, False))


# --- CloudWatch: the whole alarm over the query protocol --------------------------------------------
ALARM_SCALARS = (
    "AlarmName", "AlarmArn", "AlarmDescription", "AlarmConfigurationUpdatedTimestamp",
    "ActionsEnabled", "StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp",
    "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit",
    "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
    "TreatMissingData", "EvaluateLowSampleCountPercentile", "ThresholdMetricId",
)  # fmt: skip
ALARM_LISTS = ("OKActions", "AlarmActions", "InsufficientDataActions")


def _xml_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if key.endswith("Timestamp") and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return escape(str(value))


def _metric_alarm_xml(alarm: dict[str, Any]) -> str:
    parts = [
        f"<{k}>{_xml_value(k, alarm[k])}</{k}>"
        for k in ALARM_SCALARS
        if alarm.get(k) is not None and alarm.get(k) != ""
    ]
    for key in ALARM_LISTS:
        members = "".join(f"<member>{escape(str(a))}</member>" for a in alarm.get(key) or [])
        parts.append(f"<{key}>{members}</{key}>")
    dims = "".join(
        f"<member><Name>{escape(str(d.get('Name', '')))}</Name>"
        f"<Value>{escape(str(d.get('Value', '')))}</Value></member>"
        for d in alarm.get("Dimensions") or []
    )
    parts.append(f"<Dimensions>{dims}</Dimensions>")
    return "<member>" + "".join(parts) + "</member>"


METRIC_ALARMS = re.compile(r"<MetricAlarms>(.*?)</MetricAlarms>", re.S)
ALARM_NAME = re.compile(r"<member><AlarmName>(.*?)</AlarmName>")


def _cloudwatch() -> None:
    from ministack.services import cloudwatch as cw

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def describe_alarms(
            params: Any, cbor_data: Any, is_cbor: bool, is_json: bool = False
        ) -> Any:
            status, headers, body = original(params, cbor_data, is_cbor, is_json)
            if is_cbor or is_json or status != 200:
                return status, headers, body
            text = body.decode()
            found = METRIC_ALARMS.search(text)
            if found is None:
                return status, headers, body
            members = []
            for name in ALARM_NAME.findall(found.group(1)):
                alarm = cw._alarms.get(unescape(name))
                if alarm is not None:
                    members.append(_metric_alarm_xml(alarm))
            rebuilt = f"<MetricAlarms>{''.join(members)}</MetricAlarms>"
            text = text[: found.start()] + rebuilt + text[found.end() :]
            return status, headers, text.encode()

        return describe_alarms

    _wrap(cw, "_describe_alarms", make)


# --- EC2: flow log settings as sent ----------------------------------------------------------------
FLOW_LOG_FIELDS = {
    "MaxAggregationInterval": "maxAggregationInterval",
    "DeliverLogsPermissionArn": "deliverLogsPermissionArn",
    "LogFormat": "logFormat",
}


def _ec2() -> None:
    from ministack.services import ec2

    def make_create(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_flow_logs(params: dict[str, Any]) -> Any:
            before = set(ec2._flow_logs.keys())
            result = original(params)
            for fl_id in set(ec2._flow_logs.keys()) - before:
                record = ec2._flow_logs[fl_id]
                record["MaxAggregationInterval"] = int(
                    ec2._p(params, "MaxAggregationInterval") or 600
                )
                for field in ("DeliverLogsPermissionArn", "LogFormat"):
                    if ec2._p(params, field):
                        record[field] = ec2._p(params, field)
                # AWS's resource type for a flow log's tags is "vpc-flow-log"
                ec2._parse_tag_specs(params, "vpc-flow-log", fl_id)
            return result

        return create_flow_logs

    def make_describe(original: Callable[..., Any]) -> Callable[..., Any]:
        def describe_flow_logs(params: dict[str, Any]) -> Any:
            status, headers, body = original(params)
            text = body.decode() if isinstance(body, bytes) else str(body)
            for fl_id, record in ec2._flow_logs.items():
                marker = f"<flowLogId>{fl_id}</flowLogId>"
                extra = "".join(
                    f"<{tag}>{escape(str(record[key]))}</{tag}>"
                    for key, tag in FLOW_LOG_FIELDS.items()
                    if record.get(key) not in (None, "")
                )
                text = text.replace(marker, marker + extra)
            return status, headers, text.encode()

        return describe_flow_logs

    _wrap(ec2, "_create_flow_logs", make_create)
    _wrap(ec2, "_describe_flow_logs", make_describe)


# --- SSM: the public parameters the roots read ---------------------------------------------------
# AWS publishes the ECS-optimised GPU AMI in every account and region; MiniStack knows two
# Amazon Linux ones. The value is a well-formed, made-up AMI id (no instance boots locally).
PUBLIC_PARAMETERS = {
    "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id": "ami-0a1b2c3d4e5f60718",
}


def _ssm() -> None:
    from ministack.services import ssm

    for name, value in PUBLIC_PARAMETERS.items():
        ssm._PUBLIC_AMI_PARAMETERS.setdefault(name, value)


# --- ECR: DescribeImages of a tag that was never pushed -------------------------------------------
def _ecr() -> None:
    """AWS answers ImageNotFoundException for an ``imageIds`` entry that names no image;
    MiniStack drops it and answers the others (a missing tag looked present to
    ``atelier.cicd.rollout`` and ``artifacts check-images``)."""
    from ministack.services import ecr

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def describe_images(data: dict[str, Any]) -> Any:
            name = data.get("repositoryName", "")
            if name in ecr._repositories:
                for image_id in data.get("imageIds") or []:
                    if not ecr._find_image(name, image_id):
                        shown = image_id.get("imageTag") or image_id.get("imageDigest")
                        return ecr.error_response_json(
                            "ImageNotFoundException",
                            f"The image with imageId {{imageTag:'{shown}'}} does not exist "
                            f"within the repository with name '{name}'",
                            400,
                        )
            return original(data)

        return describe_images

    _wrap(ecr, "_describe_images", make)


MS = "ministack.services."
FIXES: dict[str, tuple[str, Callable[[], None]]] = {
    "apigateway mock integration": (MS + "apigateway_v1", _apigateway),
    "rds log exports": (MS + "rds", _rds),
    "ecs az rebalancing": (MS + "ecs", _ecs),
    "cloudwatch alarm fields": (MS + "cloudwatch", _cloudwatch),
    "ec2 flow log fields": (MS + "ec2", _ec2),
    "ssm public parameters": (MS + "ssm", _ssm),
    "ecr image not found": (MS + "ecr", _ecr),
}


def apply() -> list[str]:
    """Apply every fix whose MiniStack code is there; the names of those applied."""
    applied = []
    for name, (_, fix) in FIXES.items():
        try:
            fix()
        except (AttributeError, ImportError) as exc:  # MiniStack changed: say so, keep serving
            log.warning("terraform fidelity fix %r not applied: %s", name, exc)
            continue
        applied.append(name)
    return applied
