variable "name_prefix" {
  description = "Resource name prefix, atelier-<env>-."
  type        = string
}

variable "env" {
  description = "Environment name: its budget is read from budgets.json (estimate + margin)."
  type        = string
  default     = ""
}

variable "monthly_budget_usd" {
  description = "Fallback monthly budget in USD (topology sizes.monthly_budget_usd) when budgets.json has no entry for env."
  type        = number

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "A budget needs a positive amount; disable the module instead (enable_budgets = false)."
  }
}

variable "alert_emails" {
  description = "Addresses notified when actual or forecast spend crosses a threshold."
  type        = list(string)
}

variable "alerts_topic_arn" {
  description = "SNS topic notified too (the monitoring module's alert topic)."
  type        = string
}

variable "thresholds" {
  description = "Percent of the budget that triggers a notification: actual spend, and forecast spend."
  type = object({
    actual   = list(number)
    forecast = list(number)
  })
  default = { actual = [50, 80, 100], forecast = [100] }
}
