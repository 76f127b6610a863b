# lambda -> ALB -> service -> RDS, tasks -> RDS: the only inbound paths. Egress is the same
# paths plus web ports to the internet (through the NAT) listed in local.internet.

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:attached by the api, ecs_service, ecs_task, gpu_capacity and data modules
  for_each    = local.sg
  name        = each.value
  description = "Atelier ${each.key} (${var.name_prefix})"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = each.value, Role = each.key }
}

locals {
  # (from role, to role, port): every allowed inbound path, and nothing else.
  paths = {
    lambda_to_alb  = { from = "lambda", to = "alb", port = 80 }
    alb_to_service = { from = "alb", to = "service", port = var.service_port }
    service_to_db  = { from = "service", to = "db", port = var.db_port }
    tasks_to_db    = { from = "tasks", to = "db", port = var.db_port }
  }
  # Internet egress: HTTPS for AWS APIs (Secrets Manager, ECS, ECR, CloudWatch, STS) from
  # every workload; plain HTTP only for the tasks that fetch user links.
  internet = {
    lambda_https  = { role = "lambda", port = 443 }
    service_https = { role = "service", port = 443 }
    tasks_https   = { role = "tasks", port = 443 }
    tasks_http    = { role = "tasks", port = 80 }
  }
}

resource "aws_vpc_security_group_ingress_rule" "path" {
  for_each                     = local.paths
  security_group_id            = aws_security_group.this[each.value.to].id
  referenced_security_group_id = aws_security_group.this[each.value.from].id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = "${each.value.from} -> ${each.value.to}"
}

resource "aws_vpc_security_group_egress_rule" "path" {
  for_each                     = local.paths
  security_group_id            = aws_security_group.this[each.value.from].id
  referenced_security_group_id = aws_security_group.this[each.value.to].id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = "${each.value.from} -> ${each.value.to}"
}

resource "aws_vpc_security_group_egress_rule" "internet" {
  #checkov:skip=CKV_AWS_382:web ports only; AWS APIs have no interface endpoints here (cost) and the image pipeline fetches user-supplied http(s) links (private ranges are refused in ml_common)
  for_each          = local.internet
  security_group_id = aws_security_group.this[each.value.role].id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  description       = "${each.value.role} to the internet on ${each.value.port}"
}
