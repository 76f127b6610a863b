# One monthly cost budget per environment (each env is its own account), filtered on nothing:
# everything the account spends counts. Notifications go to the alert emails and the SNS topic.
# The amount is the cost estimate plus a margin, generated into budgets.json by
# `atelier cost budgets --write` (a test fails when it drifts from the estimate); an
# environment missing from that file falls back to monthly_budget_usd.

locals {
  generated   = jsondecode(file("${path.module}/budgets.json"))
  from_budget = try(local.generated.environments[var.env].budget_usd, null)
  limit_usd   = local.from_budget != null ? local.from_budget : var.monthly_budget_usd
  notifications = concat(
    [for t in var.thresholds.actual : { type = "ACTUAL", threshold = t }],
    [for t in var.thresholds.forecast : { type = "FORECASTED", threshold = t }],
  )
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name_prefix}monthly"
  budget_type  = "COST"
  limit_amount = tostring(local.limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "notification" {
    for_each = local.notifications
    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold
      threshold_type             = "PERCENTAGE"
      notification_type          = notification.value.type
      subscriber_email_addresses = var.alert_emails
      subscriber_sns_topic_arns  = [var.alerts_topic_arn]
    }
  }
}
