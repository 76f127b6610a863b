"""Operator views of the runtime's (or an AWS account's) alarms, alerts and canary runs."""
