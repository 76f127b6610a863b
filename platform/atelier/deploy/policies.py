"""Least-privilege IAM documents from the expansion's ``Permissions`` (resource names → ARNs).

Each lambda and each task gets only the actions its topology ``access`` block names, on the
exact resources named; logs go only to its own log group.
"""

from __future__ import annotations

from atelier.deploy.iam import Document, policy, statement
from atelier.topology import Expansion
from atelier.topology.expander import LambdaFn, Permissions, Pipeline

TABLE_READ = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
]
TABLE_WRITE = [
    *TABLE_READ,
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
]
BUCKET_READ = ["s3:GetObject", "s3:GetObjectVersion"]
BUCKET_WRITE = [*BUCKET_READ, "s3:AbortMultipartUpload", "s3:PutObject"]
VPC_ENI = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:UnassignPrivateIpAddresses",
]


class Arns:
    def __init__(self, region: str, account: str, kms_key: str | None = None) -> None:
        self.region, self.account, self.kms_key = region, account, kms_key

    def table(self, name: str) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"

    def tables(self, name: str) -> list[str]:
        """The table and its indexes (a Query on an index names the index's ARN)."""
        return [self.table(name), f"{self.table(name)}/index/*"]

    def secret(self, name: str) -> str:  # AWS appends a random 6-character suffix
        return f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{name}-??????"

    def log_group(self, name: str) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}:*"

    def role(self, name: str) -> str:
        return f"arn:aws:iam::{self.account}:role/{name}"


def _data_statements(perms: Permissions, arns: Arns) -> list[Document]:
    out: list[Document] = []
    if perms.tables_read:
        out.append(
            statement(
                TABLE_READ, [a for t in perms.tables_read for a in arns.tables(t)], "TablesRead"
            )
        )
    if perms.tables_write:
        out.append(
            statement(
                TABLE_WRITE, [a for t in perms.tables_write for a in arns.tables(t)], "TablesWrite"
            )
        )
    buckets = sorted({*perms.buckets_read, *perms.buckets_write})
    if buckets:
        out.append(
            statement(["s3:ListBucket"], [f"arn:aws:s3:::{b}" for b in buckets], "BucketsList")
        )
    if perms.buckets_read:
        out.append(
            statement(
                BUCKET_READ, [f"arn:aws:s3:::{b}/*" for b in perms.buckets_read], "ObjectsRead"
            )
        )
    if perms.buckets_write:
        out.append(
            statement(
                BUCKET_WRITE, [f"arn:aws:s3:::{b}/*" for b in perms.buckets_write], "ObjectsWrite"
            )
        )
    out += _prefix_and_alarm_statements(perms)
    if perms.secrets:
        out.append(
            statement(
                ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                [arns.secret(s) for s in perms.secrets],
                "Secrets",
            )
        )
    data = (perms.tables_read, perms.tables_write, perms.buckets_read, perms.buckets_write,
            perms.prefixes_read, perms.prefixes_write, perms.secrets)  # fmt: skip
    if arns.kms_key and any(data):
        out.append(_data_key(arns))
    return out


def _data_key(arns: Arns) -> Document:
    """The environment key's data key, through the services that encrypt with it only (as
    terraform/modules/permissions grants it to every role that touches data)."""
    grant = statement(["kms:Decrypt", "kms:GenerateDataKey"], [str(arns.kms_key)], "DataKey")
    services = ("dynamodb", "s3", "secretsmanager")
    grant["Condition"] = {
        "StringLike": {"kms:ViaService": [f"{s}.{arns.region}.amazonaws.com" for s in services]}
    }
    return grant


def _prefix_and_alarm_statements(perms: Permissions) -> list[Document]:
    """``prefixes``: list and read one key prefix of a bucket only; ``alarms: read``: describe
    alarms and read metrics (neither call names a resource a policy could narrow to)."""
    out: list[Document] = []
    if perms.prefixes_read:
        parts = [bp.split("/", 1) for bp in perms.prefixes_read]
        listing = statement(
            ["s3:ListBucket"], sorted({f"arn:aws:s3:::{b}" for b, _ in parts}), "PrefixesList"
        )
        listing["Condition"] = {"StringLike": {"s3:prefix": sorted(f"{k}*" for _, k in parts)}}
        out.append(listing)
        out.append(
            statement(
                BUCKET_READ, [f"arn:aws:s3:::{bp}*" for bp in perms.prefixes_read], "PrefixesRead"
            )
        )
    if perms.prefixes_write:
        out.append(
            statement(
                ["s3:PutObject"], [f"arn:aws:s3:::{bp}*" for bp in perms.prefixes_write],
                "PrefixesWrite",
            )
        )  # fmt: skip
    if perms.metrics_write:
        # PutMetricData names no resource; the runtime's IAM does not resolve the
        # cloudwatch:namespace condition key yet, so the grant is not narrowed by it
        out.append(statement(["cloudwatch:PutMetricData"], ["*"], "MetricsWrite"))
    if perms.alarms_read:
        # A DescribeAlarms by name prefix is authorized against "*" (it names no alarm), and
        # metric reads have no resource-level form: read-only, the lambda filters by prefix.
        out.append(
            statement(
                [
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:GetMetricData",
                    "cloudwatch:GetMetricStatistics",
                ],
                ["*"],
                "MonitoringRead",
            )
        )
    return out


def _task_read_statements(perms: Permissions, arns: Arns) -> list[Document]:
    """ecs:DescribeTasks on the tasks of the clusters named (a task ARN names only its cluster:
    task/<cluster>/<id>, so that is the narrowest resource)."""
    if not perms.tasks_read:
        return []
    tasks = [f"arn:aws:ecs:{arns.region}:{arns.account}:task/{c}/*" for c in perms.tasks_read]
    return [statement(["ecs:DescribeTasks"], tasks, "DescribeOwnTasks")]


def lambda_policies(exp: Expansion, fn: LambdaFn, arns: Arns) -> dict[str, Document]:
    stmts = [
        statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"], [arns.log_group(fn.log_group)], "OwnLogs"
        ),
        *_data_statements(fn.permissions, arns),
    ]
    if fn.in_vpc:
        stmts.append(statement(VPC_ENI, ["*"], "VpcNetworkInterfaces"))  # no resource-level form
    families = set(fn.permissions.run_tasks)
    pipes = [p for p in exp.pipelines.values() if p.family in families]
    if pipes:
        run = statement(
            ["ecs:RunTask"],
            [
                f"arn:aws:ecs:{arns.region}:{arns.account}:task-definition/{p.family}:*"
                for p in pipes
            ],
            "RunOwnTasks",
        )
        run["Condition"] = {
            "ArnEquals": {
                "ecs:cluster": f"arn:aws:ecs:{arns.region}:{arns.account}:cluster/{exp.cluster}"
            }
        }
        stmts.append(run)
    stmts += _task_read_statements(fn.permissions, arns)
    if pipes:
        passrole = statement(
            ["iam:PassRole"],
            [arns.role(r) for p in pipes for r in (p.task_role_name, p.execution_role_name)],
            "PassTaskRoles",
        )
        passrole["Condition"] = {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
        stmts.append(passrole)
    return {"least-privilege": policy(*stmts)}


def task_policies(pipe: Pipeline, arns: Arns, *, training: bool = False) -> dict[str, Document]:
    """The task role's policy; ``training``: the training task role's (topology ``training:``)."""
    permissions = pipe.training_permissions if training else pipe.permissions
    if permissions is None:
        raise ValueError(f"pipeline {pipe.container_name} has no training role")
    stmts = [
        *_data_statements(permissions, arns),
        *_task_read_statements(permissions, arns),
    ]
    if not stmts:  # IAM refuses an empty policy; a task that touches nothing gets none
        return {}
    return {"least-privilege": policy(*stmts)}


def execution_policies(pipe: Pipeline, arns: Arns) -> dict[str, Document]:
    """What ECS itself needs to start the task: pull its image, write its logs."""
    repo = f"arn:aws:ecr:{arns.region}:{arns.account}:repository/{pipe.image}"
    return {
        "task-execution": policy(
            statement(["ecr:GetAuthorizationToken"], ["*"], "EcrLogin"),  # no resource-level form
            statement(
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                [repo],
                "PullOwnImage",
            ),
            statement(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [arns.log_group(pipe.log_group)],
                "OwnLogs",
            ),
        )
    }
