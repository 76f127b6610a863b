"""CloudWatch Logs behaviour MiniStack lacks: metric filters and Embedded Metric Format."""
