"""What a deploy of an expansion creates, as ``(kind, name)`` pairs, without calling AWS.

The kinds are those of the :class:`~atelier.deploy.change.Change` objects the deploy reports, so
tests can hold a real deploy to this list, and the Terraform parity test can map each kind to
its Terraform resource type.
"""

from __future__ import annotations

from atelier.deploy.canary import GOLDEN_IMAGE_KEY, MONITORING_USER, Names
from atelier.deploy.context import ADMIN_USERNAME, db_subnet_group
from atelier.deploy.drift import role_name, rule_name
from atelier.deploy.kms import alias_name
from atelier.topology import Expansion


def resources(exp: Expansion) -> set[tuple[str, str]]:
    net = exp.network
    out: set[tuple[str, str]] = {("ec2.vpc", net.vpc_name)}
    out |= {("ec2.subnet", name) for name in net.private_subnets}
    out |= {("ec2.security_group", name) for name in net.security_groups.values()}
    out.add(("kms.key", alias_name(exp.prefix)))
    out |= {("s3.bucket", b.name) for b in exp.buckets.values()}
    out |= {("s3.files", b.name) for b in exp.buckets.values() if b.website}
    out |= {("dynamodb.table", t.name) for t in exp.tables.values()}
    out |= {("secretsmanager.secret", name) for name in exp.secrets.values()}
    groups = {fn.log_group for fn in exp.lambdas.values()}
    groups |= {p.log_group for p in exp.pipelines.values()} | {exp.api.log_group}
    out |= {("logs.group", g) for g in groups}
    out |= {
        ("logs.metric_filter", f"{p.log_group}:jobs-failed")
        for p in exp.pipelines.values()
        if p.kind != "service"
    }
    out |= {("sns.topic", exp.alerts_topic), ("ecs.cluster", exp.cluster)}
    out |= {("ecr.repository", repo) for repo in exp.repositories.values()}
    out |= {("iam.role", fn.role_name) for fn in exp.lambdas.values()}
    for pipe in exp.pipelines.values():
        out |= {("iam.role", pipe.task_role_name), ("iam.role", pipe.execution_role_name)}
        if pipe.training_role_name:
            out.add(("iam.role", pipe.training_role_name))
        out.add(("ecs.task_definition", pipe.family))
    out |= {("rds.subnet_group", db_subnet_group(exp)), ("rds.instance", exp.database.identifier)}
    out.add(("rds.parameter_group", f"{exp.database.identifier}-params"))
    for svc in exp.services.values():
        out |= {
            ("elbv2.load_balancer", svc.alb_name),
            ("elbv2.target_group", svc.target_group_name),
            ("elbv2.listener", f"{svc.alb_name}:80"),
            ("ecs.service", svc.name),
            ("appautoscaling.target", svc.name),
            ("appautoscaling.policy", f"{svc.name}-cpu"),
        }
    out |= {("lambda.layer", exp.layer_name), ("lambda.layer", f"{exp.layer_name}-deps")}
    out |= {("lambda.function", fn.function_name) for fn in exp.lambdas.values()}
    out |= {("lambda.permission", f"{r.function_name}/apigateway") for r in exp.routes.values()}
    authorizer = exp.lambdas[exp.api.authorizer_lambda].function_name
    out.add(("lambda.permission", f"{authorizer}/apigateway-authorizer"))
    out.add(("apigateway.rest_api", exp.api.name))
    out |= {("cloudwatch.alarm", a.name) for a in exp.alarms.values()}
    out.add(("user", ADMIN_USERNAME))
    canary = Names.of(exp.prefix)
    out |= {
        ("user", MONITORING_USER),
        ("canary.secret", canary.secret),
        ("canary.role", canary.role),
    }
    out |= {("canary.function", canary.function), ("canary.schedule", canary.rule)}
    out.add(("canary.image", f"{exp.buckets['inputs'].name}/{GOLDEN_IMAGE_KEY}"))
    out |= {("drift.schedule", rule_name(exp.prefix)), ("drift.role", role_name(exp.prefix))}
    return out
