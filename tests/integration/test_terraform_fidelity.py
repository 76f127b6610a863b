"""The runtime answers back what it was sent (atelier.emulator.ministack_compat.terraform_fidelity).

Each test is one difference the AWS provider saw between what it created and what it read back
(hence a plan that never converged); through boto3 on the session runtime, as the provider
calls it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture()
def rest_api(runtime: Runtime) -> Iterator[tuple[Any, str, str]]:
    apig = runtime.client("apigateway")
    api = apig.create_rest_api(name="fidelity-api")["id"]
    root = apig.get_resources(restApiId=api)["items"][0]["id"]
    yield apig, api, root
    apig.delete_rest_api(restApiId=api)


def test_a_mock_integration_has_no_http_method(rest_api: tuple[Any, str, str]) -> None:
    apig, api, root = rest_api
    apig.put_method(restApiId=api, resourceId=root, httpMethod="OPTIONS", authorizationType="NONE")
    apig.put_integration(restApiId=api, resourceId=root, httpMethod="OPTIONS", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})  # fmt: skip
    got = apig.get_integration(restApiId=api, resourceId=root, httpMethod="OPTIONS")
    assert "httpMethod" not in got
    assert got["requestTemplates"] == {"application/json": '{"statusCode": 200}'}
    assert "cacheKeyParameters" not in got and "requestParameters" not in got
    method = apig.get_method(restApiId=api, resourceId=root, httpMethod="OPTIONS")
    for unset in ("requestModels", "requestParameters", "authorizationScopes", "authorizerId"):
        assert unset not in method, unset


def test_a_proxy_integration_keeps_its_http_method(rest_api: tuple[Any, str, str]) -> None:
    apig, api, root = rest_api
    apig.put_method(restApiId=api, resourceId=root, httpMethod="POST", authorizationType="NONE")
    fn = "arn:aws:lambda:us-east-1:000000000000:function:f"
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn}/invocations"
    apig.put_integration(restApiId=api, resourceId=root, httpMethod="POST", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=uri)  # fmt: skip
    got = apig.get_integration(restApiId=api, resourceId=root, httpMethod="POST")
    assert got["httpMethod"] == "POST" and got["uri"] == uri


def test_an_alarm_is_described_whole(runtime: Runtime) -> None:
    cw = runtime.client("cloudwatch")
    topic = "arn:aws:sns:us-east-1:000000000000:fidelity"
    cw.put_metric_alarm(
        AlarmName="fidelity-alarm", Namespace="AWS/ApiGateway", MetricName="5XXError",
        Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
        Dimensions=[{"Name": "ApiName", "Value": "a"}, {"Name": "Stage", "Value": "v1"}],
        AlarmActions=[topic], OKActions=[topic],
    )  # fmt: skip
    try:
        alarm = cw.describe_alarms(AlarmNames=["fidelity-alarm"])["MetricAlarms"][0]
    finally:
        cw.delete_alarms(AlarmNames=["fidelity-alarm"])
    assert alarm["Period"] == 300 and alarm["Statistic"] == "Sum"
    assert alarm["TreatMissingData"] == "notBreaching" and alarm["ActionsEnabled"] is True
    assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
    assert sorted(d["Name"] for d in alarm["Dimensions"]) == ["ApiName", "Stage"]
    assert alarm["AlarmConfigurationUpdatedTimestamp"].year >= 2024


def test_a_percentile_alarm_is_described_without_a_statistic(runtime: Runtime) -> None:
    # CloudWatch keeps Statistic or ExtendedStatistic, never both; with both, the provider plans
    # `statistic = "Average" -> null` after every apply (the canary's p99 latency alarm).
    cw = runtime.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="fidelity-p99", Namespace="Atelier/Canary", MetricName="Latency",
        ExtendedStatistic="p99", Period=300, EvaluationPeriods=1, Threshold=3000.0,
        ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    try:
        alarm = cw.describe_alarms(AlarmNames=["fidelity-p99"])["MetricAlarms"][0]
    finally:
        cw.delete_alarms(AlarmNames=["fidelity-p99"])
    assert alarm["ExtendedStatistic"] == "p99"
    assert "Statistic" not in alarm, alarm.get("Statistic")


def test_a_flow_log_keeps_its_settings(runtime: Runtime) -> None:
    ec2 = runtime.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    role = "arn:aws:iam::000000000000:role/flow"
    try:
        made = ec2.create_flow_logs(
            ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
            LogDestinationType="cloud-watch-logs", LogGroupName="/vpc/fidelity",
            DeliverLogsPermissionArn=role, MaxAggregationInterval=60,
        )["FlowLogIds"]  # fmt: skip
        log = ec2.describe_flow_logs(FlowLogIds=made)["FlowLogs"][0]
        assert log["MaxAggregationInterval"] == 60
        assert log["DeliverLogsPermissionArn"] == role
        ec2.delete_flow_logs(FlowLogIds=made)
    finally:
        ec2.delete_vpc(VpcId=vpc)


def test_a_service_keeps_its_az_rebalancing(runtime: Runtime) -> None:
    ecs = runtime.client("ecs")
    ecs.create_cluster(clusterName="fidelity")
    ecs.register_task_definition(family="fidelity", containerDefinitions=[
        {"name": "c", "image": "busybox", "memory": 64, "essential": True}])  # fmt: skip
    try:
        ecs.create_service(cluster="fidelity", serviceName="svc", taskDefinition="fidelity",
                           desiredCount=0, availabilityZoneRebalancing="DISABLED")  # fmt: skip
        svc = ecs.describe_services(cluster="fidelity", services=["svc"])["services"][0]
        assert svc["availabilityZoneRebalancing"] == "DISABLED"
        ecs.update_service(cluster="fidelity", service="svc",
                           availabilityZoneRebalancing="ENABLED")  # fmt: skip
        svc = ecs.describe_services(cluster="fidelity", services=["svc"])["services"][0]
        assert svc["availabilityZoneRebalancing"] == "ENABLED"
    finally:
        ecs.delete_service(cluster="fidelity", service="svc", force=True)
        ecs.delete_cluster(cluster="fidelity")


def test_the_public_gpu_ami_parameter_is_served(runtime: Runtime) -> None:
    ssm = runtime.client("ssm")
    name = "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"
    value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert value.startswith("ami-") and len(value) == 21


# --- found on the qa/preprod/prod roots (terraform_fidelity_edge and the alarm/flow-log fixes) ---
def test_a_response_headers_policy_has_no_header_lists_it_was_not_sent(runtime: Runtime) -> None:
    cf = runtime.client("cloudfront")
    made = cf.create_response_headers_policy(ResponseHeadersPolicyConfig={
        "Name": "fidelity-headers", "SecurityHeadersConfig": {
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"FrameOption": "DENY", "Override": True}}})  # fmt: skip
    got = cf.get_response_headers_policy(Id=made["ResponseHeadersPolicy"]["Id"])
    config = got["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]
    assert "CustomHeadersConfig" not in config and "RemoveHeadersConfig" not in config
    assert config["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"] == "DENY"


def test_a_launch_template_keeps_its_ebs_kms_key_and_interface_groups(runtime: Runtime) -> None:
    ec2 = runtime.client("ec2")
    key = "arn:aws:kms:us-east-1:000000000000:key/fidelity"
    made = ec2.create_launch_template(LaunchTemplateName="fidelity-lt", LaunchTemplateData={
        "ImageId": "ami-12345678", "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
            "VolumeSize": 100, "Encrypted": True, "KmsKeyId": key}}],
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False,
                               "Groups": ["sg-0123"]}]})  # fmt: skip
    raw: list[str] = []
    ec2.meta.events.register("after-call.ec2.DescribeLaunchTemplateVersions",
                             lambda http_response, **_: raw.append(http_response.text))  # fmt: skip
    versions = ec2.describe_launch_template_versions(
        LaunchTemplateId=made["LaunchTemplate"]["LaunchTemplateId"])["LaunchTemplateVersions"]  # fmt: skip
    ebs = versions[0]["LaunchTemplateData"]["BlockDeviceMappings"][0]["Ebs"]
    assert (ebs["KmsKeyId"], ebs["VolumeSize"], ebs["Encrypted"]) == (key, 100, True)
    (interface,) = versions[0]["LaunchTemplateData"]["NetworkInterfaces"]
    assert interface["Groups"] == ["sg-0123"]
    # the Go SDK (Terraform) reads only <groupId> members; botocore accepts any
    assert "<groupSet><groupId>sg-0123</groupId></groupSet>" in raw[0]


def test_a_percentile_alarm_has_no_statistic(runtime: Runtime) -> None:
    cw = runtime.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="fidelity-p99", Namespace="Atelier/Canary", MetricName="Latency",
                        ExtendedStatistic="p99", Period=300, EvaluationPeriods=1, Threshold=3000,
                        ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    (alarm,) = cw.describe_alarms(AlarmNames=["fidelity-p99"])["MetricAlarms"]
    assert alarm["ExtendedStatistic"] == "p99" and "Statistic" not in alarm
    cw.delete_alarms(AlarmNames=["fidelity-p99"])


def test_a_flow_log_keeps_its_tags(runtime: Runtime) -> None:
    ec2, logs = runtime.client("ec2"), runtime.client("logs")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    logs.create_log_group(logGroupName="/fidelity/flow")
    made = ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                LogGroupName="/fidelity/flow",
                                DeliverLogsPermissionArn="arn:aws:iam::000000000000:role/flow",
                                TagSpecifications=[{"ResourceType": "vpc-flow-log",
                                                    "Tags": [{"Key": "Env", "Value": "qa"}]}])  # fmt: skip
    (flow,) = ec2.describe_flow_logs(FlowLogIds=made["FlowLogIds"])["FlowLogs"]
    assert flow["Tags"] == [{"Key": "Env", "Value": "qa"}]


def test_describing_a_tag_that_was_never_pushed_is_image_not_found(runtime: Runtime) -> None:
    ecr = runtime.client("ecr")
    ecr.create_repository(repositoryName="fidelity/images")
    ecr.put_image(repositoryName="fidelity/images", imageTag="v1", imageManifest='{"layers": []}')
    found = ecr.describe_images(repositoryName="fidelity/images", imageIds=[{"imageTag": "v1"}])
    assert [d["imageTags"] for d in found["imageDetails"]] == [["v1"]]
    with pytest.raises(ecr.exceptions.ImageNotFoundException, match="v9"):
        ecr.describe_images(repositoryName="fidelity/images", imageIds=[{"imageTag": "v9"}])
