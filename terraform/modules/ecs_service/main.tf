# Each ECS service: Fargate tasks in private subnets behind its own internal ALB, with target
# tracking autoscaling between desired_count and max_count (topology sizes of the env).

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:internal ALB reached only by the lambda security group; request logs are the service's own logs (CloudWatch)
  #checkov:skip=CKV2_AWS_28:internal ALB, not reachable from the internet: WAF protects the public edge (API Gateway throttling + the frontend's CloudFront WAF)
  #checkov:skip=CKV2_AWS_20:internal ALB with an HTTP listener only (see the listener's CKV_AWS_2): there is no HTTPS to redirect to
  for_each                   = var.services
  name                       = each.value.alb_name
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [var.alb_security_group_id]
  subnets                    = var.subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:plain HTTP inside the VPC between the internal ALB and the service tasks (private subnets, SG-chained); no certificate authority for private names
  for_each             = var.services
  name                 = each.value.target_group_name
  port                 = each.value.port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30
  health_check {
    path                = each.value.health_path
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "this" {
  #checkov:skip=CKV_AWS_2:internal listener in private subnets, reachable only from the lambda security group; TLS would need a private CA (ACM PCA, ~400 USD/month)
  #checkov:skip=CKV_AWS_103:same listener: no TLS, see CKV_AWS_2
  for_each          = var.services
  load_balancer_arn = aws_lb.this[each.key].arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }
}

resource "aws_ecs_service" "this" {
  for_each                           = var.services
  name                               = each.value.name
  cluster                            = var.cluster_arn
  task_definition                    = var.task_definition_arns[each.value.pipeline]
  desired_count                      = each.value.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 60
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.service_security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this[each.key].arn
    container_name   = each.value.pipeline
    container_port   = each.value.port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count] # autoscaling owns it after creation
  }

  depends_on = [aws_lb_listener.this]
}

resource "aws_appautoscaling_target" "this" {
  for_each           = var.enable_autoscaling ? var.services : {}
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${split("/", var.cluster_arn)[1]}/${aws_ecs_service.this[each.key].name}"
  min_capacity       = each.value.desired_count
  max_capacity       = each.value.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each           = aws_appautoscaling_target.this
  name               = "${var.services[each.key].name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
