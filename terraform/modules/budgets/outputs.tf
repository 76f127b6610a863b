output "budget_name" {
  description = "Name of the monthly budget."
  value       = aws_budgets_budget.monthly.name
}

output "limit_usd" {
  description = "Monthly budget in USD: the estimate plus margin from budgets.json, or the fallback."
  value       = local.limit_usd
}
